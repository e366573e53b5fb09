"""The executor's HTTP/1.1 client where a mutation run found it untested, against servers on
loopback: connects by name and by IPv6 literal, which answers keep their connection, bytes
nobody asked for, where reads split an answer's head, headers dropped from a request, and the
client's own timer (`timeout=`: armed once per exchange, shared by a retry, never left behind).

Every exchange runs with an exception handler on the loop: an error raised in a protocol
callback reaches no caller, only the loop, so each test also checks that none did."""

from __future__ import annotations

import asyncio
import fcntl
import struct
import termios
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from seldon_graphs.runtime.http1 import MAX_HEAD, Client, ConnectionClosed

from .http1_servers import Handler, request_head, run, serving, stalled_listener

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
# How a server answers: (its writer, the connection's number, the request's number on it),
# both counted from 0, to the answer's bytes, or None to hang up before any answer byte.
Reply = Callable[[asyncio.StreamWriter, int, int], Awaitable[bytes | None]]


async def get(client: Client, port: int, host: str = "127.0.0.1", **options: Any) -> bytes:
    answer = await client.request("GET", host, port, "/", {}, **options)
    assert answer.status == 200
    return answer.body


def replying(reply: Reply, connections: list[int]) -> Handler:
    """Answers each request with `reply`, keeping the connection until the client closes it;
    `connections[i]` is how many requests the i-th connection carried."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(connections)
        connections.append(0)
        while await request_head(reader):
            connections[index] += 1
            answer = await reply(writer, index, connections[index] - 1)
            if answer is None:
                break
            writer.write(answer)
            await writer.drain()
        writer.close()

    return handle


def always(answer: bytes) -> Reply:
    async def reply(_writer: asyncio.StreamWriter, _connection: int, _request: int) -> bytes:
        return answer

    return reply


def _queued(sock: Any, request: int) -> int:
    return int(struct.unpack("i", fcntl.ioctl(sock.fileno(), request, struct.pack("i", 0)))[0])


async def delivered(writer: asyncio.StreamWriter, client_socket: Any) -> None:
    """Until the client has read every byte `writer` wrote: nothing left in the server's
    buffer or its socket's send queue (TIOCOUTQ), nothing unread in the client's (FIONREAD).
    The client reads in a protocol callback, so its `data_received` has run on all of it and
    the next write arrives in a read of its own."""
    await writer.drain()
    server_socket = writer.get_extra_info("socket")
    while (
        writer.transport.get_write_buffer_size()
        or _queued(server_socket, termios.TIOCOUTQ)
        or _queued(client_socket, termios.FIONREAD)
    ):
        await asyncio.sleep(0.001)  # bounded by serving's timeout


# --- connecting -------------------------------------------------------------------------------
def recording(requests: list[bytes]) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await request_head(reader):
            requests.append(head)
            writer.write(OK)
            await writer.drain()
        writer.close()

    return handle


def test_a_node_is_reached_by_host_name() -> None:
    """A name is resolved (by asyncio), and its connection pooled under that name."""
    requests: list[bytes] = []

    async def body(client: Client, port: int) -> None:
        assert [await get(client, port, "localhost") for _ in range(2)] == [b"ok", b"ok"]
        assert len(client.idle[("localhost", port)]) == 1
        assert requests == [f"GET / HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode()] * 2

    run(recording(requests), body)


def test_a_node_is_reached_on_an_ipv6_literal_named_in_brackets() -> None:
    """An IPv6 literal is not an IPv4 one: it is connected over IPv6, and the Host header
    brackets it (RFC 9112 section 3.2: `::1:8000` would name no host)."""
    requests: list[bytes] = []

    async def body(client: Client, port: int) -> None:
        assert [await get(client, port, "::1") for _ in range(2)] == [b"ok", b"ok"]
        assert len(client.idle[("::1", port)]) == 1
        assert requests == [f"GET / HTTP/1.1\r\nHost: [::1]:{port}\r\n\r\n".encode()] * 2

    run(recording(requests), body, host="::1")


# --- which answers keep their connection ----------------------------------------------------
@pytest.mark.parametrize(
    "framing",
    [
        b"Transfer-Encoding: chunked",
        b"transfer-encoding: Chunked",
        b"Transfer-Encoding: gzip, chunked",
    ],
    ids=["chunked", "any-case", "last-of-two"],
)
def test_a_chunked_answer_keeps_its_connection(framing: bytes) -> None:
    """Chunked framing ends the answer without the server hanging up: the connection is
    pooled and carries the next request."""
    answer = b"HTTP/1.1 200 OK\r\n" + framing + b"\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    connections: list[int] = []

    async def body(client: Client, port: int) -> None:
        assert [await get(client, port) for _ in range(3)] == [b"ok"] * 3
        assert connections == [3]

    run(replying(always(answer), connections), body)


def test_a_stale_pooled_connection_gives_way_to_the_next_pooled_one() -> None:
    """Two idle connections; the newer one is closed by the node when the request arrives
    (its keep-alive ran out): the request goes again on the older one, not on a new one."""
    connections: list[int] = []
    stale: list[int] = []  # the client's port of the connection the node drops

    async def reply(writer: asyncio.StreamWriter, _connection: int, _request: int) -> bytes | None:
        return None if writer.get_extra_info("peername")[1] in stale else OK

    async def body(client: Client, port: int) -> None:
        assert await asyncio.gather(get(client, port), get(client, port)) == [b"ok", b"ok"]
        older, newer = client.idle[("127.0.0.1", port)]
        assert newer.transport is not None
        stale.append(newer.transport.get_extra_info("sockname")[1])
        assert await get(client, port) == b"ok"
        assert connections == [2, 2]  # each carried its first request and this one
        assert client.idle[("127.0.0.1", port)] == [older]

    run(replying(reply, connections), body)


# --- bytes nobody asked for -----------------------------------------------------------------
def test_bytes_after_an_answer_that_are_not_http_are_dropped_in_a_read_of_their_own() -> None:
    """Nothing asked for them, so nothing parses them: the connection stays in use."""
    connections: list[int] = []
    sockets: list[Any] = []  # the client's, once the first answer is in
    dropped = asyncio.Event()

    async def reply(writer: asyncio.StreamWriter, _connection: int, request: int) -> bytes:
        if request == 1:
            writer.write(OK)
            await delivered(writer, sockets[0])
            writer.write(b"\x00 not HTTP \r\n\r\n")
            await delivered(writer, sockets[0])
            dropped.set()
            return b""
        return OK

    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == b"ok"
        (conn,) = client.idle[("127.0.0.1", port)]
        assert conn.transport is not None
        sockets.append(conn.transport.get_extra_info("socket"))
        assert await get(client, port) == b"ok"
        await dropped.wait()
        assert await get(client, port) == b"ok"
        assert connections == [3]
        assert client.idle[("127.0.0.1", port)] == [conn]

    run(replying(reply, connections), body)


@pytest.mark.parametrize(
    ("after", "connections"),
    [
        (OK, [2]),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", [2]),
        (b"\x00 not HTTP", [1, 1]),
    ],
    ids=["a-whole-answer", "half-an-answer", "not-http"],
)
def test_bytes_in_the_read_that_ends_an_answer_never_reach_a_caller(
    after: bytes, connections: list[int]
) -> None:
    """Another answer (whole or part) in the same read is dropped and the connection used
    again; bytes that are not HTTP make it untrustworthy: closed, the next request goes on a
    fresh one. Either way each caller gets its own answer, and no error reaches the loop."""
    seen: list[int] = []

    async def reply(_writer: asyncio.StreamWriter, _connection: int, request: int) -> bytes:
        return OK + after if request == 0 else OK

    async def body(client: Client, port: int) -> None:
        assert [await get(client, port) for _ in range(2)] == [b"ok", b"ok"]
        assert seen == connections

    run(replying(reply, seen), body)


def test_a_timeout_during_a_body_that_lasts_until_the_close_leaves_no_error_behind() -> None:
    """The timer fails the call, the client hangs up, and the close it causes finds the call
    already over: nothing more may be set on it."""

    async def main() -> None:
        hung_up = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await request_head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\n\r\nthe start of a body")
            assert await reader.read() == b""
            hung_up.set()
            writer.close()

        async def body(client: Client, port: int) -> None:
            with pytest.raises(TimeoutError):
                await get(client, port, timeout=0.2)
            await hung_up.wait()  # the client's connection_lost has run
            assert client.idle[("127.0.0.1", port)] == []

        await serving(handle, body)

    asyncio.run(main())


# --- where reads split an answer's head ------------------------------------------------------
def split_answer(parts: list[bytes], sockets: list[Any]) -> Handler:
    """The first request answered with OK; the second with `parts`, each in a read of its own
    (the client's socket in `sockets[0]`, put there by the test after the first answer)."""

    async def reply(writer: asyncio.StreamWriter, _connection: int, request: int) -> bytes:
        for part in parts if request == 1 else []:
            writer.write(part)
            await delivered(writer, sockets[0])
        return OK if request == 0 else b""

    return replying(reply, [])


async def second_answer(client: Client, port: int, sockets: list[Any]) -> bytes | str:
    assert await get(client, port) == b"ok"
    (conn,) = client.idle[("127.0.0.1", port)]
    assert conn.transport is not None
    sockets.append(conn.transport.get_extra_info("socket"))
    try:
        return await get(client, port)
    except ConnectionClosed as exc:
        return str(exc)


def padded_head(size: int) -> bytes:
    """A head of `size` bytes before its blank line, with a Content-Length of 2."""
    start = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: "
    return start + b"p" * (size - len(start))


@pytest.mark.parametrize(
    ("size", "answer"),
    [(MAX_HEAD - 1, b"ok"), (MAX_HEAD, b"ok"), (MAX_HEAD + 1, "bad HTTP answer: header too large")],
    ids=["under", "at-the-limit", "one-past"],
)
@pytest.mark.parametrize("cut", [0, 1, 2, 3, 4])
def test_the_head_limit_holds_wherever_a_read_ends_in_the_blank_line(
    size: int, answer: bytes | str, cut: int
) -> None:
    """The head's blank line split by the reads (`cut` of its 4 bytes in the first): the limit
    is on the bytes before the blank line, whichever read they came in."""
    head = padded_head(size) + b"\r\n\r\n"
    parts = [head[: size + cut], head[size + cut :] + b"ok"]
    sockets: list[Any] = []

    async def body(client: Client, port: int) -> None:
        assert await second_answer(client, port, sockets) == answer

    run(split_answer(parts, sockets), body)


@pytest.mark.parametrize("reads", [2, 3, 40])
def test_the_head_limit_counts_every_read(reads: int) -> None:
    """A head over the limit in reads each well under it is refused all the same."""
    head = padded_head(MAX_HEAD + 1) + b"\r\n\r\nok"
    step = -(-len(head) // reads)
    parts = [head[i : i + step] for i in range(0, len(head), step)]
    sockets: list[Any] = []

    async def body(client: Client, port: int) -> None:
        assert await second_answer(client, port, sockets) == "bad HTTP answer: header too large"

    run(split_answer(parts, sockets), body)


# --- what a request puts on the wire ---------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {"X-Bad": "a\r\nEvil: 1", "X-Ok": "1", "X-Also": "2"},
        {"X-Ok": "1", "X-Bad\n": "v", "X-Also": "2"},
        {"X-Ok": "1", "X-Bad": "\r", "X-Worse": "\n", "X-Also": "2"},
    ],
    ids=["first", "between", "two-in-a-row"],
)
def test_the_headers_after_one_with_a_line_break_are_still_sent(headers: dict[str, str]) -> None:
    requests: list[bytes] = []

    async def body(client: Client, port: int) -> None:
        await client.request("GET", "127.0.0.1", port, "/", headers)
        sent = [f"{k}: {v}" for k, v in headers.items() if k in ("X-Ok", "X-Also")]
        head = "\r\n".join(["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", *sent])
        assert requests == [f"{head}\r\n\r\n".encode()]

    run(recording(requests), body)


