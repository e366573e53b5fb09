"""Fixtures of the page tests: the demo graph behind a real server (in-process nodes), and a
real headless chromium driven by Selenium with a fresh profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.page import Page
from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread

from .graph import load, write_project


@pytest.fixture(scope="session")
def demo_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("pagedemo"))


def start(graph: Path, page: bool = True) -> ServerThread:
    loaded = load(graph)
    spec, tree = loaded.spec, loaded.tree
    backend = InProcessBackend(spec, tree, routing_injection=True)
    options = ServerOptions(port=0, name=spec.name, namespace=spec.namespace or "default")
    server = GraphServer(backend, options, Page.of(spec, tree) if page else None)
    thread = ServerThread(server)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def demo_url(demo_graph: Path) -> Iterator[str]:
    """The demo graph served with its page (routing injection on, so meta.routing is set)."""
    thread = start(demo_graph)
    yield thread.server.url
    thread.stop()
