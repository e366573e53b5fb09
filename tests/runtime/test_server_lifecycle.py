"""The executor's start and shutdown (make mutation, runtime/server): draining answers
requests that still arrive on open connections with 503, a second signal cuts the drain
short, `serve_forever` hands over the running server and ends cleanly on Ctrl-C, and a
`ServerThread` ends what is still running before it closes its loop. Real HTTP on
127.0.0.1; every wait is bounded by WAIT and ended by an event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
import requests
from aiohttp import web

from seldon_graphs.runtime.messages import JSON, Payload
from seldon_graphs.runtime.server import (
    GraphServer,
    ServerOptions,
    ServerThread,
    listen,
    serve_forever,
)
from seldon_graphs.runtime.walk import failure

from .conftest import serve
from .graphs import ROOT
from .test_server_answers import Closes
from .test_server_limits import BODY, PREDICT, WAIT, Gate, GateBackend, post, read_full_response


class Draining(GateBackend):
    """GateBackend (a stand-in: see Gate) that reports `reasons` and counts kills."""

    def __init__(self, hold: int, reasons: list[str] | None = None) -> None:
        super().__init__(hold)
        self.reasons = reasons or []
        self.killed = 0

    async def problems(self) -> list[str]:
        return list(self.reasons)

    def kill(self) -> None:
        self.killed += 1


async def _begin_stop(server: GraphServer) -> asyncio.Task[None]:
    """server.stop() as a task, run up to its first wait: draining from then on."""
    task = asyncio.create_task(server.stop())
    await asyncio.sleep(0)
    return task


async def _finish(task: asyncio.Task[None]) -> None:
    await task


def _exchange(sock: socket.socket, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request on a kept-alive connection, and its answer's status and body."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    sock.sendall(f"{head}Content-Type: {JSON}\r\n\r\n".encode() + body)
    status, _, answer = read_full_response(sock)
    return status, answer


def _keep_alive(thread: ServerThread) -> socket.socket:
    """A connection the server has already answered once: open, idle, kept alive."""
    sock = socket.create_connection(("127.0.0.1", thread.server.port), timeout=WAIT)
    assert _exchange(sock, "GET", "/live") == (200, b"live\n")
    return sock


@contextlib.contextmanager
def _draining(
    backend: Draining, thread: ServerThread
) -> Iterator[tuple[Future[tuple[int, bytes]], asyncio.Task[None]]]:
    """One request held in flight, then the server's stop begun: it drains until the request
    is answered. Yields the request's answer to come and the stop."""
    try:
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(post, thread.server.url)
            try:
                assert backend.executor.all_arrived.wait(WAIT)
                stopping = asyncio.run_coroutine_threadsafe(_begin_stop(thread.server), thread.loop)
                yield held, stopping.result(WAIT)
            finally:  # a test that failed must not wait out the drain as well
                if backend.executor.all_arrived.is_set():
                    backend.executor.open(thread.loop)
    finally:
        thread.stop()


def _shutting_down(status: int) -> bytes:
    info = "the executor is shutting down"
    body = {"status": {"code": status, "info": info, "status": "FAILURE"}}
    return json.dumps(body, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("reasons", "ready"),
    [
        ([], b"the executor is shutting down\n"),
        (["node 'a' is down"], b"the executor is shutting down; node 'a' is down\n"),
    ],
)
def test_while_draining_open_connections_are_told_the_executor_is_shutting_down(
    reasons: list[str], ready: bytes
) -> None:
    backend = Draining(hold=1, reasons=reasons)
    thread = serve(backend, drain_seconds=3600)  # type: ignore[arg-type]
    with contextlib.closing(_keep_alive(thread)) as keep, _draining(backend, thread) as drain:
        held, task = drain
        assert _exchange(keep, "POST", PREDICT, BODY) == (503, _shutting_down(503))
        assert _exchange(keep, "GET", "/ready") == (503, ready)
        backend.executor.open(thread.loop)
        assert held.result(WAIT) == (200, BODY)
        asyncio.run_coroutine_threadsafe(_finish(task), thread.loop).result(WAIT)
    assert backend.executor.arrived == 1  # the refused request never reached the graph


def test_stopping_with_nothing_in_flight_does_not_wait_for_the_drain_deadline() -> None:
    backend = Draining(hold=0)
    thread = serve(backend, drain_seconds=3600)  # type: ignore[arg-type]
    try:
        asyncio.run_coroutine_threadsafe(thread.server.stop(), thread.loop).result(WAIT)
    finally:
        thread.stop()
    assert backend.killed == 0


def test_a_second_stop_signal_ends_the_drain_and_kills_the_nodes() -> None:
    backend = Draining(hold=1)
    thread = serve(backend, drain_seconds=3600)  # type: ignore[arg-type]
    with _draining(backend, thread) as (held, task):
        thread.loop.call_soon_threadsafe(thread.server.abort)
        asyncio.run_coroutine_threadsafe(_finish(task), thread.loop).result(WAIT)
        assert backend.killed == 1
        backend.executor.open(thread.loop)  # the request still held ends with its answer
        assert held.result(WAIT) == (200, BODY)


