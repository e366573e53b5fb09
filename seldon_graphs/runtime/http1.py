"""A small HTTP/1.1 client on asyncio protocols: the executor's node calls, at a third of
aiohttp's CPU cost per call (the wrapper's gunicorn closes every connection, so each call
is a new connection, and that setup dominates).

Content-Length, chunked and close-delimited bodies; keep-alive connections are pooled per
endpoint when the server allows it; a pooled connection that turns out closed before any
answer byte is retried once on a fresh one. No TLS, no proxies, no redirects: nodes are on
loopback or a private Docker network.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import select
import socket
from dataclasses import dataclass, field

MAX_HEAD = 64 * 1024
IDLE_PER_ENDPOINT = 32


class ConnectionClosed(ConnectionError):
    """The server closed the connection before the whole answer arrived."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class _Parse:
    """Response framing state of one exchange."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None  # Content-Length
    chunked: bool = False
    head_done: bool = False
    keep_alive: bool = True


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Response] | None = None
        self.parse = _Parse()
        self.closed = False
        self.received = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, data: bytes) -> asyncio.Future[Response]:
        assert self.transport is not None
        self.buffer.clear()
        self.parse = _Parse()
        self.received = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.received = True
        self.buffer += data
        try:
            response = self._response()
        except ValueError as exc:
            self._fail(ConnectionClosed(f"bad HTTP answer: {exc}"))
            return
        if response is not None and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is None or self.waiter.done():
            return
        p = self.parse
        if p.head_done and p.length is None and not p.chunked:  # close-delimited body
            body = bytes(self.buffer)
            self.waiter.set_result(Response(p.status, p.headers, body))
            return
        self._fail(ConnectionClosed(f"connection closed before the answer ({exc or 'EOF'})"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def _response(self) -> Response | None:
        p = self.parse
        if not p.head_done and not self._head():
            return None
        if p.length is not None:
            if len(self.buffer) < p.length:
                return None
            return Response(p.status, p.headers, bytes(self.buffer[: p.length]))
        if p.chunked:
            body = _dechunk(self.buffer)
            return None if body is None else Response(p.status, p.headers, body)
        return None  # close-delimited: finished in connection_lost

    def _head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                raise ValueError("header too large")
            return False
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        version, _, rest = lines[0].partition(" ")
        p = self.parse
        p.status = int(rest.split(" ", 1)[0])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            p.headers[name.strip().lower()] = value.strip()
        connection = p.headers.get("connection", "").lower()
        p.keep_alive = version == "HTTP/1.1" and "close" not in connection
        if "chunked" in p.headers.get("transfer-encoding", "").lower():
            p.chunked = True
        elif "content-length" in p.headers:
            p.length = int(p.headers["content-length"])
        elif p.status in (204, 304) or 100 <= p.status < 200:
            p.length = 0
        else:
            p.keep_alive = False
        p.head_done = True
        return True


def _dechunk(buffer: bytearray) -> bytes | None:
    """The body of a complete chunked message, or None if more bytes are needed."""
    body = bytearray()
    pos = 0
    while True:
        eol = buffer.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buffer[pos:eol]).split(b";")[0], 16)
        pos = eol + 2
        if size == 0:  # then optional trailers, then an empty line
            if buffer[pos : pos + 2] == b"\r\n" or buffer.find(b"\r\n\r\n", pos) >= 0:
                return bytes(body)
            return None
        if len(buffer) < pos + size + 2:
            return None
        body += buffer[pos : pos + size]
        pos += size + 2


def _request_bytes(
    method: str, host: str, port: int, path: str, headers: dict[str, str], body: bytes | None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    for name, value in headers.items():
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            continue  # never let a header value start a new header
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return head + (body or b"")


_IPV4: dict[str, bool] = {}


def _is_ipv4(host: str) -> bool:
    known = _IPV4.get(host)
    if known is None:
        try:
            ipaddress.IPv4Address(host)
            known = True
        except ValueError:
            known = False
        if len(_IPV4) < 1024:
            _IPV4[host] = known
    return known


async def _sock_connect(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, address: tuple[str, int]
) -> None:
    """`loop.sock_connect` for an IPv4 literal, without its name resolution, and without an
    event-loop round trip when the connection is already up (loopback usually is, at once)."""
    err = sock.connect_ex(address)
    if err in (errno.EINPROGRESS, errno.EINTR):
        poll = select.poll()
        poll.register(sock, select.POLLOUT)
        if not poll.poll(0):
            done = loop.create_future()
            fd = sock.fileno()
            loop.add_writer(fd, _resolve, done)
            try:
                await done
            finally:
                loop.remove_writer(fd)
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        raise OSError(err, f"Connect call failed {address}")  # asyncio's own message


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Client:
    """Keep-alive pools per (host, port)."""

    def __init__(self) -> None:
        self.idle: dict[tuple[str, int], list[_Connection]] = {}

    async def _connect(self, host: str, port: int) -> _Connection:
        loop = asyncio.get_running_loop()
        if not _is_ipv4(host):  # a name (or IPv6): asyncio resolves it
            _, conn = await loop.create_connection(_Connection, host, port)
            return conn
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            await _sock_connect(loop, sock, (host, port))
            _, conn = await loop.create_connection(_Connection, sock=sock)
        except BaseException:
            sock.close()
            raise
        return conn

    async def request(
        self,
        method: str,
        host: str,
        port: int,
        path: str,
        headers: dict[str, str],
        body: bytes | None = None,
    ) -> Response:
        data = _request_bytes(method, host, port, path, headers, body)
        pool = self.idle.setdefault((host, port), [])
        while pool:
            conn = pool.pop()
            if conn.closed:
                continue
            try:
                return await self._exchange(conn, data, pool)
            except ConnectionClosed:
                if conn.received:
                    raise
                continue  # a stale keep-alive connection: try a fresh one
        return await self._exchange(await self._connect(host, port), data, pool)

    async def _exchange(self, conn: _Connection, data: bytes, pool: list[_Connection]) -> Response:
        try:
            response = await conn.send(data)
        except BaseException:
            if conn.transport is not None:
                conn.transport.close()
            raise
        if conn.parse.keep_alive and not conn.closed and len(pool) < IDLE_PER_ENDPOINT:
            pool.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        return response

    def close(self) -> None:
        for pool in self.idle.values():
            for conn in pool:
                if conn.transport is not None:
                    conn.transport.close()
        self.idle.clear()
