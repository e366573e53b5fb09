"""The graph as the executor walks it: Seldon PredictiveUnits, built from the lowered tree.

The Go executor walks `v1.PredictiveUnit`s (name, type, implementation, methods, parameters,
children). `Unit` is that record and nothing more, so the walk reads like
`predictor_process.go`; `units_from_tree` is the only place that knows our `TreeNode`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from ..catalog import EXECUTOR_BUILTINS, UNIT_METHODS
from ..spec import GraphSpec, Role
from ..tree import TreeNode
from .errors import RuntimeProblem
from .ports import HTTP_BASE

# Implementations the executor handles itself: no container, never called over HTTP.
BUILTINS = EXECUTOR_BUILTINS

# Seldon's PredictiveUnitMethod values (a methods-only node has no PREDICT).
METHODS = frozenset(UNIT_METHODS)


@dataclass(frozen=True)
class Param:
    """One entry of PREDICTIVE_UNIT_PARAMETERS: `{"name", "value", "type"}`, value a string."""

    name: str
    value: str
    type: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "type": self.type}


@dataclass(frozen=True)
class Unit:
    """A Seldon PredictiveUnit as the executor sees it."""

    name: str
    type: Role
    implementation: str = "UNKNOWN_IMPLEMENTATION"
    methods: frozenset[str] = frozenset()
    parameters: tuple[Param, ...] = ()
    children: tuple[Unit, ...] = ()

    def __post_init__(self) -> None:
        # Go keys RANDOM_ABTEST off the implementation and has no code at all for
        # AVERAGE_COMBINER, SIMPLE_MODEL and SIMPLE_ROUTER (the Java engine's): such a node
        # calls nothing, sends the request to every child (RANDOM_ABTEST: to one) and answers
        # with the first child's output, a leaf one with its input. Written with a type
        # (`type: COMBINER`), Go would call an endpoint the operator never set; here every
        # built-in runs as Go runs the containerless shape (no type, or UNKNOWN_TYPE).
        if self.builtin and self.type != Role.UNKNOWN_TYPE:
            object.__setattr__(self, "type", Role.UNKNOWN_TYPE)

    @property
    def builtin(self) -> bool:
        """True for executor built-ins (RANDOM_ABTEST, ...): no container to call."""
        return self.implementation in BUILTINS

    def has(self, method: str) -> bool:
        return method in self.methods

    def walk(self) -> Iterator[Unit]:
        """Pre-order, children in order."""
        stack = [self]
        while stack:
            unit = stack.pop()
            yield unit
            stack.extend(reversed(unit.children))

    def find(self, name: str) -> Unit | None:
        return next((u for u in self.walk() if u.name == name), None)


def operator_addresses(root: Unit) -> dict[str, str]:
    """Each node's `service_host:httpPort` as the operator sets them for a one-pod graph
    (localhost, 9000 + the node's index among containers in pre-order): the address Go names
    in its errors, the same whichever local runtime runs the node."""
    units = (u for u in root.walk() if not u.builtin)
    return {u.name: f"localhost:{HTTP_BASE + i}" for i, u in enumerate(units)}


def parameters_json(params: tuple[Param, ...]) -> str:
    """Seldon's PREDICTIVE_UNIT_PARAMETERS value for these parameters."""
    return json.dumps([p.as_json() for p in params])


def node_parameters(spec: GraphSpec, name: str) -> tuple[Param, ...]:
    """A node's parameters in Seldon's typed string form (empty for unknown names)."""
    try:
        node = spec.node(name)
    except KeyError:
        return ()
    return tuple(Param(p.name, p.text, p.type) for p in node.params)


class UnsupportedGraph(RuntimeProblem):
    """A graph the local executor cannot run (the message says why)."""


def units_from_tree(tree: TreeNode, spec: GraphSpec) -> Unit:
    """The lowered tree as executor units, each with its node's parameters."""
    if spec.protocol != "seldon":
        raise UnsupportedGraph(
            f"graph {spec.name!r} uses protocol {spec.protocol}; the local runtimes speak the "
            "seldon protocol only (v2 and tensorflow graphs run on a cluster)"
        )
    # Iterative post-order: lowered trees can be deep before the depth check runs.
    built: dict[int, Unit] = {}
    stack: list[tuple[TreeNode, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in node.children)
            continue
        built[id(node)] = Unit(
            name=node.name,
            type=node.role,
            implementation=node.implementation,
            parameters=node_parameters(spec, node.name),
            children=tuple(built[id(c)] for c in node.children),
        )
    return built[id(tree)]