def test_serve_forever_hands_over_the_running_server_and_stops_on_ctrl_c() -> None:
    backend = Closes(fail=False)
    server = GraphServer(backend, ServerOptions(host="127.0.0.1", port=0))
    ready: list[GraphServer] = []

    def on_ready(running: GraphServer) -> None:
        ready.append(running)
        signal.raise_signal(signal.SIGINT)

    assert asyncio.run(serve_forever(server, on_ready)) is None
    assert (ready, backend.closed) == ([server], 1)
    assert server.port != 0


class StartsForever(Closes):
    """A backend whose nodes never come up (Ctrl-C arrives while it starts). A stand-in: a
    real runtime gives up on a node that does not start after its own timeout."""

    def __init__(self) -> None:
        super().__init__(fail=False)
        self.cancelled = False

    async def start(self) -> None:
        signal.raise_signal(signal.SIGINT)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


def test_ctrl_c_while_the_nodes_start_ends_serve_forever_cleanly() -> None:
    backend = StartsForever()
    server = GraphServer(backend, ServerOptions(host="127.0.0.1", port=0))
    assert asyncio.run(serve_forever(server, lambda _: pytest.fail("not started"))) is None
    assert (backend.cancelled, backend.closed) == (True, 1)


class Unending(Gate):
    """Each predict waits forever; cancelled, it takes `cleanup` seconds to end (as a node
    call closing its connection does), then says so. A stand-in, as Gate."""

    def __init__(self, cleanup: tuple[float, ...]) -> None:
        super().__init__(hold=len(cleanup))
        self.cleanup = cleanup
        self.ended = [threading.Event() for _ in cleanup]

    async def predict(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        index = self.arrived
        try:
            return await super().predict(msg, headers)
        except asyncio.CancelledError:
            await asyncio.sleep(self.cleanup[index])
            self.ended[index].set()
            raise


def test_a_server_thread_ends_what_still_runs_before_closing_its_loop() -> None:
    """Two requests never answered, the drain deadline 0 (the 5 s given to answers once the
    nodes are stopped still pass): stopping the thread cancels both and waits until each has
    ended, however long that takes, then closes the loop."""
    backend = GateBackend(hold=0)
    backend.executor = gate = Unending(cleanup=(0.0, 0.3))
    thread = serve(backend, drain_seconds=0)  # type: ignore[arg-type]
    head = (
        f"POST {PREDICT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {JSON}\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()
    clients = [socket.create_connection(("127.0.0.1", thread.server.port)) for _ in range(2)]
    try:
        for sock in clients:
            sock.sendall(head + BODY)
        assert gate.all_arrived.wait(WAIT)
        thread.stop()
    finally:
        for sock in clients:
            sock.close()
    assert [ended.is_set() for ended in gate.ended] == [True, True]
    assert thread.loop.is_closed()


class LearnsLate(Gate):
    """Each predict waits on its node until the backend closes; the node's failure reaches
    it `late` seconds after close() returns, as a killed node's closed socket reaches a real
    transport when its process group is reaped. A stand-in, as Gate."""

    def __init__(self, late: float) -> None:
        super().__init__(hold=1)
        self.late = late
        self.stopped: asyncio.Event | None = None

    async def predict(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        self.stopped = asyncio.Event()
        self.arrived += 1
        self.all_arrived.set()
        await self.stopped.wait()
        raise failure("node 'm' is stopped (the graph is shutting down)", 503)


class StopsLate(GateBackend):
    async def close(self) -> None:
        gate = self.executor
        assert isinstance(gate, LearnsLate) and gate.stopped is not None
        asyncio.get_running_loop().call_later(gate.late, gate.stopped.set)


def test_a_request_whose_node_fails_after_the_backend_closed_is_still_answered() -> None:
    backend = StopsLate(hold=0)
    backend.executor = LearnsLate(late=0.3)
    thread = serve(backend, drain_seconds=0)  # type: ignore[arg-type]
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(post, thread.server.url)
        assert backend.executor.all_arrived.wait(WAIT)
        thread.stop()
        status, body = held.result(WAIT)
    assert status == 503
    assert json.loads(body)["status"]["info"] == "node 'm' is stopped (the graph is shutting down)"


def test_listen_serves_an_aiohttp_app_and_says_which_port_it_got() -> None:
    """What the local ingress (runtime/ingress.py) listens with."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def main() -> tuple[int, int, str]:
        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            site, port = await listen(runner, "127.0.0.1", 0)
            answer = await asyncio.to_thread(
                requests.get, f"http://127.0.0.1:{port}/", timeout=WAIT
            )
            bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            return port, bound, answer.text
        finally:
            await runner.cleanup()

    port, bound, text = asyncio.run(main())
    assert port != 0 and (port, text) == (bound, "hello")


def test_a_server_thread_left_running_does_not_keep_the_process_alive() -> None:
    """A test or benchmark that fails before stopping its server still ends."""
    script = (
        "from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread\n"
        "from tests.runtime.test_server_limits import GateBackend\n"
        "thread = ServerThread(GraphServer(GateBackend(0), ServerOptions(port=0)))\n"
        "print(thread.start(), flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=WAIT * 6
    )
    assert (done.returncode, done.stdout.startswith("http://127.0.0.1:")) == (0, True), done.stderr
