"""The executor's HTTP/1.1 server: asyncio protocols and httptools' request parser (llhttp).

It replaced aiohttp's server for the executor (issue 14: aiohttp's server side was a third
of the executor's CPU per request; docs/performance.md). It does what the executor's front
needs and no more: one request at a time per connection, in order (pipelined requests
queue; reading pauses while too many wait), keep-alive as HTTP/1.1 and HTTP/1.0 say, a
half-closed connection still gets its answers, `Expect: 100-continue`, HEAD without a body.
Bodies are bounded in size (the handler is told, and the connection closes after its
answer) and in time (`body_seconds` for the whole body; the handler is told, the
connection closes). A request llhttp cannot parse gets 400 and the connection closes.
Routing, headers and every answer's content are server.py's.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import cast
from urllib.parse import unquote

import httptools

MAX_HEAD = 64 * 1024  # request line and headers; aiohttp's and Go's limits are of this order
MAX_QUEUED = 8  # pipelined requests waiting on one connection before reading pauses


class Headers:
    """A request's headers as sent (names keep their case, in order), looked up without
    regard to case; the first of repeated names wins a lookup, as in aiohttp."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        self._lower: dict[str, str] = {}
        for name, value in items:
            self._lower.setdefault(name.lower(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._lower.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lower

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, without the query
    headers: Headers
    body: bytes = b""
    too_large: bool = False  # the body was over the limit and was not kept
    timed_out: bool = False  # the body did not arrive within the deadline
    puid: str = ""  # the Seldon-Puid the executor answers with (server.py sets it)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # close the connection after this answer


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    body_seconds: float


class Counters:
    """What the server's owner reads: requests whose body is still arriving."""

    def __init__(self) -> None:
        self.receiving = 0


_DATE: list[object] = [0, ""]


def _date() -> str:
    """The Date header, formatted once a second."""
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[0], _DATE[1] = now, formatdate(now, usegmt=True)
    return cast(str, _DATE[1])


_REASONS = {status.value: status.phrase for status in HTTPStatus}


def encode(response: Response, keep_alive: bool, head_only: bool = False) -> bytes:
    """The response's bytes: status line, its headers, Content-Length, Date, Connection."""
    lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    lines.append(f"Content-Length: {len(response.body)}")
    lines.append(f"Date: {_date()}")
    if not keep_alive:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return head if head_only else head + response.body


class Connection(asyncio.Protocol):
    """One client connection; httptools calls the `on_*` methods while it parses."""

    def __init__(
        self, handler: Handler, limits: Limits, counters: Counters, live: set[Connection]
    ) -> None:
        self.handler = handler
        self.limits = limits
        self.counters = counters
        self.transport: asyncio.Transport | None = None
        self.loop: asyncio.AbstractEventLoop  # set in connection_made, before any use
        self.parser = httptools.HttpRequestParser(self)
        self.queue: collections.deque[tuple[Request | Response, bool]] = collections.deque()
        self.task: asyncio.Task[None] | None = None
        self.paused = False
        self.closing = False  # no more requests are read (an error, EOF, a close answer)
        self.live = live
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.head_bytes = 0
        self.header_items: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.request: Request | None = None
        self.receiving = False
        self.timer: asyncio.TimerHandle | None = None

    # --- asyncio ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport: no isinstance check
        self.transport = cast(asyncio.Transport, transport)
        # Kept: asyncio.get_running_loop() costs a getpid() system call on every use.
        self.loop = asyncio.get_running_loop()
        self.live.add(self)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return  # after an error, a timeout or a close answer: nothing more is read
        try:
            self.parser.feed_data(data)
            if self.receiving and self.timer is None:
                # Started only when a body outlasts the read that ended its head: most bodies
                # come whole in that read, and then no timer is made and cancelled.
                self.timer = self.loop.call_later(self.limits.body_seconds, self._body_timeout)
        except httptools.HttpParserUpgrade:
            self._refuse(400, "upgrades are not supported")
        except (httptools.HttpParserError, _HeadTooLarge) as exc:
            self._refuse(400, str(exc) or "malformed request")

    def eof_received(self) -> bool:
        """The client half-closed: answer what it sent, then close (True: keep writing)."""
        self._stop_receiving()
        self.closing = True
        if self.task is None:
            self._close()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_receiving()
        self.closing = True
        self.transport = None
        self.live.discard(self)

    # --- httptools callbacks ---------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._reset()

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        self.header_items.append((name.decode("latin-1"), value.decode("latin-1").strip()))

    def on_headers_complete(self) -> None:
        if self.closing:  # pipelined after a request that closes the connection: dropped
            return
        headers = Headers(self.header_items)
        path = unquote(httptools.parse_url(self.url).path.decode("latin-1"))
        method = self.parser.get_method().decode("ascii", "replace")
        length = headers.get("Content-Length")
        chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
        has_body = chunked or (length is not None and length.strip() not in ("", "0"))
        self.request = Request(method, path, headers)
        if not has_body:
            return
        declared = int(length) if length is not None and length.strip().isdigit() else 0
        if declared > self.limits.max_body_bytes:
            self.request.too_large = True
            if (headers.get("Expect") or "").lower() == "100-continue":
                self._dispatch(close=True)  # the body never comes: answer now
                return
        elif (headers.get("Expect") or "").lower() == "100-continue" and self.transport:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.receiving = True
        self.counters.receiving += 1

    def on_body(self, body: bytes) -> None:
        if self.request is None:
            return
        self.size += len(body)
        if self.size > self.limits.max_body_bytes:
            self.request.too_large = True
            self.body.clear()
        elif not self.request.too_large:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.request is None or self.closing:
            return
        self._stop_receiving()
        self.request.body = b"".join(self.body)
        keep = self.parser.should_keep_alive() and not self.request.too_large
        self._dispatch(close=not keep)

    # --- internals ---------------------------------------------------------------------------
    def _count(self, n: int) -> None:
        self.head_bytes += n
        if self.head_bytes > MAX_HEAD:
            raise _HeadTooLarge("request line and headers over 64 KiB")

    def _stop_receiving(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.receiving:
            self.receiving = False
            self.counters.receiving -= 1

    def _body_timeout(self) -> None:
        self.timer = None
        if self.request is not None and self.receiving:
            self._stop_receiving()
            self.request.timed_out = True
            self._dispatch(close=True)

    def _dispatch(self, close: bool) -> None:
        assert self.request is not None
        self.queue.append((self.request, close))
        self.request = None
        if close:
            self.closing = True
        if len(self.queue) >= MAX_QUEUED and self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        self._serve_soon()

    def _serve_soon(self) -> None:
        if self.task is None:
            self.task = self.loop.create_task(self._serve())

    async def _serve(self) -> None:
        """Answer the queued requests in order (a Response queued is a refusal: sent as is)."""
        try:
            while self.queue:
                item, close = self.queue.popleft()
                if self.paused and len(self.queue) < MAX_QUEUED // 2 and self.transport:
                    self.paused = False
                    self.transport.resume_reading()
                response = item if isinstance(item, Response) else await self._answer(item)
                close = close or response.close or (self.closing and not self.queue)
                if self.transport is None:
                    return
                head_only = isinstance(item, Request) and item.method == "HEAD"
                self.transport.write(encode(response, not close, head_only))
                if close:
                    self._close()
                    return
        finally:
            self.task = None

    async def _answer(self, request: Request) -> Response:
        try:
            return await self.handler(request)
        except Exception as exc:  # the handler's own bug: an answer all the same, then close
            why = f"{type(exc).__name__}: {exc}\n".encode()
            return Response(500, why, {"Content-Type": _TEXT}, close=True)

    def _refuse(self, status: int, why: str) -> None:
        """Answer a request that cannot be parsed after those before it, then close."""
        self._stop_receiving()
        self.request = None
        refusal = Response(status, f"{why}\n".encode(), {"Content-Type": _TEXT})
        self.queue.append((refusal, True))
        self.closing = True
        self._serve_soon()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def close_if_idle(self) -> bool:
        """Close now when no request is being answered or waiting (a server stopping)."""
        if self.task is None and not self.queue:
            self._close()
            return True
        self.closing = True
        return False


class _HeadTooLarge(ValueError):
    pass


_TEXT = "text/plain; charset=utf-8"


class HttpServer:
    """Connections accepted on host:port, each handled by a `Connection`."""

    def __init__(self, handler: Handler, limits: Limits) -> None:
        self.handler = handler
        self.limits = limits
        self.counters = Counters()
        self.connections: set[Connection] = set()
        self._server: asyncio.AbstractServer | None = None

    def _connection(self) -> Connection:
        return Connection(self.handler, self.limits, self.counters, self.connections)

    async def listen(self, host: str, port: int) -> int:
        """Start accepting; returns the port bound (0 picks one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._connection, host, port, reuse_address=True)
        return int(self._server.sockets[0].getsockname()[1])

    def stop_accepting(self) -> None:
        if self._server is not None:
            self._server.close()

    async def close(self) -> None:
        """Stop accepting; close every connection (those answering close after it)."""
        self.stop_accepting()
        for connection in list(self.connections):
            connection.close_if_idle()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None


__all__ = ["Headers", "HttpServer", "Limits", "Request", "Response", "encode"]