# --- the client's own timer ------------------------------------------------------------------
class TimedLoop(asyncio.SelectorEventLoop):
    """A real event loop that keeps the timers the client arms (`_expire`), to count them and
    see them cancelled: nothing else shows a timer that never fires."""

    def __init__(self) -> None:
        super().__init__()
        self.armed: list[tuple[float, asyncio.TimerHandle]] = []

    def call_later(  # type: ignore[override]
        self, delay: float, callback: Callable[..., object], *args: Any, **kw: Any
    ) -> asyncio.TimerHandle:
        handle = super().call_later(delay, callback, *args, **kw)
        if getattr(callback, "__name__", "") == "_expire":
            self.armed.append((delay, handle))
        return handle


def run_timed(handler: Handler, body: Callable[[Client, int, TimedLoop], Awaitable[None]]) -> None:
    with asyncio.Runner(loop_factory=TimedLoop) as runner:
        loop = runner.get_loop()
        assert isinstance(loop, TimedLoop)
        runner.run(serving(handler, lambda client, port: body(client, port, loop)))


@pytest.mark.parametrize(
    ("timeouts", "armed"), [([None, None], 0), ([0.5, 0.5], 2), ([None, 0.5], 1), ([0.5, None], 1)]
)
def test_one_timer_per_exchange_with_a_timeout_and_none_without(
    timeouts: list[float | None], armed: int
) -> None:
    """Each one cancelled once its answer is in, and never longer than the timeout."""
    connections: list[int] = []

    async def body(client: Client, port: int, loop: TimedLoop) -> None:
        assert [await get(client, port, timeout=t) for t in timeouts] == [b"ok", b"ok"]
        assert len(loop.armed) == armed
        assert all(0 <= delay <= 0.5 and handle.cancelled() for delay, handle in loop.armed)
        assert connections == [2]

    run_timed(replying(always(OK), connections), body)


