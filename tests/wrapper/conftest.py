"""Shared fixtures for wrapper tests: one SeldonMetrics (it starts a Manager process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from seldon_core.metrics import SeldonMetrics
from seldon_core.wrapper import get_rest_microservice

from seldon_graphs.spec import NOWHERE, GraphSpec, NodeSpec, PythonRef, Source


@pytest.fixture(scope="session")
def seldon_metrics() -> Iterator[SeldonMetrics]:
    metrics = SeldonMetrics()
    yield metrics
    metrics._manager.shutdown()


@pytest.fixture
def serve(seldon_metrics: SeldonMetrics) -> Callable[[Any], FlaskClient]:
    """Wrap a user object in seldon_core's own REST app and return a Flask test client."""

    def make(user_object: Any) -> FlaskClient:
        app = get_rest_microservice(user_object, seldon_metrics)
        app.testing = True
        client: FlaskClient = app.test_client()
        return client

    return make


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
