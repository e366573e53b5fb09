"""Supervision of real node processes: held ports and node identity, hung nodes, nodes that
hang or exit at start, nodes that ignore SIGTERM, back-off, and the run's folder."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from seldon_graphs.runtime import process as process_module
from seldon_graphs.runtime.http1 import Client
from seldon_graphs.runtime.messages import Payload
from seldon_graphs.runtime.ports import OPERATOR_BASES, PortAllocator, Ports
from seldon_graphs.runtime.process import NodeStartError, ProcessBackend
from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread
from seldon_graphs.runtime.supervision import (
    DEFAULT_POLICY,
    QUICK_EXIT_S,
    Backoff,
    Liveness,
    Policy,
    probe,
    reason_down,
)
from seldon_graphs.runtime.workdirs import OWNER, make_workdir, owner_alive, sweep_stale

from .conftest import serve, wait_until
from .graphs import NODES, M, graph, py, tree

FAST = Policy(
    start_timeout=60, probe_interval=0.3, probe_timeout=0.5, probe_failures=3, stop_grace=1.0
)
DEADLINE_S = 90.0
PUID = {"Seldon-Puid": "p"}


class Reports:
    """The backend's reports, with the spawn time of the run each one is about."""

    def __init__(self) -> None:
        self.items: list[tuple[float, str, float]] = []  # (when, text, that run's spawn time)
        self.backend: ProcessBackend | None = None
        self.lock = threading.Lock()

    def __call__(self, text: str) -> None:
        name = re.search(r"node '([^']+)'", text)
        node = self.backend.nodes[name.group(1)] if self.backend and name else None
        with self.lock:
            self.items.append((time.monotonic(), text, node.spawned if node else 0.0))

    def texts(self) -> list[str]:
        with self.lock:
            return [text for _, text, _ in self.items]


def predict(url: str, x: float, timeout: float = 30) -> tuple[int, Any]:
    body = {"data": {"ndarray": [[x]]}}
    r = requests.post(url + "/api/v1.0/predictions", json=body, timeout=timeout)
    return r.status_code, r.json()


def ready(url: str) -> requests.Response:
    return requests.get(url + "/ready", timeout=10)


# --- ports and identity ----------------------------------------------------------------------
def test_the_allocator_holds_the_operators_ports_or_says_which_moved():
    blockers = [socket.socket(), socket.socket()]
    for blocker in blockers:
        blocker.bind(("127.0.0.1", 0))  # ports some other process holds
    grpc, metrics = (b.getsockname()[1] for b in blockers)
    with socket.socket() as probe_sock:
        probe_sock.bind(("127.0.0.1", 0))
        free = probe_sock.getsockname()[1]
    allocator = PortAllocator(bases=Ports(free, grpc, metrics))
    try:
        ports = allocator.node(0)
        assert ports.http == free
        assert allocator.moved == {grpc: ports.grpc, metrics: ports.metrics}
        assert len({free, grpc, metrics, ports.grpc, ports.metrics}) == 5
        for port in (ports.http, ports.grpc, ports.metrics):  # held: nobody else can bind
            with socket.socket() as other, pytest.raises(OSError):
                other.bind(("127.0.0.1", port))
        assert allocator.fds(ports) == {
            ports.http: allocator.sockets[ports.http].fileno(),
            ports.metrics: allocator.sockets[ports.metrics].fileno(),
        }
    finally:
        allocator.close()
        for blocker in blockers:
            blocker.close()
    with socket.socket() as other:
        other.bind(("127.0.0.1", ports.http))  # released by close()


def test_a_port_already_handed_out_is_not_handed_out_again():
    allocator = PortAllocator()
    try:
        first = allocator.one(0, listen=False)
        again = allocator.one(first, listen=False)  # preferred, but already ours
        assert again != first and allocator.moved[first] == again
    finally:
        allocator.close()


def test_the_operators_numbering():
    assert Ports(9000, 9500, 6000) == OPERATOR_BASES


def test_a_probe_answered_by_another_process_is_not_this_node():
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong"
    marked = answer.replace(b"Content-Length", b"X-Seldon-Graphs-Node: mine\r\nContent-Length")

    async def main() -> list[str | None]:
        outcomes = []
        for reply in (answer, marked):

            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(reply)  # noqa: B023 - used before the loop moves on
                await writer.drain()
                writer.close()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            client = Client()
            outcomes.append(await probe(client, ("127.0.0.1", port), "/health/ping", 5, "mine"))
            client.close()
            server.close()
        return outcomes

    other, mine = asyncio.run(main())
    assert other is not None and re.fullmatch(
        r"port \d+ is answered by another process, not this node", other
    )
    assert mine is None