async def drop_second(_writer: asyncio.StreamWriter, connection: int, request: int) -> bytes | None:
    """The first connection's second request finds the node's keep-alive run out."""
    return None if (connection, request) == (0, 1) else OK


def test_a_retry_on_a_fresh_connection_arms_its_own_timer_and_cancels_both() -> None:
    connections: list[int] = []

    async def body(client: Client, port: int, loop: TimedLoop) -> None:
        assert await get(client, port) == b"ok"
        assert await get(client, port, timeout=5) == b"ok"
        assert connections == [2, 1]
        assert [handle.cancelled() for _, handle in loop.armed] == [True, True]

    run_timed(replying(drop_second, connections), body)


def test_a_timer_from_an_answered_exchange_cannot_fail_the_next_one() -> None:
    """The first exchange's deadline passes while the second, on the same connection and
    without a timeout, waits for a slower answer: that answer is the second one's."""
    connections: list[int] = []

    async def reply(_writer: asyncio.StreamWriter, _connection: int, request: int) -> bytes:
        if request == 1:
            await asyncio.sleep(0.6)  # a slow node: past the first exchange's deadline
        return OK

    async def body(client: Client, port: int) -> None:
        assert await get(client, port, timeout=0.5) == b"ok"
        assert await get(client, port) == b"ok"
        assert connections == [2]
        assert len(client.idle[("127.0.0.1", port)]) == 1

    run(replying(reply, connections), body)


