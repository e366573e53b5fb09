"""Fixtures for wrapper tests: a fixture project and node/spec builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seldon_graphs.spec import NOWHERE, GraphSpec, NodeSpec, PythonRef, PythonSource, StockSource

FIXTURE_PROJECT = Path(__file__).parent / "fixtures" / "project"


DOUBLER = PythonRef("models/doubler.py", "Doubler")


def python_node(name: str = "double", python: PythonRef = DOUBLER, **kw: Any) -> NodeSpec:
    return NodeSpec(name=name, pos=NOWHERE, source=PythonSource(python), **kw)


def stock_node(name: str = "vote", stock: str = "mean-combiner", **kw: Any) -> NodeSpec:
    return NodeSpec(name=name, pos=NOWHERE, source=StockSource(stock), **kw)


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
