"""Fixtures of the runtime tests: graphs, a trained iris model, servers on loopback."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seldon_graphs.runtime.server import Backend, GraphServer, ServerOptions, ServerThread

from .graphs import ROOT


@pytest.fixture(scope="session")
def iris_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/iris trained by scripts/train_iris.py into a temporary folder."""
    spec = importlib.util.spec_from_file_location("train_iris", ROOT / "scripts" / "train_iris.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("models") / "iris"
    module.train(out)
    return out


def serve(backend: Backend, name: str = "graph", **options: object) -> ServerThread:
    opts = ServerOptions(port=0, name=name, namespace="seldon", **options)  # type: ignore[arg-type]
    thread = ServerThread(GraphServer(backend, opts))
    thread.start()
    return thread


@pytest.fixture
def server_factory() -> Iterator[object]:
    started: list[ServerThread] = []

    def make(backend: Backend, name: str = "graph", **options: object) -> ServerThread:
        thread = serve(backend, name, **options)
        started.append(thread)
        return thread

    yield make
    for thread in started:
        thread.stop()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
