"""Servers on loopback for the HTTP/1.1 client's tests (test_http1*.py)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from seldon_graphs.runtime.http1 import Client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Body = Callable[[Client, int], Awaitable[None]]


async def serving(handler: Handler, body: Body, host: str = "127.0.0.1") -> None:
    """Run `body(client, port)` against a server running `handler` per connection. Fails if
    anything reached the loop's exception handler: an error raised in one of the client's
    protocol callbacks reaches no caller, only the loop."""
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: errors.append(context))
    server = await asyncio.start_server(handler, host, 0)
    client = Client()
    try:
        async with asyncio.timeout(15):  # each exchange takes milliseconds
            await body(client, server.sockets[0].getsockname()[1])
    finally:
        client.close()
        server.close()
    assert errors == [], f"reached the loop: {errors}"


async def request_head(reader: asyncio.StreamReader) -> bytes:
    """The next request's head; b"" once the client has closed."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return b""


def run(handler: Handler, body: Body, host: str = "127.0.0.1") -> None:
    asyncio.run(serving(handler, body, host))


@contextmanager
def stalled_listener() -> Iterator[tuple[socket.socket, int]]:
    """A listener whose accept queue is full (a connection it never accepted fills it): a
    connect to it stays pending, its SYN dropped, until the queue has room again."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # room for one connection not yet accepted
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    try:
        yield listener, port
    finally:
        filler.close()
        listener.close()