def test_a_probe_says_why_a_node_did_not_answer():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # reads the request, never answers

    async def main() -> tuple[str | None, str | None]:
        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))  # bound, not listening: connects are refused
            refused_port = unused.getsockname()[1]
            client = Client()
            try:
                mute = await probe(client, ("127.0.0.1", port), "/health/status", 0.2, None)
                gone = await probe(client, ("127.0.0.1", refused_port), "/health/ping", 5, None)
            finally:
                client.close()
                server.close()
        return mute, gone

    mute, gone = asyncio.run(main())
    assert mute == "no answer to /health/status within 0.2s"
    assert gone is not None and gone.startswith("/health/ping: [Errno 111] Connect call failed")


@pytest.mark.parametrize(
    ("state", "restarts", "problem", "reason"),
    [
        ("ready", 3, "x", None),
        ("starting", 0, None, "node 'n' is starting"),
        (
            "starting",
            2,
            "exited with code 1",
            "node 'n' exited with code 1 and is restarting (restart 2)",
        ),
        (
            "down",
            1,
            "stopped answering",
            "node 'n' stopped answering and is restarting (restart 1)",
        ),
        ("stopped", 1, "x", "node 'n' is stopped (the graph is shutting down)"),
    ],
)
def test_why_a_node_is_down(state: str, restarts: int, problem: str | None, reason: str | None):
    assert reason_down("n", state, restarts, problem) == reason


def two_graphs() -> list[Any]:
    """Two graphs with the same node names and the same operator ports, different models."""
    return [
        (
            graph(f"twin-{k}", [py("m", f"{NODES}/Affine.py", "Affine", {"name": k, "mul": mul})]),
            tree("m", M),
        )
        for k, mul in (("a", 10), ("b", 100))
    ]


@pytest.mark.slow
def test_two_graphs_started_together_each_serve_their_own_model():
    backends = [ProcessBackend(*g, policy=FAST) for g in two_graphs()]

    async def main() -> list[Any]:
        await asyncio.gather(*(b.start() for b in backends))  # both allocate, then both start
        try:
            outs = []
            for b in backends:
                out = await b.executor.predict(Payload(b'{"data":{"ndarray":[[1]]}}'), PUID)
                outs.append(json.loads(out.body))
            return outs
        finally:
            await asyncio.gather(*(b.close() for b in backends))

    a, b = asyncio.run(main())
    assert a["data"]["ndarray"] == [[10.0]] and a["meta"]["tags"]["last"] == "a"
    assert b["data"]["ndarray"] == [[100.0]] and b["meta"]["tags"]["last"] == "b"
    ports = [b.nodes["m"].ports for b in backends]
    assert len({p.http for p in ports}) == 2
    tokens = [b.nodes["m"].token for b in backends]
    assert tokens[0] != tokens[1] and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)


# --- hung nodes --------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_wedged_node_is_found_by_its_probe_and_restarted():
    """The issue's wedge: /health/ping still answers, every prediction hangs."""
    reports = Reports()
    spec = graph("wedge", [py("w", f"{NODES}/Wedge.py", "Wedge")], rest_timeout_ms=3000)
    backend = ProcessBackend(spec, tree("w", M), policy=FAST, report=reports)
    reports.backend = backend
    thread = serve(backend, name="wedge")
    url = thread.server.url
    try:
        status, first = predict(url, 0)
        assert status == 200
        status, out = predict(url, -1)  # the worker dies holding the metrics lock
        assert status == 500 and "node 'w'" in out["status"]["info"]
        wait_until(lambda: bool(reports.texts()), "the hung node to be reported")
        text = reports.texts()[0]
        assert text.startswith("seldon-graphs: node 'w' stopped answering: 3 probes in a row")
        assert "no answer to /health/status within 0.5s" in text and "Last log lines" in text
        wait_until(lambda: ready(url).status_code == 200, "the restarted node")
        status, after = predict(url, 0)
        assert status == 200 and after["jsonData"]["pid"] != first["jsonData"]["pid"]
        assert backend.nodes["w"].restarts == 1
    finally:
        thread.stop()


