"""Tolerant access to a SeldonDeployment dict and a pre-order walk of its graphs.

The checks run on whatever the user wrote, including values of the wrong type (the CRD
check reports those): a field of the wrong type reads as absent, like Go's zero value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .finding import JsonPath

BUILTINS = frozenset({"SIMPLE_MODEL", "SIMPLE_ROUTER", "RANDOM_ABTEST", "AVERAGE_COMBINER"})
UNKNOWN_IMPLEMENTATION = "UNKNOWN_IMPLEMENTATION"


def as_map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def opt_str(value: Any) -> str | None:
    """A Go `*string`: None when absent (or not a string)."""
    return value if isinstance(value, str) else None


def is_prepack(pu: dict[str, Any]) -> bool:
    """Seldon's `IsPrepack`: a non-empty implementation that is not an executor built-in."""
    impl = as_str(pu.get("implementation"))
    return impl != "" and impl not in BUILTINS and impl != UNKNOWN_IMPLEMENTATION


def needs_container(pu: dict[str, Any]) -> bool:
    """Nodes the operator runs in a container named after them (all but built-ins)."""
    impl = opt_str(pu.get("implementation"))
    return impl is None or impl == UNKNOWN_IMPLEMENTATION or is_prepack(pu)


@dataclass(frozen=True)
class Node:
    """One PredictiveUnit with where it sits; paths are built only when a finding needs one."""

    pu: dict[str, Any]
    predictor: int
    depth: int  # the root is 1
    index: int  # position among its parent's children (0 for the root)
    parent: Node | None

    @property
    def name(self) -> str:
        return as_str(self.pu.get("name"))

    @property
    def children(self) -> list[dict[str, Any]]:
        return [c for c in as_list(self.pu.get("children")) if isinstance(c, dict)]

    def path(self, *tail: str | int) -> JsonPath:
        """JSON path: `spec.predictors[i].graph.children[j]...` then `tail`."""
        parts: list[str | int] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            parts += [node.index, "children"]
            node = node.parent
        return ("spec", "predictors", self.predictor, "graph", *reversed(parts), *tail)

    def seldon_path(self) -> str:
        """Seldon's field path: children append only their index, `...graph[0][1]`."""
        indexes: list[int] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            indexes.append(node.index)
            node = node.parent
        tail = "".join(f"[{i}]" for i in reversed(indexes))
        return f"spec.predictors[{self.predictor}].graph{tail}"


def predictors(sdep: dict[str, Any]) -> list[dict[str, Any]]:
    """The predictors; non-mappings read as empty predictors (Go's zero value)."""
    return [as_map(p) for p in as_list(as_map(sdep.get("spec")).get("predictors"))]


def walk(predictor: int, graph: Any, *, zero_root: bool = False) -> Iterator[Node]:
    """Pre-order, children in order (the order Seldon checks and looks nodes up in).

    Iterative, so generated graphs thousands of levels deep cannot hit the recursion limit.
    A child that is not a mapping keeps its index but is skipped (the schema reports it).
    `zero_root`: a missing graph reads as an empty node, as Go's zero-value struct does.
    """
    if not isinstance(graph, dict):
        if not zero_root:
            return
        graph = {}
    stack = [Node(graph, predictor, 1, 0, None)]
    while stack:
        node = stack.pop()
        yield node
        kids = [
            Node(c, predictor, node.depth + 1, i, node)
            for i, c in enumerate(as_list(node.pu.get("children")))
            if isinstance(c, dict)
        ]
        stack.extend(reversed(kids))


def container_names(predictor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Container name -> container, over every componentSpec (first one wins, as in Seldon)."""
    found: dict[str, dict[str, Any]] = {}
    for cs in as_list(predictor.get("componentSpecs")):
        for c in as_list(as_map(as_map(cs).get("spec")).get("containers")):
            name = as_str(as_map(c).get("name"))
            found.setdefault(name, as_map(c))
    return found
