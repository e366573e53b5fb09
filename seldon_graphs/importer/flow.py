"""A Seldon tree -> a graph file's `flow` (and the `kind:`s it needs): lowering, inverted.

`lower.py` turns a data flow into `forward nodes -> core -> output transformers`, the core
being `[branches] -> combiner`, `input -> combiner` or `router -> [branches]`. Read back:

    MODEL/TRANSFORMER with one child c   `unit -> flow(c)`
    COMBINER with children c1..cn        `[flow(c1), ..., flow(cn)] -> unit` (`flow(c) -> unit`)
    ROUTER with children c1..cn          `unit -> [flow(c1), ..., flow(cn)]`
    OUTPUT_TRANSFORMER with one child c  `flow(c) -> unit`

Roles the flow alone would not give back are stated as `kind:`; `roles_match` lets the
caller check the result against the real lowering.
"""

from __future__ import annotations

from typing import Any

from ..catalog import EXECUTOR_BUILTINS, UNKNOWN_IMPLEMENTATION
from ..manifest.finding import JsonPath
from ..manifest.walk import as_list, as_map, as_str, is_prepack
from ..spec import Role
from ..tree import TreeNode
from .losses import Inexpressible

_ROUTER_BUILTINS = frozenset({"RANDOM_ABTEST", "SIMPLE_ROUTER"})
_COMBINER_BUILTINS = frozenset({"AVERAGE_COMBINER"})
# Roles a node's place in the flow never gives it: they are always stated.
STATED = frozenset({Role.ROUTER, Role.COMBINER, Role.OUTPUT_TRANSFORMER})


def role(pu: dict[str, Any], at: JsonPath = ()) -> Role:
    """The unit's type as the operator's defaulting leaves it (`addDefaultsToGraph`); `at`
    is where the unit is, for the error about a type Seldon does not know."""
    impl = as_str(pu.get("implementation"))
    if impl in EXECUTOR_BUILTINS and pu.get("type") is None:
        return Role.UNKNOWN_TYPE  # what the executor dispatches on is the implementation
    if is_prepack(pu):
        return Role.MODEL
    written = pu.get("type")
    if written is None:
        return Role.MODEL if pu.get("methods") is None and not impl else Role.UNKNOWN_TYPE
    if not isinstance(written, str) or written not in Role.__members__:
        raise Inexpressible((*at, "type"), f"type `{written}` is not one Seldon knows")
    return Role(written)


def _behaviour(pu: dict[str, Any], at: JsonPath) -> str:
    impl = as_str(pu.get("implementation"))
    if impl in _ROUTER_BUILTINS:
        return "router"
    if impl in _COMBINER_BUILTINS:
        return "combiner"
    r = role(pu, at)
    if r is Role.ROUTER:
        return "router"
    if r is Role.COMBINER:
        return "combiner"
    return "output" if r is Role.OUTPUT_TRANSFORMER else "forward"


def children(pu: dict[str, Any]) -> list[dict[str, Any]]:
    return [as_map(c) for c in as_list(pu.get("children"))]


def flow_of(pu: dict[str, Any], at: JsonPath) -> str:
    """The flow text of the subtree at `pu`; raises Inexpressible for a subtree no data
    flow lowers to."""
    name, kids = as_str(pu.get("name")), children(pu)
    parts = [flow_of(c, (*at, "children", i)) for i, c in enumerate(kids)]
    kind = _behaviour(pu, at)
    if kind == "router":
        return name if not parts else f"{name} -> {_group(parts)}"
    if kind == "combiner":
        if not parts:
            raise Inexpressible(at, f"combiner `{name}` has no children to combine")
        return f"{_group(parts)} -> {name}"
    if len(parts) > 1:
        raise Inexpressible(
            (*at, "children"),
            f"`{name}` has {len(parts)} children but is not a combiner or router: "
            "no data flow gives that tree",
        )
    if kind == "output":
        return f"{parts[0]} -> {name}" if parts else name
    return f"{name} -> {parts[0]}" if parts else name


def _group(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"[{', '.join(parts)}]"


def units(pu: dict[str, Any], at: JsonPath) -> list[tuple[dict[str, Any], JsonPath]]:
    """Every unit with its path, pre-order (the order Seldon looks names up in)."""
    out: list[tuple[dict[str, Any], JsonPath]] = []
    stack = [(pu, at)]
    while stack:
        unit, path = stack.pop()
        out.append((unit, path))
        kids = [(c, (*path, "children", i)) for i, c in enumerate(children(unit))]
        stack.extend(reversed(kids))
    return out


def shape(pu: dict[str, Any]) -> tuple[Any, ...]:
    """(name, role, implementation, children...) as the operator would run the tree."""
    impl = as_str(pu.get("implementation")) or UNKNOWN_IMPLEMENTATION
    return (as_str(pu.get("name")), role(pu).value, impl, tuple(shape(c) for c in children(pu)))


def tree_shape(node: TreeNode) -> tuple[Any, ...]:
    return (
        node.name,
        node.role.value,
        node.implementation,
        tuple(tree_shape(c) for c in node.children),
    )


def mismatched_roles(pu: dict[str, Any], node: TreeNode) -> dict[str, Role]:
    """Units whose lowered role differs from the manifest's (same names and structure
    assumed where they line up): the roles to state as `kind:`."""
    out: dict[str, Role] = {}
    stack = [(pu, node)]
    while stack:
        unit, low = stack.pop()
        wanted = role(unit)
        if as_str(unit.get("name")) == low.name and wanted.value != low.role.value:
            out[low.name] = wanted
        stack.extend(zip(children(unit), low.children, strict=False))
    return out
