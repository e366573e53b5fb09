"""Graphs built by hand (GraphSpec + TreeNode) for the runtime tests.

The runtime's input is the compiler's output; building it here keeps these tests about the
runtime alone (the compiler has its own tests).
"""

from __future__ import annotations

from pathlib import Path

from seldon_graphs.spec import (
    NOWHERE,
    BuiltinSource,
    GraphSpec,
    NodeSpec,
    Param,
    PythonRef,
    PythonSource,
    Role,
    ServerSource,
)
from seldon_graphs.tree import TreeNode

ROOT = Path(__file__).resolve().parents[2]  # the project root
TAGS = "examples/tags"
NODES = "tests/runtime/nodes"

M, T, OT = Role.MODEL, Role.TRANSFORMER, Role.OUTPUT_TRANSFORMER
R, C, U = Role.ROUTER, Role.COMBINER, Role.UNKNOWN_TYPE


def py(
    name: str, path: str, cls: str, params: dict[str, object] | None = None, **kw: object
) -> NodeSpec:
    return NodeSpec(
        name=name,
        pos=NOWHERE,
        source=PythonSource(PythonRef(path, cls)),
        params=_params(params),
        **kw,  # type: ignore[arg-type]
    )


def server(name: str, impl: str, local_uri: str | None, **params: object) -> NodeSpec:
    return NodeSpec(
        name=name,
        pos=NOWHERE,
        source=ServerSource(impl),
        model_uri="gs://seldon-models/v1.12.0-dev/sklearn/iris",
        local_uri=local_uri,
        params=_params(params),
    )


def builtin(name: str, impl: str, params: dict[str, object] | None = None) -> NodeSpec:
    return NodeSpec(name=name, pos=NOWHERE, source=BuiltinSource(impl), params=_params(params))


def _params(params: dict[str, object] | None) -> tuple[Param, ...]:
    types = {bool: "BOOL", int: "INT", float: "FLOAT", str: "STRING"}
    return tuple(
        Param(k, v, types[type(v)])  # type: ignore[arg-type]
        for k, v in (params or {}).items()
    )


def tree(
    name: str, role: Role, *children: TreeNode, impl: str = "UNKNOWN_IMPLEMENTATION"
) -> TreeNode:
    return TreeNode(name, role, impl, tuple(children))


def graph(name: str, nodes: list[NodeSpec], root: Path = ROOT, **kw: object) -> GraphSpec:
    return GraphSpec(
        file=root / "graphs" / f"{name}.yaml",
        root=root,
        name=name,
        namespace="seldon",
        nodes=tuple(nodes),
        edges=(),
        **kw,  # type: ignore[arg-type]
    )


def tags_chain() -> tuple[GraphSpec, TreeNode]:
    spec = graph(
        "tags-chain",
        [
            py("one", f"{TAGS}/ModelOne.py", "ModelOne"),
            py("two", f"{TAGS}/ModelTwo.py", "ModelTwo"),
        ],
    )
    return spec, tree("one", M, tree("two", M))


def tags_combiner() -> tuple[GraphSpec, TreeNode]:
    spec = graph(
        "tags-combiner",
        [
            py("combiner", f"{TAGS}/Combiner.py", "Combiner"),
            py("one", f"{TAGS}/ModelOne.py", "ModelOne"),
            py("two", f"{TAGS}/ModelTwo.py", "ModelTwo"),
        ],
    )
    return spec, tree("combiner", C, tree("one", M), tree("two", M))