def test_liveness_counts_only_silence():
    """Probes that fail while the node answers calls, or while it is busy with calls the
    executor still waits for, are not a hang; silence is."""
    activity = {"in_flight": 0, "answered": 0.0}
    liveness = Liveness(
        Policy(probe_failures=2), lambda: (activity["in_flight"], activity["answered"]), 60
    )
    assert [liveness.record("t/o"), liveness.record(None), liveness.record("t/o")] == [
        False,
        False,
        False,
    ]
    activity["answered"] = time.monotonic()  # it answered a call: alive
    assert liveness.record("t/o") is False and liveness.missed == 0
    activity["in_flight"] = 1  # busy with a call younger than the call timeout
    assert [liveness.record("t/o"), liveness.record("t/o")] == [False, False]
    assert liveness.missed == 2
    activity["in_flight"] = 0
    assert liveness.record("t/o") is True
    overdue = Liveness(Policy(probe_failures=1), lambda: (5, 0.0), call_timeout=0)
    assert overdue.record("t/o") is True  # busy, but with calls overdue: hung
    assert overdue.verdict("x") == "stopped answering: 1 probes in a row failed, the last with x"


def test_backoff_grows_for_quick_exits_and_resets_after_a_long_run():
    assert DEFAULT_POLICY.backoff == (0.5, 1.0, 2.0, 4.0, 8.0)
    backoff = Backoff(DEFAULT_POLICY.backoff)
    quick = [backoff.next(1.0) for _ in range(7)]
    assert quick == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff.next(QUICK_EXIT_S) == 0.5 and backoff.next(0.0) == 1.0


# --- starts that fail ------------------------------------------------------------------------
def restarts_graph(mode_file: Path) -> tuple[Any, Any]:
    spec = graph(
        "restarts",
        [py("r", f"{NODES}/Restarts.py", "Restarts", {"mode_file": str(mode_file)})],
        rest_timeout_ms=5000,
    )
    return spec, tree("r", M)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "problem"),
    [("exit", "exited with code 3"), ("hang", "did not answer within 4s of its start")],
)
def test_a_node_that_cannot_start_fails_the_start_naming_why(
    tmp_path: Path, mode: str, problem: str
):
    mode_file = tmp_path / "mode"
    mode_file.write_text(mode)
    policy = dataclasses.replace(FAST, start_timeout=4)
    backend = ProcessBackend(*restarts_graph(mode_file), policy=policy)

    async def start() -> None:
        async with asyncio.timeout(DEADLINE_S):  # never the start timeout of an exit
            await backend.start()

    with pytest.raises(NodeStartError) as failed:
        asyncio.run(start())
    assert str(failed.value).startswith(f"node 'r' did not start ({problem}")
    if mode == "exit":  # its last line ends in a byte that is not UTF-8
        assert str(failed.value).endswith("\n    Restarts: exiting with code 3 \ufffd")
    assert not backend.workdir.exists()


