"""A pre-order walk of a SeldonDeployment's graphs, for the checks of check-manifest.

The checks run on whatever the user wrote, including values of the wrong type (the CRD
check reports those): a field of the wrong type reads as absent, like Go's zero value, which
is how the typed model (seldon_graphs/sdep) reads it. The walk itself goes over the plain
mapping so that each node keeps its index among its siblings even when a sibling is not a
mapping; each node's own fields are read through the model (`Node.unit`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .. import catalog
from ..sdep import PredictiveUnit, Predictor
from ..sdep.codec import as_int, as_list, as_map, as_str, opt_str
from .finding import JsonPath

__all__ = [
    "Node",
    "as_int",
    "as_list",
    "as_map",
    "as_str",
    "container_names",
    "is_prepack",
    "needs_container",
    "opt_str",
    "predictors",
    "typed_predictors",
    "walk",
]


def is_prepack(pu: dict[str, Any] | PredictiveUnit) -> bool:
    """Seldon's `IsPrepack`: a non-empty implementation that is not an executor built-in."""
    return catalog.is_prepack(_unit(pu).implementation)


def needs_container(pu: dict[str, Any] | PredictiveUnit) -> bool:
    """Nodes the operator runs in a container named after them (all but built-ins)."""
    return catalog.needs_container(_unit(pu).implementation)


def _unit(pu: dict[str, Any] | PredictiveUnit) -> PredictiveUnit:
    return pu if isinstance(pu, PredictiveUnit) else shallow_unit(pu)


def shallow_unit(pu: dict[str, Any]) -> PredictiveUnit:
    """One node's own fields, typed (its children are walked separately)."""
    return PredictiveUnit.read_with(pu, {"children": None})


@dataclass(frozen=True)
class Node:
    """One PredictiveUnit with where it sits; paths are built only when a finding needs one."""

    pu: dict[str, Any]
    predictor: int
    depth: int  # the root is 1
    index: int  # position among its parent's children (0 for the root)
    parent: Node | None

    @cached_property
    def unit(self) -> PredictiveUnit:
        """The node's own fields through the typed model (`pu` is the plain mapping, for
        checks that report a value of the wrong type at its exact path)."""
        return shallow_unit(self.pu)

    @property
    def name(self) -> str:
        return self.unit.name or ""

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


def typed_predictors(sdep: dict[str, Any]) -> list[Predictor]:
    """`predictors` through the typed model, one per item (indexes stay Seldon's)."""
    return [Predictor.from_dict(p) for p in predictors(sdep)]


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
