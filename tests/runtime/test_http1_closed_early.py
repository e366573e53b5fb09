"""A node that closes a fresh connection before the executor writes its request: the call
must fail at once with ConnectionClosed, never wait for an answer that cannot come (the
transport's timeout would be the only way out, or none where a caller sets no timeout)."""

from __future__ import annotations

import asyncio

import pytest

from seldon_graphs.runtime.http1 import Client, ConnectionClosed

REQUEST = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


async def _closed_before_the_request() -> None:
    accepted = asyncio.Event()

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Client()
    try:
        conn = await client._connect("127.0.0.1", port)
        await asyncio.wait_for(accepted.wait(), 5)
        for _ in range(500):  # the node's FIN reaching the client: bounded, 5 s at most
            if conn.closed:
                break
            await asyncio.sleep(0.01)
        assert conn.closed, "the node's close never reached the client"
        with pytest.raises(ConnectionClosed) as failure:
            await asyncio.wait_for(client._exchange(conn, REQUEST, []), 2)
        assert str(failure.value) == "connection closed before the request"
    finally:
        client.close()
        server.close()


def test_a_fresh_connection_the_node_already_closed_fails_at_once() -> None:
    asyncio.run(_closed_before_the_request())