def test_a_request_fails_at_its_deadline_before_a_later_answer() -> None:
    """The node answers after twice the timeout: the timer fires first (both run on the one
    loop, in the order they are due, however slowly the machine runs them)."""
    connections: list[int] = []

    async def reply(_writer: asyncio.StreamWriter, _connection: int, _request: int) -> bytes:
        await asyncio.sleep(0.6)
        return OK

    async def body(client: Client, port: int) -> None:
        with pytest.raises(TimeoutError):
            await get(client, port, timeout=0.3)
        assert client.idle[("127.0.0.1", port)] == []

    run(replying(reply, connections), body)


def test_a_connect_that_does_not_complete_fails_at_the_deadline() -> None:
    """A listener whose accept queue is full drops the SYN: the connect stays pending, and the
    request's timeout ends it, before a timer due at twice the timeout."""

    async def main(port: int) -> None:
        late = asyncio.Event()
        asyncio.get_running_loop().call_later(0.6, late.set)
        client = Client()
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(10):  # the test's own bound, far later
                    await get(client, port, timeout=0.3)
            assert not late.is_set()
        finally:
            client.close()

    with stalled_listener() as (_, port):
        asyncio.run(main(port))


def test_the_deadline_spans_a_retry_on_a_fresh_connection() -> None:
    """The pooled connection is dropped by the node 0.5 s into a 1 s timeout; the fresh one
    answers 0.7 s after it gets the request, past the request's deadline though within a
    timeout of its own. The order of these timers on the one loop makes the outcome certain."""
    connections: list[int] = []
    start: list[float] = []

    async def reply(_writer: asyncio.StreamWriter, connection: int, request: int) -> bytes | None:
        loop = asyncio.get_running_loop()
        if (connection, request) == (0, 1):
            await asyncio.sleep(start[0] + 0.5 - loop.time())
            return None  # hung up before any answer byte
        if connection == 1:
            await asyncio.sleep(0.7)
        return OK

    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == b"ok"
        start.append(asyncio.get_running_loop().time())
        with pytest.raises(TimeoutError):
            await get(client, port, timeout=1.0)
        assert connections == [2, 1]

    run(replying(reply, connections), body)
