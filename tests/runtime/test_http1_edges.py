"""The executor's HTTP/1.1 client at its edges, against hand-written servers on 127.0.0.1:
the head size limit, bodies without a length, chunk sizes and extensions, what a request
puts on the wire, how many idle connections are kept, and which connections it closes.
(test_http1.py has the common framings, keep-alive reuse and the retry.)"""

from __future__ import annotations

import asyncio

import pytest

from seldon_graphs.runtime.http1 import Client, ConnectionClosed

from .http1_servers import Handler, request_head, run, serving

HEAD_LIMIT = 64 * 1024  # an answer's head may not be longer (status line and headers)
IDLE_KEPT = 32  # idle keep-alive connections kept per node
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def answering(*chunks: bytes, then_close: bool = True) -> Handler:
    """A server that reads one request head, writes `chunks` one by one, then hangs up (or
    keeps the connection open until the client closes it)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        if not then_close:
            await reader.read()  # until the client closes
        writer.close()

    return handle


async def get(client: Client, port: int) -> tuple[int, bytes]:
    answer = await client.request("GET", "127.0.0.1", port, "/", {})
    return answer.status, answer.body


# --- the head limit ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "message"),
    [
        (HEAD_LIMIT, "connection closed before the answer"),
        (HEAD_LIMIT + 1, "bad HTTP answer: header too large"),
    ],
)
def test_a_head_longer_than_64_kib_is_refused(size: int, message: str) -> None:
    """A head without its end: up to the limit the client waits for more (and then sees the
    server hang up); one byte beyond, it gives up at once."""
    start = b"HTTP/1.1 200 OK\r\nX-Pad: "
    head = start + b"p" * (size - len(start))

    async def body(client: Client, port: int) -> None:
        with pytest.raises(ConnectionClosed) as failure:
            await get(client, port)
        assert str(failure.value).startswith(message)

    run(answering(head), body)


@pytest.mark.parametrize(
    ("size", "answer"),
    [(HEAD_LIMIT, (200, b"ok")), (HEAD_LIMIT + 1, "bad HTTP answer: header too large")],
)
def test_a_head_that_ends_at_the_limit_is_read(size: int, answer: object) -> None:
    """The limit is on the head before its blank line, wherever the reads split it: a head of
    exactly 64 KiB is an answer (its end arrives with the bytes past the limit)."""
    start = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: "
    head = start + b"p" * (size - len(start))

    async def body(client: Client, port: int) -> None:
        try:
            got: object = await get(client, port)
        except ConnectionClosed as exc:
            got = str(exc)
        assert got == answer

    run(answering(head + b"\r\n\r\nok", then_close=False), body)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n",  # letters in the status
        b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
    ],
    ids=["status", "length", "chunk-size"],
)
def test_an_answer_that_is_not_http_is_an_error(answer: bytes) -> None:
    """httptools (llhttp) names what is wrong; the client says it is a bad answer."""
    wrong = {b"2OO": "Invalid status code", b"two": "Invalid character in Content-Length"}
    said = next((v for k, v in wrong.items() if k in answer), "Invalid character in chunk size")

    async def body(client: Client, port: int) -> None:
        with pytest.raises(ConnectionClosed) as failure:
            await get(client, port)
        assert str(failure.value) == f"bad HTTP answer: {said}"

    run(answering(answer, then_close=False), body)


def test_empty_lines_before_the_status_line_are_ignored() -> None:
    """RFC 9112 section 2.2 lets a recipient skip empty lines before the start line;
    llhttp does, so such an answer is read, not refused."""

    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == (200, b"ok")

    run(
        answering(b"\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", then_close=False), body
    )


def test_a_body_cut_short_of_its_length_is_an_error() -> None:
    async def body(client: Client, port: int) -> None:
        with pytest.raises(ConnectionClosed) as failure:
            await get(client, port)
        assert str(failure.value) == "connection closed before the answer (EOF)"

    run(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"), body)


# --- bodies -----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [100, 204, 304])
def test_answers_that_have_no_body_end_with_their_head(status: int) -> None:
    """No Content-Length needed: the answer is complete without the server hanging up, and
    its connection is kept for the next request."""

    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == (status, b"")
        assert len(client.idle[("127.0.0.1", port)]) == 1

    run(answering(f"HTTP/1.1 {status} X\r\n\r\n".encode(), then_close=False), body)


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_a_body_longer_than_the_head_limit_is_read_whole(chunked: bool) -> None:
    """The 64 KiB limit is on the head alone: the body after it may be any length."""
    data = bytes(range(256)) * 800  # 200 KiB
    if chunked:
        framing = b"Transfer-Encoding: chunked\r\n\r\n"
        answer = framing + b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"
    else:
        answer = b"Content-Length: %d\r\n\r\n" % len(data) + data

    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == (200, data)

    run(answering(b"HTTP/1.1 200 OK\r\n" + answer, then_close=False), body)


def test_a_200_without_a_length_lasts_until_the_server_hangs_up() -> None:
    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == (200, b"part one, part two")

    run(answering(b"HTTP/1.1 200 OK\r\n\r\npart one, ", b"part two"), body)


def test_chunk_sizes_are_hex_and_extensions_are_ignored() -> None:
    data = bytes(range(48, 48 + 26)) + b"!" * 0x1F
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1a;name=value\r\n" + data[:26] + b"\r\n1F\r\n" + data[26:] + b"\r\n0\r\n\r\n"
    )

    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == (200, data)

    run(answering(chunked, then_close=False), body)


def test_a_chunked_body_sent_a_byte_at_a_time_with_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n"
    )

    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == (200, b"hello world")

    run(answering(*(chunked[i : i + 1] for i in range(len(chunked))), then_close=False), body)


def test_a_length_body_sent_a_byte_at_a_time() -> None:
    async def body(client: Client, port: int) -> None:
        assert await get(client, port) == (200, b"ok")

    run(answering(*(OK[i : i + 1] for i in range(len(OK))), then_close=False), body)


# --- what goes on the wire ----------------------------------------------------------------------
def recording(requests: list[bytes]) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(ln.split(b":")[1]) for ln in head.split(b"\r\n") if ln.startswith(b"Content-")),
            0,
        )
        requests.append(head + await reader.readexactly(length))
        writer.write(OK)
        await writer.drain()
        writer.close()

    return handle


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Bad": "a\nEvil: 1"},
        {"X-Bad": "a\rEvil: 1"},
        {"X-Bad\n": "1"},
        {"X-Bad\r": "1"},
    ],
)
def test_a_header_with_a_line_break_anywhere_is_left_out(headers: dict[str, str]) -> None:
    requests: list[bytes] = []

    async def body(client: Client, port: int) -> None:
        await client.request("POST", "127.0.0.1", port, "/p", {"X-Ok": "1", **headers}, b"[1]")
        head = f"POST /p HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Ok: 1\r\nContent-Length: 3"
        assert requests == [head.encode() + b"\r\n\r\n[1]"]

    run(recording(requests), body)


def test_a_request_without_a_body_has_no_length_and_odd_characters_are_replaced() -> None:
    requests: list[bytes] = []

    async def body(client: Client, port: int) -> None:
        await client.request("GET", "127.0.0.1", port, "/q", {"X-Name": "café €"})
        head = f"GET /q HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Name: café ?\r\n\r\n"
        assert requests == [head.encode("latin-1")]

    run(recording(requests), body)


# --- connections --------------------------------------------------------------------------------
def test_at_most_32_idle_connections_are_kept_per_node() -> None:
    """Two waves of 33 concurrent requests: the second reuses the 32 kept connections and
    opens one."""
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while await request_head(reader):
            writer.write(OK)
            await writer.drain()

    async def body(client: Client, port: int) -> None:
        wave = [get(client, port) for _ in range(IDLE_KEPT + 1)]
        assert await asyncio.gather(*wave) == [(200, b"ok")] * (IDLE_KEPT + 1)
        assert connections == IDLE_KEPT + 1
        wave = [get(client, port) for _ in range(IDLE_KEPT + 1)]
        assert await asyncio.gather(*wave) == [(200, b"ok")] * (IDLE_KEPT + 1)
        assert connections == IDLE_KEPT + 2

    run(handle, body)


def closing_watched(hung_up: asyncio.Event, answer: bytes | None) -> Handler:
    """Answers the first request with `answer` (or never), then sets `hung_up` when the
    client closes the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer is not None:
            writer.write(answer)
            await writer.drain()
        assert await reader.read() == b""
        hung_up.set()
        writer.close()

    return handle


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ],
)
def test_the_client_closes_a_connection_the_server_wants_closed(answer: bytes) -> None:
    async def main() -> None:
        hung_up = asyncio.Event()

        async def body(client: Client, port: int) -> None:
            assert await get(client, port) == (200, b"ok")
            await hung_up.wait()  # the test's timeout says it never came
            assert client.idle[("127.0.0.1", port)] == []

        await serving(closing_watched(hung_up, answer), body)

    asyncio.run(main())


