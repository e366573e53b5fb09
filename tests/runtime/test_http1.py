"""The executor's small HTTP/1.1 client against hand-written servers: every framing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from seldon_graphs.runtime.http1 import Client, ConnectionClosed

Answer = Callable[[bytes], bytes | None]


async def with_server(answer: Answer, body: Callable[[Client, int], Awaitable[None]]) -> int:
    """Run `body` against a server answering each request with `answer(request)`."""
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            length = next(
                (int(v) for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n"))
                 if k.lower() == b"content-length"),
                0,
            )  # fmt: skip
            request = head + await reader.readexactly(length)
            reply = answer(request)
            if reply is None:
                break
            writer.write(reply)
            await writer.drain()
            if b"Connection: close" in reply or (
                b"Content-Length" not in reply and b"chunked" not in reply
            ):
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Client()
    try:
        await body(client, port)
    finally:
        client.close()
        server.close()
    return connections


def run(answer: Answer, body: Callable[[Client, int], Awaitable[None]]) -> int:
    async def main() -> int:
        return await with_server(answer, body)

    return asyncio.run(main())


def test_content_length_and_keep_alive_reuse():
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    async def body(client: Client, port: int) -> None:
        for _ in range(3):
            r = await client.request("POST", "127.0.0.1", port, "/p", {"X-A": "1"}, b"[1]")
            assert (r.status, r.body, r.headers["content-type"]) == (200, b"{}", "application/json")

    assert run(lambda req: reply, body) == 1  # one connection for three requests


def test_connection_close_is_honoured():
    reply = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"

    async def body(client: Client, port: int) -> None:
        for _ in range(2):
            assert (await client.request("GET", "127.0.0.1", port, "/", {})).body == b"ok"

    assert run(lambda req: reply, body) == 2


def test_chunked_and_close_delimited_bodies():
    chunked = (
        b"HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    until_close = b"HTTP/1.0 200 OK\r\n\r\nthe whole rest"

    async def body(client: Client, port: int) -> None:
        r = await client.request("GET", "127.0.0.1", port, "/", {})
        assert (r.status, r.body) == (409, b"abcde")

    run(lambda req: chunked, body)

    async def body2(client: Client, port: int) -> None:
        assert (await client.request("GET", "127.0.0.1", port, "/", {})).body == b"the whole rest"

    run(lambda req: until_close, body2)


def test_a_server_that_hangs_up_is_an_error():
    async def body(client: Client, port: int) -> None:
        with pytest.raises(ConnectionClosed):
            await client.request("POST", "127.0.0.1", port, "/", {}, b"x")

    run(lambda req: None, body)


def test_header_injection_is_dropped():
    seen: list[bytes] = []
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    def answer(req: bytes) -> bytes:
        seen.append(req)
        return reply

    async def body(client: Client, port: int) -> None:
        await client.request("GET", "127.0.0.1", port, "/", {"X-Ok": "1", "X-Bad": "a\r\nEvil: 1"})

    run(answer, body)
    assert b"X-Ok: 1" in seen[0] and b"Evil" not in seen[0]
