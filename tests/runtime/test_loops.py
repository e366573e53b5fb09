"""The executor's event loop (runtime/loops.py): uvloop by default, asyncio's own with
SELDON_GRAPHS_LOOP=asyncio. Everything that touches the loop beyond sockets (node processes
spawned and reaped from a loop in a non-main thread, signals in `run`, the HTTP client's
transports) runs here on both loops; the rest of tests/runtime runs on the default."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import uvloop

from seldon_graphs.cli import main
from seldon_graphs.runtime.http1 import Client, Response
from seldon_graphs.runtime.loops import (
    LOOP_ENV,
    LOOPS,
    LoopChoiceError,
    loop_name,
    new_loop,
    run,
)
from seldon_graphs.runtime.process import NodeStartError, ProcessBackend
from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread
from seldon_graphs.runtime.supervision import Policy

from .conftest import wait_until
from .graphs import NODES, ROOT, M, graph, py, tree
from .test_commands import IRIS, SAMPLE, Run, children_of, group_alive
from .test_commands import runs as runs  # the fixture, shared
from .test_http1_parsing import serve_once
from .test_supervision import restarts_graph

FAST = Policy(start_timeout=60, probe_interval=0.3, probe_timeout=0.5, stop_grace=1.0)
LOOP_TYPES = {"uvloop": uvloop.Loop, "asyncio": asyncio.SelectorEventLoop}


# --- the choice --------------------------------------------------------------------------------
def test_uvloop_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(LOOP_ENV, raising=False)
    assert loop_name() == "uvloop"
    monkeypatch.setenv(LOOP_ENV, " AsyncIO ")
    assert loop_name() == "asyncio"
    assert loop_name("uvloop") == "uvloop"  # an explicit choice wins over the environment
    monkeypatch.setenv(LOOP_ENV, "")
    assert loop_name() == "uvloop"


@pytest.mark.parametrize("name", LOOPS)
def test_each_loop_is_the_kind_it_names(name: str):
    loop = new_loop(name)
    try:
        assert type(loop) is LOOP_TYPES[name]
    finally:
        loop.close()


@pytest.mark.parametrize("name", LOOPS)
def test_run_runs_a_coroutine_on_the_chosen_loop(name: str):
    async def kind() -> type:
        return type(asyncio.get_running_loop())

    assert run(kind, name) is LOOP_TYPES[name]


def test_an_unknown_loop_is_refused_naming_the_choices(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(LOOP_ENV, "trio")
    made: list[bool] = []

    async def body() -> None:
        return None

    def make() -> Coroutine[Any, Any, None]:
        made.append(True)
        return body()

    with pytest.raises(LoopChoiceError) as refused:
        run(make)
    assert str(refused.value) == (
        "SELDON_GRAPHS_LOOP='trio' is not an event loop seldon-graphs runs on "
        "(one of: uvloop, asyncio)"
    )
    assert made == []  # checked first: nothing was made (a backend makes its run folder)


# --- the HTTP client's transports --------------------------------------------------------------
@pytest.mark.parametrize("name", LOOPS)
@pytest.mark.parametrize("split", [False, True])
def test_the_node_client_talks_http_on_each_loop(name: str, split: bool):
    """uvloop's transports are not asyncio.Transport subclasses: the client must not care
    (it once asserted they were, and every node health check failed under uvloop)."""
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    answer, accepted = run(lambda: serve_once(reply, split=split), name)
    assert isinstance(answer, Response)
    assert (answer.status, answer.body, accepted) == (200, b"ok", 1)


# --- node processes from a loop in a background thread ----------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", LOOPS)
def test_nodes_start_serve_restart_and_stop_on_each_loop(name: str, tmp_path: Path):
    """Spawning, health-checking, reaping a SIGKILLed node and restarting it, from a
    ServerThread's loop (not the main thread's: no signal handlers there)."""
    backend = ProcessBackend(*restarts_graph(tmp_path / "mode"), policy=FAST)
    thread = ServerThread(GraphServer(backend, ServerOptions(port=0, name="restarts")), name)
    url = thread.start()
    try:
        assert type(thread.loop) is LOOP_TYPES[name]
        first = predict_pid(url)
        os.killpg(backend.nodes["r"].proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        wait_until(lambda: backend.nodes["r"].restarts == 1, "the node's exit to be seen")
        wait_until(lambda: ready(url), "the restarted node to serve")
        assert predict_pid(url) != first
        groups = [os.getpgid(backend.nodes["r"].proc.pid)]  # type: ignore[union-attr]
    finally:
        thread.stop()
    assert not backend.workdir.exists()
    wait_until(lambda: not [g for g in groups if group_alive(g)], "the node processes to go")


@pytest.mark.slow
@pytest.mark.parametrize("name", LOOPS)
def test_graphs_started_side_by_side_in_threads_all_come_up(name: str):
    """Loops in several threads spawning nodes at once (uvloop refuses a spawn racing one
    on another loop: the runtime takes turns)."""
    nodes = [py(n, f"{NODES}/Affine.py", "Affine", {"name": n}) for n in ("a", "b", "c")]
    spec = graph("side", nodes)
    root = tree("a", M, tree("b", M, tree("c", M)))

    def start(_: int) -> ServerThread:
        backend = ProcessBackend(spec, root, policy=FAST)
        thread = ServerThread(GraphServer(backend, ServerOptions(port=0, name="side")), name)
        thread.start()
        return thread

    with ThreadPoolExecutor(3) as pool:
        started = [pool.submit(start, i) for i in range(3)]
        threads = [future.result(120) for future in started]
    try:
        for thread in threads:
            answer = requests.post(
                thread.server.url + "/api/v1.0/predictions", json={"data": {"ndarray": [[1]]}}
            )
            assert answer.status_code == 200, answer.text
    finally:
        for thread in threads:
            thread.stop()


def predict_pid(url: str) -> int:
    body = {"data": {"ndarray": [[1.0]]}}
    answer = requests.post(url + "/api/v1.0/predictions", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["jsonData"]["pid"])


def ready(url: str) -> bool:
    return requests.get(url + "/ready", timeout=10).status_code == 200


class BrokenProbes(Client):
    """A probe client with a bug in it: no real request can make the supervisor itself
    fail, and what such a failure reports is what this checks."""

    async def request(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        raise AssertionError("transport is None")


def test_a_supervisor_that_fails_says_how_instead_of_none(tmp_path: Path):
    backend = ProcessBackend(*restarts_graph(tmp_path / "mode"), policy=FAST)
    backend.probes = BrokenProbes()
    with pytest.raises(NodeStartError) as failed:
        run(lambda: asyncio.wait_for(backend.start(), 90))
    assert str(failed.value).startswith(
        "node 'r' did not start (lost its supervisor (AssertionError: transport is None));"
    )
    assert not backend.workdir.exists()


# --- `seldon-graphs run` -------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", LOOPS)
def test_run_serves_and_stops_on_a_signal_on_each_loop(
    name: str, iris_dir: Path, runs: Callable[..., Run]
):
    served = runs(IRIS, "--model-uri", f"classifier={iris_dir}", env={LOOP_ENV: name})
    body = {"data": {"ndarray": json.loads(SAMPLE)}}
    answer = requests.post(f"{served.url}/api/v1.0/predictions", json=body, timeout=30)
    assert answer.status_code == 200 and answer.json()["meta"]["requestPath"]["classifier"]
    groups = children_of(served.proc.pid)
    assert groups
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(30) == 0
    wait_until(lambda: not [g for g in groups if group_alive(g)], "the node processes to go")


def test_run_with_an_unknown_loop_exits_1_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv(LOOP_ENV, "trio")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where run folders are made
    (tmp_path / "Affine.py").write_text((ROOT / NODES / "Affine.py").read_text())
    graph = tmp_path / "g.yaml"
    graph.write_text("name: g\nnodes:\n  a: {python: Affine.py:Affine}\n")
    assert main(["run", str(graph), "--port", "0"]) == 1
    assert list(tmp_path.glob("seldon-graphs-*")) == []  # no run folder was made
    assert capsys.readouterr().err == (
        "seldon-graphs: SELDON_GRAPHS_LOOP='trio' is not an event loop seldon-graphs runs on "
        "(one of: uvloop, asyncio)\n"
    )
