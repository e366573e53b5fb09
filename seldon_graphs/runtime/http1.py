"""A small HTTP/1.1 client on asyncio protocols: the executor's node calls. Responses are
parsed by httptools (llhttp, the parser uvicorn uses): issue 14's benchmark put it within 10 %
of the hand-written parser this module had (143 µs vs 148 µs of client CPU per kept-alive
call), and a kept parser beats one of our own at equal cost; pooling, the stale-connection
retry, timeouts and error translation stay here.

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
import time
from dataclasses import dataclass
from typing import cast

import httptools

MAX_HEAD = 64 * 1024
_HEAD_END = b"\r\n\r\n"
IDLE_PER_ENDPOINT = 32


class ConnectionClosed(ConnectionError):
    """The server closed the connection before the whole answer arrived."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


class _HeadTooLarge(ValueError):
    pass


class _Connection(asyncio.Protocol):
    """One connection; httptools calls the `on_*` methods while `data_received` feeds it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.stray = False
        self.closed = False
        self.loop: asyncio.AbstractEventLoop  # set in connection_made, before any use
        self.timer: asyncio.TimerHandle | None = None
        self._new_answer()

    def _new_answer(self) -> None:
        """The state of one answer, set afresh for every request sent."""
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.head_bytes = 0
        self.head_tail = b""  # the head's last 3 bytes so far, where its blank line may begin
        self.head_done = self.close_delimited = self.received = False
        self.keep_alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport: an isinstance check fails there
        self.transport = cast(asyncio.Transport, transport)
        # Kept: asyncio.get_running_loop() costs a getpid() system call on every use.
        self.loop = asyncio.get_running_loop()

    def send(self, data: bytes, deadline: float | None = None) -> asyncio.Future[Response]:
        """Send a request; the future fails with TimeoutError at `deadline` (time.monotonic)."""
        assert self.transport is not None
        if self.stray:  # bytes after an answer: they must not leak into this one
            self.parser = httptools.HttpResponseParser(self)
            self.stray = False
        self._new_answer()
        self.waiter = self.loop.create_future()
        if self.closed:  # connection_lost has come and gone: nothing would resolve the waiter
            self.waiter.set_exception(ConnectionClosed("connection closed before the request"))
            return self.waiter
        if deadline is not None:
            # One timer handle instead of asyncio.timeout(): that costs a Timeout object, three
            # get_running_loop() calls and a task cancellation on every node call.
            self.timer = self.loop.call_later(max(0.0, deadline - time.monotonic()), self._expire)
        self.transport.write(data)
        return self.waiter

    def stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expire(self) -> None:
        self.timer = None
        self._fail(TimeoutError())

    def data_received(self, data: bytes) -> None:
        self.received = True
        if self.waiter is None or self.waiter.done():
            self.stray = True  # nothing asked: ignored, and the next exchange starts afresh
            return
        try:
            if not self.head_done:
                self._count_head(data)
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionClosed(f"bad HTTP answer: {exc}"))
        except _HeadTooLarge:
            self._fail(ConnectionClosed("bad HTTP answer: header too large"))

    def _count_head(self, data: bytes) -> None:
        """MAX_HEAD bytes before the head's end at most (httptools sets no limit), wherever
        the reads split the head: its blank line may begin in the reads before this one."""
        before = self.head_bytes
        self.head_bytes += len(data)
        if self.head_bytes > MAX_HEAD:
            window = self.head_tail + data  # starts len(head_tail) bytes before `data`
            end = window.find(_HEAD_END)
            if end < 0:  # its last bytes may begin the blank line: not counted as head yet
                end = len(window) - next(k for k in (3, 2, 1, 0) if window.endswith(_HEAD_END[:k]))
            if before - len(self.head_tail) + end > MAX_HEAD:
                raise _HeadTooLarge
        self.head_tail = (self.head_tail + data[-3:])[-3:]

    # --- httptools callbacks ---------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.waiter is not None and self.waiter.done():
            # More bytes in the read that ended the answer: httptools parses them as the next
            # answer, which must not become the next exchange's (nor add to this one's headers).
            self.stray = True
            self.headers = {}

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1").strip()

    def on_headers_complete(self) -> None:
        self.head_done = True
        h = self.headers
        status = self.parser.get_status_code()
        self.keep_alive = (
            self.parser.get_http_version() == "1.1"
            and "close" not in h.get("connection", "").lower()
        )
        framed = "chunked" in h.get("transfer-encoding", "").lower() or "content-length" in h
        if not framed and not (status in (204, 304) or 100 <= status < 200):
            self.close_delimited = True
            self.keep_alive = False

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            status = self.parser.get_status_code()
            self.waiter.set_result(Response(status, self.headers, bytes(self.body)))

    # ----------------------------------------------------------------------------------------
    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is None or self.waiter.done():
            return
        if self.close_delimited:  # the end of the connection is the end of the body
            status = self.parser.get_status_code()
            self.waiter.set_result(Response(status, self.headers, bytes(self.body)))
            return
        self._fail(ConnectionClosed(f"connection closed before the answer ({exc or 'EOF'})"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()


def _request_bytes(
    method: str, host: str, port: int, path: str, headers: dict[str, str], body: bytes | None
) -> bytes:
    authority = f"[{host}]" if ":" in host else host  # an IPv6 literal (RFC 3986 3.2.2)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {authority}:{port}"]
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
        timeout: float | None = None,
    ) -> Response:
        """The answer; TimeoutError when it has not come within `timeout` seconds (connects
        and a retry on a fresh connection included)."""
        data = _request_bytes(method, host, port, path, headers, body)
        deadline = None if timeout is None else time.monotonic() + timeout
        pool = self.idle.setdefault((host, port), [])
        while pool:
            conn = pool.pop()
            if conn.closed:
                continue
            try:
                return await self._exchange(conn, data, pool, deadline)
            except ConnectionClosed:
                if conn.received:
                    raise
                continue  # a stale keep-alive connection: try a fresh one
        if deadline is None:
            conn = await self._connect(host, port)
        else:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                conn = await self._connect(host, port)
        return await self._exchange(conn, data, pool, deadline)

    async def _exchange(
        self,
        conn: _Connection,
        data: bytes,
        pool: list[_Connection],
        deadline: float | None = None,
    ) -> Response:
        try:
            response = await conn.send(data, deadline)
        except BaseException:
            if conn.transport is not None:
                conn.transport.close()
            raise
        finally:
            conn.stop_timer()
        if conn.keep_alive and not conn.closed and len(pool) < IDLE_PER_ENDPOINT:
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
