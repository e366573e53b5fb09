"""Fixtures for wrapper tests: a fixture project and node/spec builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seldon_graphs.spec import NOWHERE, GraphSpec, NodeSpec, PythonRef, Source

FIXTURE_PROJECT = Path(__file__).parent / "fixtures" / "project"


def python_node(name: str = "double", **kw: Any) -> NodeSpec:
    kw.setdefault("python", PythonRef("models/doubler.py", "Doubler"))
    return NodeSpec(name=name, pos=NOWHERE, source=Source.PYTHON, **kw)


def stock_node(name: str = "vote", stock: str = "mean-combiner", **kw: Any) -> NodeSpec:
    return NodeSpec(name=name, pos=NOWHERE, source=Source.STOCK, stock=stock, **kw)


def graph_spec(*nodes: NodeSpec, root: Path = FIXTURE_PROJECT, **kw: Any) -> GraphSpec:
    """A hand-built spec over the fixture project (no loader involved)."""
    return GraphSpec(
        file=root / "graph.yaml",
        root=root,
        name=kw.pop("name", "wrapped"),
        namespace=None,
        nodes=nodes,
        edges=(),
        **kw,
    )