@pytest.mark.slow
def test_a_restart_that_hangs_is_killed_and_retried_never_waited_on(tmp_path: Path):
    mode_file = tmp_path / "mode"
    reports = Reports()
    policy = dataclasses.replace(FAST, start_timeout=3)
    backend = ProcessBackend(*restarts_graph(mode_file), policy=policy, report=reports)
    reports.backend = backend
    thread = serve(backend, name="restarts")
    url = thread.server.url
    try:
        mode_file.write_text("hang")
        node = backend.nodes["r"]
        os.killpg(node.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        wait_until(lambda: len(reports.texts()) >= 2, "the hung restart to be reported")
        assert reports.texts()[0].startswith("seldon-graphs: node 'r' exited with code -9;")
        assert reports.texts()[1].startswith(
            "seldon-graphs: node 'r' did not answer within 3s of its start "
            "(no answer to /health/ping within 0.5s); restarting in 1s."
        )
        answer = ready(url)
        assert answer.status_code == 503 and answer.text.startswith("node 'r' did not answer")
        mode_file.unlink()  # the next restart serves
        wait_until(lambda: ready(url).status_code == 200, "the node to serve again")
        assert predict(url, 0)[0] == 200
        assert node.restarts == len(reports.texts()) >= 2  # each restart counted, and reported
    finally:
        thread.stop()


@pytest.mark.slow
def test_restarts_back_off_by_the_default_policy(tmp_path: Path):
    mode_file = tmp_path / "mode"
    reports = Reports()
    policy = dataclasses.replace(FAST, backoff=DEFAULT_POLICY.backoff)
    backend = ProcessBackend(*restarts_graph(mode_file), policy=policy, report=reports)
    reports.backend = backend
    thread = serve(backend, name="restarts")
    try:
        mode_file.write_text("exit")
        os.killpg(backend.nodes["r"].proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        wait_until(lambda: len(reports.texts()) >= 4, "three quick restarts")
    finally:
        thread.stop()
    items = reports.items[:4]
    delays = [float(re.search(r"restarting in ([\d.]+)s", t).group(1)) for _, t, _ in items]  # type: ignore[union-attr]
    assert delays == [0.5, 1.0, 2.0, 4.0]
    assert all("exited with code 3" in t for _, t, _ in items[1:])
    for (reported, _, _), (_, _, next_spawn), delay in zip(items, items[1:], delays, strict=False):
        assert next_spawn - reported >= delay  # it waited before starting again


@pytest.mark.slow
@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_a_node_whose_python_is_gone_is_reported_and_retried(tmp_path: Path, loop: str):
    """As when a node's environment is removed while the graph runs: each restart fails to
    exec, is reported naming the missing program (on either event loop) and retried after
    the back-off, and /ready names it; once its Python is back, the next restart serves."""
    reports = Reports()
    spec = graph("gone", [py("m", f"{NODES}/Affine.py", "Affine")])
    backend = ProcessBackend(spec, tree("m", M), policy=FAST, report=reports)
    reports.backend = backend
    options = ServerOptions(port=0, name="gone", namespace="seldon")
    thread = ServerThread(GraphServer(backend, options), loop)
    url = thread.start()
    try:
        node = backend.nodes["m"]
        python, node.python = node.python, str(tmp_path / "venv" / "bin" / "python")
        os.killpg(node.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        wait_until(lambda: len(reports.texts()) >= 2, "the failed restart to be reported")
        missing = f"[Errno 2] No such file or directory: '{node.python}'"
        assert reports.texts()[1].startswith(
            f"seldon-graphs: node 'm' could not be started ({missing}); restarting in 1s."
        )
        answer = ready(url)
        assert (answer.status_code, answer.text.split(" and is restarting")[0]) == (
            503,
            f"node 'm' could not be started ({missing})",
        )
        node.python = python
        wait_until(lambda: ready(url).status_code == 200, "the node to serve again")
        assert predict(url, 2)[0] == 200
    finally:
        thread.stop()


@pytest.mark.slow
def test_a_restart_is_reported_on_stderr_by_default(capsys: pytest.CaptureFixture[str]):
    spec = graph("loud", [py("m", f"{NODES}/Affine.py", "Affine")])
    backend = ProcessBackend(spec, tree("m", M), policy=FAST)
    thread = serve(backend, name="loud")
    try:
        node = backend.nodes["m"]
        os.killpg(node.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        wait_until(lambda: node.restarts == 1 and node.state == "ready", "the restart")
    finally:
        thread.stop()
    err = capsys.readouterr().err
    assert "seldon-graphs: node 'm' exited with code -9; restarting in 0.5s. Last log" in err


class BrokenReports(Reports):
    """Reports to a stream that is gone (`seldon-graphs run ... | head`, head done)."""

    def __call__(self, text: str) -> None:
        super().__call__(text)
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.slow
def test_a_supervisor_that_fails_leaves_its_node_down_saying_why():
    """Its node is not restarted behind the executor's back: /ready names the failure."""
    reports = BrokenReports()
    spec = graph("orphaned", [py("m", f"{NODES}/Affine.py", "Affine")])
    backend = ProcessBackend(spec, tree("m", M), policy=FAST, report=reports)
    reports.backend = backend
    thread = serve(backend, name="orphaned")
    url = thread.server.url
    try:
        os.killpg(backend.nodes["m"].proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        wait_until(lambda: ready(url).status_code == 503, "the node to be down")
        wait_until(lambda: "supervisor" in ready(url).text, "the supervisor's failure")
        assert ready(url).text == (
            "node 'm' lost its supervisor (BrokenPipeError: [Errno 32] Broken pipe); "
            "it is not restarted (stop and rerun the graph)\n"
        )
        assert len(reports.texts()) == 1 and backend.nodes["m"].restarts == 1
    finally:
        thread.stop()


# --- stopping ----------------------------------------------------------------------------------
def test_a_kill_before_close_is_not_a_crash_to_restart():
    """kill() answers a second stop signal and close() follows; in between, a supervisor must
    not take its node's SIGKILL for a crash, report it and start the node again."""
    reports = Reports()
    spec = graph("killed", [py("m", f"{NODES}/Affine.py", "Affine")])
    backend = ProcessBackend(spec, tree("m", M), policy=FAST, report=reports)
    reports.backend = backend

    async def main() -> tuple[str, int, int | None]:
        await backend.start()
        node = backend.nodes["m"]
        proc = node.proc
        assert proc is not None
        backend.kill()
        async with asyncio.timeout(DEADLINE_S):
            await proc.wait()
        await asyncio.sleep(3 * FAST.probe_interval)  # a restart would be reported by now
        seen = (node.state, node.restarts, proc.returncode)
        async with asyncio.timeout(DEADLINE_S):
            await backend.close()
        return seen

    assert asyncio.run(main()) == ("stopped", 0, -signal.SIGKILL)
    assert reports.texts() == []


@pytest.mark.slow
def test_a_node_that_ignores_sigterm_is_killed_after_the_grace_period():
    spec = graph("stubborn", [py("s", f"{NODES}/IgnoresSigterm.py", "IgnoresSigterm")])
    backend = ProcessBackend(spec, tree("s", M), policy=FAST)

    async def main() -> tuple[int | None, float]:
        await backend.start()
        proc = backend.nodes["s"].proc
        assert proc is not None
        started = time.monotonic()
        async with asyncio.timeout(30):  # a close that never kills would hang here
            await backend.close()
        return proc.returncode, time.monotonic() - started

    code, took = asyncio.run(main())
    assert code == -signal.SIGKILL  # SIGTERM was ignored; SIGKILL ended it
    assert took >= FAST.stop_grace  # after the grace period, not before


@pytest.mark.slow
def test_a_node_that_stops_at_once_is_not_restarted_while_another_holds_on():
    """close() stops the nodes together: `m` exits on SIGTERM at once, `s` ignores it for the
    grace period. Meanwhile m's supervisor sees m gone: a shutdown, not a crash to report."""
    reports = Reports()
    nodes = [
        py("s", f"{NODES}/IgnoresSigterm.py", "IgnoresSigterm"),
        py("m", f"{NODES}/Affine.py", "Affine"),
    ]
    spec, root = graph("mixed", nodes), tree("s", M, tree("m", M))
    backend = ProcessBackend(spec, root, policy=FAST, report=reports)
    reports.backend = backend

    async def main() -> None:
        await backend.start()
        async with asyncio.timeout(DEADLINE_S):
            await backend.close()

    asyncio.run(main())
    assert reports.texts() == []
    assert [(n.state, n.restarts) for n in backend.nodes.values()] == [("stopped", 0)] * 2


def test_ctrl_c_while_a_node_waits_its_turn_to_spawn_closes_cleanly():
    """Nodes spawn one at a time per process; a start cancelled while one still waits (here
    for a turn another graph holds) leaves a node with no process: close() stops it all the
    same and removes the run's folder."""
    spec = graph("waiting", [py("m", f"{NODES}/Affine.py", "Affine")])
    backend = ProcessBackend(spec, tree("m", M), policy=FAST)

    async def main() -> None:
        with process_module._SPAWNING:  # another graph of this process is spawning
            starting = asyncio.create_task(backend.start())
            async with asyncio.timeout(DEADLINE_S):
                while not backend._tasks:  # the node made, its supervisor waiting its turn
                    await asyncio.sleep(0.01)
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            async with asyncio.timeout(DEADLINE_S):
                await backend.close()

    asyncio.run(main())
    node = backend.nodes["m"]
    assert (node.proc, node.state, backend.workdir.exists()) == (None, "stopped", False)


def test_stale_run_folders_are_swept_and_live_ones_kept(tmp_path: Path):
    dead = tmp_path / "seldon-graphs-g-dead"
    dead.mkdir()
    (dead / OWNER).write_text("999999999 12345\n")  # no such process
    reused = tmp_path / "seldon-graphs-g-reused"
    reused.mkdir()
    (reused / OWNER).write_text(f"{os.getpid()} 1\n")  # our pid, another start time
    foreign = tmp_path / "seldon-graphs-g-foreign"
    foreign.mkdir()  # no owner file: not made by a run, never removed
    unknown = tmp_path / "seldon-graphs-g-unknown"
    unknown.mkdir()
    (unknown / OWNER).write_text("999999999 ?\n")  # made where /proc was unreadable: kept
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / OWNER).write_text("999999999 12345\n")
    link = tmp_path / "seldon-graphs-g-link"
    link.symlink_to(elsewhere)  # a link is never followed into
    live = make_workdir("g", tmp_path)  # sweeps first
    started = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]  # field 22
    assert (live / OWNER).read_text() == f"{os.getpid()} {started}\n"
    assert owner_alive(live) and not owner_alive(elsewhere) and owner_alive(foreign)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, foreign.name, unknown.name, link.name, elsewhere.name]
    )
    assert (elsewhere / OWNER).exists()
    (live / OWNER).write_text("999999999 12345\n")  # as if its run was SIGKILLed
    assert sweep_stale(tmp_path) == [live]
