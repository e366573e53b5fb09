"""The executor's own HTTP/1.1 server (runtime/http_server.py) on real sockets on 127.0.0.1:
keep-alive, pipelining, half-closed connections, malformed requests, body limits,
`Expect: 100-continue`, HTTP/1.0, HEAD, percent-encoded paths, stopping."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from typing import cast

import pytest

from seldon_graphs.runtime.http_server import MAX_QUEUED, HttpServer, Limits, Request, Response
from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.server import ServerThread

from .conftest import serve
from .graphs import tags_chain
from .test_server_limits import BODY, PREDICT, WAIT, GateBackend, wait_until

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture
def echo() -> Iterator[ServerThread]:
    """The executor's server over graph operations that answer the request's body."""
    thread = serve(GateBackend(0), name="echo", max_body_bytes=100)  # type: ignore[arg-type]
    yield thread
    thread.stop()


def connect(thread: ServerThread) -> socket.socket:
    return socket.create_connection(("127.0.0.1", thread.server.port), timeout=WAIT)


def post(path: str = PREDICT, body: bytes = BODY, extra: str = "", version: str = "1.1") -> bytes:
    head = (
        f"POST {path} HTTP/{version}\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def get(path: str, extra: str = "", method: str = "GET") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


class Reader:
    """Reads answers off a socket one by one (Content-Length framed, as the server sends)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.data = b""

    def _fill(self, until: Callable[[], bool]) -> None:
        while not until():
            chunk = self.sock.recv(65536)
            assert chunk, f"closed early; have {self.data!r}"
            self.data += chunk

    def answer(self, head_only: bool = False) -> Answer:
        self._fill(lambda: b"\r\n\r\n" in self.data)
        head, _, self.data = self.data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = 0 if head_only else int(headers["Content-Length"])
        self._fill(lambda: len(self.data) >= length)
        body, self.data = self.data[:length], self.data[length:]
        return int(lines[0].split()[1]), headers, body

    def closed(self) -> bool:
        """The server closed the connection (and sent nothing more)."""
        rest = self.sock.recv(65536)
        return rest == b"" and self.data == b""


def test_a_kept_alive_connection_answers_request_after_request(echo: ServerThread):
    with connect(echo) as sock:
        reader = Reader(sock)
        for _ in range(3):
            sock.sendall(post())
            status, headers, body = reader.answer()
            assert (status, body) == (200, BODY) and "Connection" not in headers


def test_pipelined_requests_are_answered_in_order(echo: ServerThread):
    many = MAX_QUEUED * 4  # more than may wait: reading pauses and resumes
    requests = [post(body=b'{"n":%d}' % i, extra=f"Seldon-Puid: p{i}\r\n") for i in range(many)]
    with connect(echo) as sock:
        sock.sendall(get("/live") + b"".join(requests) + get("/ready"))
        reader = Reader(sock)
        assert reader.answer()[2] == b"live\n"
        for i in range(many):
            status, headers, body = reader.answer()
            assert (status, body, headers["Seldon-Puid"]) == (200, b'{"n":%d}' % i, f"p{i}")
        assert reader.answer()[2] == b"ready\n"


def test_a_half_closed_connection_gets_its_answers_then_is_closed(echo: ServerThread):
    with connect(echo) as sock:
        sock.sendall(post() + post(body=b"{}"))
        sock.shutdown(socket.SHUT_WR)
        reader = Reader(sock)
        assert [reader.answer()[::2] for _ in range(2)] == [(200, BODY), (200, b"{}")]
        assert reader.closed()


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /live HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
        b"POST /api/v1.0/predictions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /api/v1.0/predictions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\n",
        b"GET /live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
    ids=["not-http", "space-in-name", "bad-length", "bad-chunk", "head-over-64k"],
)
def test_a_malformed_request_gets_400_and_the_connection_closes(echo: ServerThread, raw: bytes):
    with connect(echo) as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        status, headers, body = reader.answer()
        assert (status, headers["Connection"]) == (400, "close")
        assert headers["Content-Type"] == "text/plain; charset=utf-8" and body.endswith(b"\n")
        assert reader.closed()
    assert echo.server.receiving == 0


def test_a_malformed_request_after_good_ones_is_refused_after_their_answers(echo: ServerThread):
    with connect(echo) as sock:
        sock.sendall(post() + b"NOT HTTP\r\n\r\n")
        reader = Reader(sock)
        assert reader.answer()[::2] == (200, BODY)
        assert reader.answer()[0] == 400
        assert reader.closed()


def too_large(reader: Reader) -> None:
    status, headers, body = reader.answer()
    info = {"code": 413, "info": "Request Entity Too Large", "status": "FAILURE"}
    assert (status, json.loads(body), headers["Connection"]) == (413, {"status": info}, "close")
    assert reader.closed()


def test_a_body_over_the_limit_is_413_by_its_length(echo: ServerThread):
    with connect(echo) as sock:
        sock.sendall(post(body=b"x" * 101))
        too_large(Reader(sock))


