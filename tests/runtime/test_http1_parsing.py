"""The executor's HTTP client on httptools' parser: the framings and failures the hand-written
parser handled, answered byte by byte as well as whole, against real sockets."""

from __future__ import annotations

import asyncio

import pytest

from seldon_graphs.runtime.http1 import MAX_HEAD, Client, ConnectionClosed, Response


async def serve_once(reply: bytes, *, split: bool) -> tuple[Response | Exception, int]:
    """One request answered with `reply` (one byte per write when `split`), then the server
    closes; the client's answer or error, and how many connections were accepted."""
    accepted = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        await reader.readuntil(b"\r\n\r\n")
        for piece in [reply[i : i + 1] for i in range(len(reply))] if split else [reply]:
            writer.write(piece)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Client()
    try:
        async with asyncio.timeout(20):
            answer: Response | Exception = await client.request("GET", "127.0.0.1", port, "/", {})
    except ConnectionClosed as exc:
        answer = exc
    finally:
        client.close()
        server.close()
    return answer, accepted


FRAMINGS = [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Y:  padded  \r\n\r\nhello", 200, b"hello"),
    (b"HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n", 500, b""),
    (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b""),
    (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n0\r\n\r\n",
        200,
        b"abcd",
    ),
    (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\nTrailer: t\r\n\r\n",
        200,
        b"z",
    ),
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", 200, b"until the end"),
    (b"HTTP/1.0 404 Not Found\r\n\r\n", 404, b""),
]


@pytest.mark.parametrize("split", [False, True], ids=["whole", "byte-by-byte"])
@pytest.mark.parametrize(("reply", "status", "body"), FRAMINGS)
def test_framings(reply: bytes, status: int, body: bytes, split: bool) -> None:
    answer, _ = asyncio.run(serve_once(reply, split=split))
    assert isinstance(answer, Response)
    assert (answer.status, answer.body) == (status, body)


def test_header_values_are_trimmed_and_names_lower_cased() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Seldon-Thing:  v a l  \r\n\r\n"
    answer, _ = asyncio.run(serve_once(reply, split=False))
    assert isinstance(answer, Response)
    assert answer.headers == {"content-length": "0", "x-seldon-thing": "v a l"}


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["status", "status-line", "content-length", "chunk-size"],
)
def test_a_malformed_answer_is_a_connection_error(reply: bytes) -> None:
    answer, accepted = asyncio.run(serve_once(reply, split=False))
    assert isinstance(answer, ConnectionClosed)
    assert str(answer).startswith("bad HTTP answer")
    assert accepted == 1  # not retried: the node may have acted on the request


def test_a_head_larger_than_the_limit_is_refused() -> None:
    reply = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (MAX_HEAD + 1) + b"\r\nContent-Length: 0\r\n\r\n"
    answer, _ = asyncio.run(serve_once(reply, split=False))
    assert isinstance(answer, ConnectionClosed)
    assert str(answer) == "bad HTTP answer: header too large"


@pytest.mark.parametrize(
    ("head", "pooled"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 1),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n", 0),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", 0),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", 0),
    ],
    ids=["1.1", "1.1-close", "1.0", "1.0-keep-alive"],
)
def test_which_answers_leave_the_connection_pooled(head: bytes, pooled: int) -> None:
    async def main() -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(head + b"ok")
            await writer.drain()
            await reader.read()  # hold the connection open until the client lets go

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Client()
        try:
            async with asyncio.timeout(20):
                assert (await client.request("GET", "127.0.0.1", port, "/", {})).body == b"ok"
            return len(client.idle[("127.0.0.1", port)])
        finally:
            client.close()
            server.close()

    assert asyncio.run(main()) == pooled


def test_a_head_that_never_ends_is_refused() -> None:
    reply = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (MAX_HEAD + 1)
    answer, _ = asyncio.run(serve_once(reply, split=False))
    assert isinstance(answer, ConnectionClosed)
    assert str(answer) == "bad HTTP answer: header too large"
