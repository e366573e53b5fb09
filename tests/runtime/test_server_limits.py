"""The executor's own bounds, with real sockets on 127.0.0.1: concurrency (exactly the
requests beyond the limit get 503), bodies that arrive slowly (they hold no slot, and get 408
past the deadline)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from seldon_graphs.runtime.messages import JSON, Payload
from seldon_graphs.runtime.metrics import Deployment, ExecutorMetrics
from seldon_graphs.runtime.server import ServerThread

from .conftest import serve

PREDICT = "/api/v1.0/predictions"
BODY = b'{"data":{"ndarray":[[1]]}}'
WAIT = 10.0  # bound on every wait; reached only when the behaviour under test is broken


class Gate:
    """Graph operations that hold each predict until `open` is called.

    Not a runtime: the server's bounds are what is tested, and holding exactly N requests
    in flight needs a backend that blocks on demand and says when N have arrived; a real
    node cannot say that without timing.
    """

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.arrived = 0
        self.all_arrived = threading.Event()
        self._open: asyncio.Event | None = None

    async def predict(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        if self._open is None:
            self._open = asyncio.Event()
        self.arrived += 1
        if self.arrived <= self.hold:
            if self.arrived == self.hold:
                self.all_arrived.set()
            await self._open.wait()
        return Payload(msg.body, JSON)

    def open(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._open is not None
        loop.call_soon_threadsafe(self._open.set)

    async def feedback(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        return msg

    async def metadata(self, headers: Mapping[str, str]) -> Payload:
        return Payload(b"{}", JSON)

    async def node_status(self, name: str, headers: Mapping[str, str]) -> Payload:
        return Payload(b"{}", JSON)

    async def node_metadata(self, name: str, headers: Mapping[str, str]) -> Payload:
        return Payload(b"{}", JSON)


class GateBackend:
    def __init__(self, hold: int) -> None:
        self.executor = Gate(hold)
        self.metrics = ExecutorMetrics(Deployment("limits", "default"))

    async def start(self) -> None:
        return None

    async def problems(self) -> list[str]:
        return []

    async def close(self) -> None:
        return None


@pytest.fixture
def gated() -> Iterator[Callable[..., ServerThread]]:
    started: list[ServerThread] = []

    def make(hold: int = 0, **options: object) -> ServerThread:
        thread = serve(GateBackend(hold), name="limits", **options)
        started.append(thread)
        return thread

    yield make
    for thread in started:
        thread.stop()


def post(url: str) -> tuple[int, bytes]:
    r = requests.post(url + PREDICT, data=BODY, headers={"Content-Type": JSON}, timeout=WAIT)
    return r.status_code, r.content


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_exactly_the_requests_beyond_the_limit_get_503(gated, limit: int):
    thread = gated(hold=limit, max_concurrency=limit)
    url, gate = thread.server.url, thread.server.backend.executor
    with ThreadPoolExecutor(limit) as pool:
        admitted = [pool.submit(post, url) for _ in range(limit)]
        assert gate.all_arrived.wait(WAIT)
        refused = [post(url) for _ in range(3)]
        gate.open(thread.loop)
        answers = [f.result(WAIT) for f in admitted]
    info = f"the executor is at its limit of {limit} requests"
    want = json.dumps({"status": {"code": 503, "info": info, "status": "FAILURE"}})
    assert refused == [(503, want.replace(", ", ",").replace(": ", ":").encode())] * 3
    assert answers == [(200, BODY)] * limit
    assert post(url) == (200, BODY)  # the slots are free again


def slow_client(port: int, sent: bytes = b"{", length: int = len(BODY)) -> socket.socket:
    """A client that sends its headers and the start of its body, then stalls."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    head = (
        f"POST {PREDICT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    sock.sendall(head.encode() + sent)
    return sock


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    status, _, body = read_full_response(sock)
    return status, body


def read_full_response(sock: socket.socket) -> tuple[int, bytes, bytes]:
    """Status, header block and body of the one response on `sock`."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")]
        if length and len(body) >= int(length[0].split(b":")[1]):
            break
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, body


def test_slow_bodies_hold_no_slot(gated):
    thread = gated(max_concurrency=2)
    port = thread.server.port
    slow = [slow_client(port) for _ in range(10)]
    try:
        wait_until(lambda: thread.server.receiving == len(slow))
        assert [post(thread.server.url) for _ in range(3)] == [(200, BODY)] * 3
        for sock in slow:  # the slow ones finish their bodies and are answered too
            sock.sendall(BODY[1:])
        assert [read_response(sock) for sock in slow] == [(200, BODY)] * len(slow)
    finally:
        for sock in slow:
            sock.close()


def test_a_body_that_stops_arriving_gets_408_at_the_deadline(gated):
    thread = gated(body_seconds=0.5)
    sock = slow_client(thread.server.port)
    try:
        started = time.monotonic()
        status, head, body = read_full_response(sock)
        assert time.monotonic() - started < WAIT
        info = "the request body did not arrive within 0.5s"
        assert (status, json.loads(body)) == (
            408, {"status": {"code": 408, "info": info, "status": "FAILURE"}}
        )  # fmt: skip
        # the connection is not kept (aiohttp closes it after its bounded lingering read)
        assert b"\r\nConnection: close" in head
    finally:
        sock.close()
    assert thread.server.in_flight == 0 and thread.server.receiving == 0


def test_a_trickling_body_gets_408_however_steadily_it_trickles(gated):
    # the deadline is for the whole body (Go's ReadTimeout), not between bytes
    thread = gated(body_seconds=0.5)
    sock = slow_client(thread.server.port, sent=b"", length=1000)
    answer: list[tuple[int, bytes]] = []
    reader = threading.Thread(target=lambda: answer.append(read_response(sock)))
    reader.start()
    try:
        for _ in range(int(WAIT / 0.05)):
            if answer:
                break
            try:
                sock.sendall(b" ")
            except OSError:  # the server closed it after answering
                break
            time.sleep(0.05)  # the trickle's pace, not synchronisation
        reader.join(WAIT)
        assert answer and answer[0][0] == 408
    finally:
        sock.close()
    assert post(thread.server.url) == (200, BODY)