def test_a_chunked_body_over_the_limit_is_413_by_what_arrived(echo: ServerThread):
    head = f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"".join(b"32\r\n" + b"x" * 50 + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
    with connect(echo) as sock:
        sock.sendall(head.encode() + chunks)
        too_large(Reader(sock))
    with connect(echo) as sock:  # at the limit exactly: accepted
        sock.sendall(head.encode() + b"64\r\n" + b"x" * 100 + b"\r\n0\r\n\r\n")
        assert Reader(sock).answer()[::2] == (200, b"x" * 100)


def test_expect_100_continue_is_answered_before_the_body_or_refused_at_once(
    echo: ServerThread,
):
    expect = "Expect: 100-continue\r\n"
    with connect(echo) as sock:
        sock.sendall(post(extra=expect).removesuffix(BODY))
        reader = Reader(sock)
        assert reader.answer(head_only=True)[0] == 100
        sock.sendall(BODY)
        assert reader.answer()[::2] == (200, BODY)
    with connect(echo) as sock:  # over the limit: 413 without waiting for a body
        sock.sendall(post(body=b"x" * 101, extra=expect).removesuffix(b"x" * 101))
        too_large(Reader(sock))


def test_http_1_0_closes_unless_asked_to_keep_alive(echo: ServerThread):
    with connect(echo) as sock:
        sock.sendall(post(version="1.0"))
        reader = Reader(sock)
        status, headers, body = reader.answer()
        assert (status, body, headers["Connection"]) == (200, BODY, "close")
        assert reader.closed()
    with connect(echo) as sock:
        sock.sendall(post(version="1.0", extra="Connection: keep-alive\r\n"))
        reader = Reader(sock)
        assert "Connection" not in reader.answer()[1]
        sock.sendall(post(version="1.0", extra="Connection: keep-alive\r\n"))
        assert reader.answer()[::2] == (200, BODY)


def test_head_gets_the_headers_without_the_body(echo: ServerThread):
    with connect(echo) as sock:
        sock.sendall(get("/live", method="HEAD") + get("/live"))
        reader = Reader(sock)
        status, headers, body = reader.answer(head_only=True)
        assert (status, headers["Content-Length"], body) == (200, "5", b"")
        assert reader.answer()[2] == b"live\n"  # the next answer starts right after


def test_paths_are_percent_decoded_before_routing(server_factory):
    thread = server_factory(InProcessBackend(*tags_chain()))
    with connect(thread) as sock:
        sock.sendall(get("/api/v1.0/status/%6Fne") + get("/l%69ve?x=1"))
        reader = Reader(sock)
        status, _, body = reader.answer()
        assert status == 200 and json.loads(body)["strData"] == "healthy"
        assert reader.answer()[::2] == (200, b"live\n")


def test_a_client_that_leaves_mid_body_frees_what_it_held(echo: ServerThread):
    sock = connect(echo)
    sock.sendall(post().removesuffix(BODY) + BODY[:3])
    wait_until(lambda: echo.server.receiving == 1)
    sock.close()
    wait_until(lambda: echo.server.receiving == 0)
    with connect(echo) as again:
        again.sendall(post())
        assert Reader(again).answer()[::2] == (200, BODY)


def test_stopping_closes_idle_kept_alive_connections() -> None:
    thread = serve(GateBackend(0), name="echo")  # type: ignore[arg-type]
    with connect(thread) as sock:
        sock.sendall(post())
        reader = Reader(sock)
        assert reader.answer()[::2] == (200, BODY)
        thread.stop()
        assert reader.closed()


def test_requests_pipelined_after_a_closing_one_are_dropped(echo: ServerThread):
    with connect(echo) as sock:
        sock.sendall(post(version="1.0") + post() + post())
        reader = Reader(sock)
        assert reader.answer()[::2] == (200, BODY)
        assert reader.closed()
    assert echo.server.receiving == 0


# --- the body deadline's timer: made only for a body still arriving after its head's read --
class _CountingLoop:
    """The connection's loop, counting the timers asked of it (everything else passes on)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.timers = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        self.timers += 1
        return self.loop.call_later(delay, callback)

    def __getattr__(self, name: str) -> object:
        return getattr(self.loop, name)


def test_the_body_timer_exists_only_while_a_body_is_arriving() -> None:
    async def answer(request: Request) -> Response:
        return Response(200, request.body)

    async def main() -> None:
        server = HttpServer(answer, Limits(max_body_bytes=1 << 20, body_seconds=30.0))
        port = await server.listen("127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            head = b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
            writer.write(head + b"ok")  # whole, in one write: no timer at all
            await writer.drain()
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200 OK")
            assert await reader.readexactly(2) == b"ok"
            (conn,) = server.connections
            counting = _CountingLoop(conn.loop)
            conn.loop = cast(asyncio.AbstractEventLoop, counting)
            writer.write(head + b"ok")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            assert await reader.readexactly(2) == b"ok"
            assert counting.timers == 0 and conn.timer is None

            writer.write(head)  # the head alone: the deadline starts
            await writer.drain()
            for _ in range(500):  # bounded: 5 s
                if conn.timer is not None:
                    break
                await asyncio.sleep(0.01)
            assert counting.timers == 1 and server.counters.receiving == 1
            writer.write(b"ok")  # the rest: the timer goes
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            assert await reader.readexactly(2) == b"ok"
            assert conn.timer is None and server.counters.receiving == 0
        finally:
            writer.close()
            await server.close()

    asyncio.run(main())