def test_a_request_given_up_closes_its_connection() -> None:
    """A node that never answers: the caller's timeout ends the request, and the node sees
    the connection go (nothing is left waiting on it)."""

    async def main() -> None:
        hung_up = asyncio.Event()

        async def body(client: Client, port: int) -> None:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5):
                    await get(client, port)
            await hung_up.wait()
            assert client.idle[("127.0.0.1", port)] == []

        await serving(closing_watched(hung_up, None), body)

    asyncio.run(main())


def test_closing_the_client_closes_its_idle_connections() -> None:
    async def main() -> None:
        hung_up = asyncio.Event()

        async def body(client: Client, port: int) -> None:
            assert await get(client, port) == (200, b"ok")
            assert len(client.idle[("127.0.0.1", port)]) == 1
            client.close()
            await hung_up.wait()
            assert client.idle == {}

        await serving(closing_watched(hung_up, OK), body)

    asyncio.run(main())


def test_a_closed_idle_connection_is_skipped_for_a_live_one() -> None:
    """Two idle connections, the newer closed by the server: the next request goes on the
    older one, not on a new connection."""
    connections: dict[int, asyncio.StreamWriter] = {}  # by the client's port

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[writer.get_extra_info("peername")[1]] = writer
        while await request_head(reader):
            writer.write(OK)
            await writer.drain()

    async def body(client: Client, port: int) -> None:
        await asyncio.gather(get(client, port), get(client, port))
        pooled = client.idle[("127.0.0.1", port)]
        assert len(pooled) == 2 and len(connections) == 2
        newest = pooled[-1]
        assert newest.transport is not None
        connections[newest.transport.get_extra_info("sockname")[1]].close()
        while not newest.closed:  # the close reaches the client; bounded by serving's timeout
            await asyncio.sleep(0.01)
        assert await get(client, port) == (200, b"ok")
        assert len(connections) == 2

    run(handle, body)


