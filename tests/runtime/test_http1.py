"""The executor's small HTTP/1.1 client against hand-written servers: every framing."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from collections.abc import Awaitable, Callable

import pytest

from seldon_graphs.runtime.http1 import Client, ConnectionClosed

from .http1_servers import stalled_listener

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


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def idle_closing_server(
    on_second: Callable[[asyncio.StreamWriter], Awaitable[None]],
) -> tuple[asyncio.Server, list[int]]:
    """A keep-alive server that answers a connection's first request and then, at its second,
    calls `on_second` (a node's keep-alive idling out just as a request arrives). Counts the
    requests each connection carried."""
    served: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.append(0)
        index = len(served) - 1
        while await reader.readuntil(b"\r\n\r\n"):
            served[index] += 1
            if served[index] == 2:
                await on_second(writer)
                return
            writer.write(OK)
            await writer.drain()

    return await asyncio.start_server(handle, "127.0.0.1", 0), served


def test_a_pooled_connection_the_server_closed_is_retried_on_a_fresh_one():
    async def hang_up(writer: asyncio.StreamWriter) -> None:
        writer.close()  # before any answer byte

    async def main() -> list[int]:
        server, served = await idle_closing_server(hang_up)
        port = server.sockets[0].getsockname()[1]
        client = Client()
        try:
            for _ in range(2):
                answer = await client.request("POST", "127.0.0.1", port, "/p", {}, b"[1]")
                assert (answer.status, answer.body) == (200, b"ok")
        finally:
            client.close()
            server.close()
        return served

    assert asyncio.run(main()) == [2, 1]  # the second request went again, on a new connection


def test_an_answer_cut_short_is_an_error_not_a_retry():
    async def half_answer(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Len")  # the node may have acted on it
        await writer.drain()
        writer.close()

    async def main() -> list[int]:
        server, served = await idle_closing_server(half_answer)
        port = server.sockets[0].getsockname()[1]
        client = Client()
        try:
            await client.request("POST", "127.0.0.1", port, "/p", {}, b"[1]")
            with pytest.raises(ConnectionClosed, match="connection closed before the answer"):
                await client.request("POST", "127.0.0.1", port, "/p", {}, b"[1]")
        finally:
            client.close()
            server.close()
        return served

    assert asyncio.run(main()) == [2]


def test_a_connection_closed_while_idle_is_not_reused():
    async def main() -> list[int]:
        served: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            served.append(1)
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK)  # keep-alive by its headers, then closed while idle
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Client()
        try:
            await client.request("GET", "127.0.0.1", port, "/", {})
            pooled = client.idle[("127.0.0.1", port)]
            async with asyncio.timeout(10):
                while not (pooled and pooled[0].closed):  # the close has reached the client
                    await asyncio.sleep(0.01)
            async with asyncio.timeout(10):  # sending on it would wait for ever
                answer = await client.request("GET", "127.0.0.1", port, "/", {})
            assert answer.body == b"ok"
        finally:
            client.close()
            server.close()
        return served

    assert asyncio.run(main()) == [1, 1]


def test_a_connect_that_does_not_complete_at_once():
    """A listener whose accept queue is full drops the SYN; the connect completes only after
    the queue drains (the kernel retransmits the SYN), so the client must wait for it."""
    connecting = threading.Event()

    def serve(listener: socket.socket) -> None:
        connecting.wait(30)
        listener.accept()[0].close()  # the filler: the queue has room again
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            conn.sendall(OK)

    async def main(port: int) -> bytes:
        client = Client()
        try:
            call = asyncio.create_task(client.request("GET", "127.0.0.1", port, "/", {}))
            await asyncio.sleep(0)  # its first step: the connect is issued and pending
            assert not call.done()
            connecting.set()
            async with asyncio.timeout(30):
                return (await call).body
        finally:
            client.close()

    with stalled_listener() as (listener, port):
        server = threading.Thread(target=serve, args=(listener,), daemon=True)
        server.start()
        try:
            assert asyncio.run(main(port)) == b"ok"
        finally:
            connecting.set()
            server.join(30)


def test_a_refused_connect_is_an_oserror_naming_the_address():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connects are refused

        async def main() -> None:
            with pytest.raises(ConnectionRefusedError) as refused:
                await Client().request("GET", "127.0.0.1", port, "/", {})
            assert refused.value.errno == errno.ECONNREFUSED
            assert str(refused.value).endswith(f"Connect call failed ('127.0.0.1', {port})")

        asyncio.run(main())


def test_a_connect_that_fails_later_is_a_connect_error():
    """The same pending connect, refused when the listener goes away: reported as the
    connect's failure (nothing was sent), not as a connection lost mid-exchange."""

    async def main(listener: socket.socket, port: int) -> None:
        client = Client()
        try:
            call = asyncio.create_task(client.request("GET", "127.0.0.1", port, "/", {}))
            await asyncio.sleep(0)  # the connect is issued and pending
            assert not call.done()
            listener.close()  # the retransmitted SYN is refused
            with pytest.raises(ConnectionRefusedError, match="Connect call failed"):
                async with asyncio.timeout(30):
                    await call
        finally:
            client.close()

    with stalled_listener() as (listener, port):
        asyncio.run(main(listener, port))