def test_a_connection_that_answered_garbage_is_closed() -> None:
    async def main() -> None:
        hung_up = asyncio.Event()

        async def body(client: Client, port: int) -> None:
            with pytest.raises(ConnectionClosed, match=r"^bad HTTP answer"):
                await get(client, port)
            await hung_up.wait()  # the client hung up; the test's timeout says it never did

        garbage = b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"
        await serving(closing_watched(hung_up, garbage), body)

    asyncio.run(main())


@pytest.mark.parametrize("apart", [True, False], ids=["own-read", "with-the-answer"])
def test_bytes_sent_after_an_answer_are_dropped_and_the_connection_still_used(apart: bool) -> None:
    """A node that writes after its answer (nothing asked for them), in a read of their own
    or in the answer's: the bytes are dropped, the answer keeps its headers, and the next
    exchange on that kept-alive connection starts afresh."""
    connections: list[asyncio.StreamWriter] = []
    stray_sent = asyncio.Event()
    stray = b"HTTP/1.1 500 stray\r\nX-Stray: yes\r\nX-More: "  # half an answer, unasked

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        if apart:
            writer.write(OK)
            await stray_sent.wait()
            writer.write(stray)
        else:
            writer.write(OK + stray)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)
        await reader.read()  # until the client closes

    async def body(client: Client, port: int) -> None:
        first = await client.request("GET", "127.0.0.1", port, "/", {})
        pooled = client.idle[("127.0.0.1", port)]
        stray_sent.set()
        while not pooled[0].stray:  # the bytes reached the connection; bounded by serving
            await asyncio.sleep(0.01)
        assert (first.status, first.headers, first.body) == (200, {"content-length": "2"}, b"ok")
        assert await get(client, port) == (200, b"ok")
        assert len(connections) == 1

    run(handle, body)


# --- the client's own timeout (`timeout=`: one timer per exchange, not asyncio.timeout) ----
def test_a_request_past_its_timeout_fails_and_closes_its_connection() -> None:
    async def main() -> None:
        hung_up = asyncio.Event()

        async def body(client: Client, port: int) -> None:
            loop = asyncio.get_running_loop()
            start = loop.time()
            with pytest.raises(TimeoutError):
                await client.request("GET", "127.0.0.1", port, "/", {}, timeout=0.3)
            assert 0.25 <= loop.time() - start < 5  # the timer, not the test's backstop
            await hung_up.wait()
            assert client.idle[("127.0.0.1", port)] == []

        await serving(closing_watched(hung_up, None), body)

    asyncio.run(main())


def test_a_pooled_connection_gets_the_same_timeout() -> None:
    """The second request goes over the kept connection; the server never answers it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)
        await writer.drain()
        await reader.read()  # the second request is read and never answered
        writer.close()

    async def body(client: Client, port: int) -> None:
        assert (await client.request("GET", "127.0.0.1", port, "/", {}, timeout=5)).body == b"ok"
        assert len(client.idle[("127.0.0.1", port)]) == 1
        with pytest.raises(TimeoutError):
            await client.request("GET", "127.0.0.1", port, "/", {}, timeout=0.3)
        assert client.idle[("127.0.0.1", port)] == []

    run(handle, body)


def test_an_answer_in_time_cancels_its_timer() -> None:
    """A kept connection outlives its exchange: a timer left behind would close it later."""

    async def body(client: Client, port: int) -> None:
        answer = await client.request("GET", "127.0.0.1", port, "/", {}, timeout=0.2)
        assert answer.body == b"ok"
        (conn,) = client.idle[("127.0.0.1", port)]
        assert conn.timer is None
        await asyncio.sleep(0.4)  # past the deadline: nothing may fire
        assert not conn.closed
        assert (await client.request("GET", "127.0.0.1", port, "/", {})).body == b"ok"
        assert client.idle[("127.0.0.1", port)] == [conn]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK)
            await writer.drain()
        await reader.read()
        writer.close()

    run(handle, body)
