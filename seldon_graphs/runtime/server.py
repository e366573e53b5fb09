"""The executor's HTTP front (`executor/api/rest/server.go`) over any runtime backend.

Endpoints, also under the ingress prefix /seldon/<namespace>/<name>/:

    POST /api/v1.0/predictions, /api/v0.1/predictions   graph predict
    POST /api/v1.0/feedback, /api/v0.1/feedback         graph feedback
    GET  /api/v1.0/metadata                             graph metadata
    GET  /api/v1.0/metadata/{node}, /api/v1.0/status/{node}
    GET  /api/v1.0/status, /api/v1.0/health/status, /ready (200 or 503), /live
    GET  /prometheus, /metrics                          executor metrics
    GET  /openapi.json                                  this API as OpenAPI 3.1
    GET  /, /page/{asset}                               the graph's page (when given one)

Middlewares as in Go: Seldon-Puid (generated when absent, forwarded, echoed), CloudEvents
response headers when the request has Ce-Specversion, X-Content-Type-Options, CORS, OPTIONS
answered 200 on every route; gorilla/mux's 404 and 405 elsewhere. Bodies and Content-Type go
to the graph verbatim (a missing Content-Type stays missing: the node decides, as in Go).
Beyond Go: a bound on concurrent requests (503 beyond it, counted only once a body has
arrived), a deadline for receiving a body (408), a bound on body size (413), and a graceful
shutdown that stops accepting, then drains in-flight requests. HTTP itself (parsing,
keep-alive, pipelining, the limits' mechanics) is runtime/http_server.py's; aiohttp's server
is left to the local ingress (runtime/ingress.py), which `listen` serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from aiohttp import web

from .http_server import HttpServer, Limits, Request, Response
from .loops import new_loop
from .messages import Payload, html_escape
from .metrics import CONTENT_TYPE, ExecutorMetrics
from .page import CSP, Asset, Page, openapi
from .walk import ERROR_CONTENT_TYPE, PUID_HEADER, ExecutorError, GraphOperations, failure

# An API operation: the request (its body read), the {node} it names, the headers to forward.
Operation = Callable[[Request, str, dict[str, str]], Awaitable[Payload]]
API_PREFIXES = ("/api/v1.0/", "/api/v0.1/")
TEXT = "text/plain; charset=utf-8"
ANY = "*"  # a route for every method (Go registers the probes and metrics so)
AFTER_CLOSE_S = 5.0  # how long answers may take once the nodes are stopped


class Backend(Protocol):
    """A runtime: nodes somewhere, an executor over them."""

    @property
    def executor(self) -> GraphOperations: ...

    @property
    def metrics(self) -> ExecutorMetrics: ...

    async def start(self) -> None: ...

    async def problems(self) -> list[str]:
        """Why the graph is not ready (empty when it is)."""
        ...

    async def close(self) -> None: ...

    def kill(self) -> None:
        """Stop the nodes now, without grace (a second stop signal); close() still follows."""
        ...


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    namespace: str = "default"
    name: str = "graph"
    max_concurrency: int = 128
    max_body_bytes: int = 32 * 1024 * 1024
    body_seconds: float = 30.0
    drain_seconds: float = 15.0


@dataclass(frozen=True)
class Route:
    method: str  # or ANY
    path: str  # "{node}" / "{asset}" stand for one path segment
    handler: Callable[[Request, str], Awaitable[Response]]


class Routes:
    """gorilla/mux's table: exact paths, and paths ending in one `{segment}`."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self.exact: dict[str, dict[str, Route]] = {}
        self.segment: dict[str, dict[str, Route]] = {}  # "prefix/" -> method -> route
        for route in routes:
            if route.path.endswith("}"):
                base = route.path[: route.path.rindex("{")]
                self.segment.setdefault(base, {})[route.method] = route
            else:
                self.exact.setdefault(route.path, {})[route.method] = route

    def match(self, method: str, path: str) -> tuple[Route | None, str, bool]:
        """(the route, the segment it matched, whether the path matched any route)."""
        segment = ""
        by_method = self.exact.get(path)
        if by_method is None:
            base, _, segment = path.rpartition("/")
            by_method = self.segment.get(base + "/") if segment else None
        if by_method is None:
            return None, "", False
        route = by_method.get(method) or by_method.get(ANY)
        return route, segment, True


class GraphServer:
    """The executor's HTTP server around one backend."""

    def __init__(self, backend: Backend, options: ServerOptions, page: Page | None = None) -> None:
        self.backend = backend
        self.options = options
        self.page = page
        self._openapi = openapi()
        self.in_flight = 0
        self.draining = False
        self.aborted = False
        self._http = HttpServer(self.handle, Limits(options.max_body_bytes, options.body_seconds))
        self.router = Routes(self.routes())
        self.port = options.port

    @property
    def receiving(self) -> int:
        """Requests whose body is still arriving (they hold no slot)."""
        return self._http.counters.receiving

    # --- routes --------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        prefixes = ("", f"/seldon/{self.options.namespace}/{self.options.name}")
        return [route for prefix in prefixes for route in self._routes(prefix)]

    def _routes(self, prefix: str) -> list[Route]:
        out: list[Route] = []

        def add(
            methods: tuple[str, ...], path: str, handler: Callable[..., Awaitable[Response]]
        ) -> None:
            out.extend(Route(method, path, handler) for method in methods)

        post, get = ("POST", "OPTIONS"), ("GET", "OPTIONS")
        for api in (f"{prefix}/api/v1.0", f"{prefix}/api/v0.1"):
            add(post, f"{api}/predictions", self._api("predictions", self.predict))
            add(post, f"{api}/feedback", self._api("feedback", self.feedback))
            add(get, f"{api}/status/{{node}}", self._api("status", self.status))
            add(get, f"{api}/metadata/{{node}}", self._api("metadata", self.node_meta))
        add(get, f"{prefix}/api/v1.0/metadata", self._api("metadata", self.metadata))
        add(get, f"{prefix}/api/v1.0/status", self.ready)
        add(get, f"{prefix}/api/v1.0/health/status", self.ready)
        for path, handler in (("ready", self.ready), ("live", self.live)):
            add((ANY,), f"{prefix}/{path}", handler)
        for path in ("prometheus", "metrics"):
            add((ANY,), f"{prefix}/{path}", self.prometheus)
        add(("GET",), f"{prefix}/openapi.json", self.openapi)
        if self.page is not None:
            add(("GET",), f"{prefix}/", self.index)
            add(("GET",), f"{prefix}/page/{{asset}}", self.asset)
            if prefix:  # the page's links are relative: it must be read from prefix + "/"
                add(("GET",), prefix, self.to_index)
        return out

    async def handle(self, request: Request) -> Response:
        """Route, then what Go's middlewares add (gorilla/mux runs none for 404/405)."""
        route, segment, found = self.router.match(request.method, request.path)
        if route is None:
            return self._not_routed(request, 405 if found else 404)
        puid = request.puid = request.headers.get(PUID_HEADER) or str(uuid.uuid4())
        try:
            if request.method == "OPTIONS":  # handleCORSRequests
                response = self.options_ok()
            else:
                response = await route.handler(request, segment)
        except Exception as exc:  # a bug must still answer as the executor does
            response = _error(failure(f"{type(exc).__name__}: {exc}"))
        headers = response.headers
        headers[PUID_HEADER] = puid
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Access-Control-Allow-Origin"] = os.environ.get("CORS_ALLOWED_ORIGINS", "*")
        if "Ce-Specversion" in request.headers:
            self._cloudevents(headers, puid, request.path)
        return response

    def _not_routed(self, request: Request, status: int) -> Response:
        """gorilla/mux: 405 with no body when a route's path matched but not its method (any
        path under a /api/v1.0/ or /api/v0.1/ prefix, registered for POST), else
        http.NotFound."""
        path = request.path.removeprefix(f"/seldon/{self.options.namespace}/{self.options.name}")
        under_api = path.startswith(API_PREFIXES) and request.method not in ("POST", "OPTIONS")
        if status == 405 or under_api:
            return Response(405)
        headers = {"Content-Type": ERROR_CONTENT_TYPE, "X-Content-Type-Options": "nosniff"}
        return Response(404, b"404 page not found\n", headers)

    def _cloudevents(self, headers: dict[str, str], puid: str, path: str) -> None:
        name, ns = self.options.name, self.options.namespace
        headers.update(
            {
                "Ce-Id": puid,
                "Ce-Specversion": "0.3",
                "Ce-Path": path,
                "Ce-Type": f"seldon.{name}.{ns}.response",
                "Ce-Source": f"seldon.{name}",
            }
        )

    def _api(
        self, service: str, handler: Operation
    ) -> Callable[[Request, str], Awaitable[Response]]:
        async def endpoint(request: Request, segment: str) -> Response:
            start = time.perf_counter()
            response = await self._bounded(request, segment, handler)
            self.backend.metrics.observe_server(
                service, request.method, response.status, time.perf_counter() - start
            )
            return response

        return endpoint

    async def _bounded(self, request: Request, node: str, handler: Operation) -> Response:
        """The body has arrived (or is refused); then take a concurrency slot: a client still
        sending its body holds a connection, never a slot."""
        if request.timed_out:  # Go's http.Server.ReadTimeout, which Seldon leaves at 0
            seconds = self.options.body_seconds
            response = _error(failure(f"the request body did not arrive within {seconds:g}s", 408))
            response.close = True
            return response
        if request.too_large:
            response = _error(failure("Request Entity Too Large", 413))
            response.close = True
            return response
        if self.draining:
            return _error(failure("the executor is shutting down", 503))
        if self.in_flight >= self.options.max_concurrency:
            limit = self.options.max_concurrency
            return _error(failure(f"the executor is at its limit of {limit} requests", 503))
        self.in_flight += 1
        try:
            headers = dict(request.headers.items())
            headers[PUID_HEADER] = request.puid
            out = await handler(request, node, headers)
        except ExecutorError as exc:
            return _error(exc)
        finally:
            self.in_flight -= 1
        return Response(200, html_escape(out.body), {"Content-Type": out.content_type})

    # --- handlers ------------------------------------------------------------------------
    async def predict(self, request: Request, node: str, headers: dict[str, str]) -> Payload:
        return await self.backend.executor.predict(_payload(request), headers)

    async def feedback(self, request: Request, node: str, headers: dict[str, str]) -> Payload:
        return await self.backend.executor.feedback(_payload(request), headers)

    async def status(self, request: Request, node: str, headers: dict[str, str]) -> Payload:
        return await self.backend.executor.node_status(node, headers)

    async def node_meta(self, request: Request, node: str, headers: dict[str, str]) -> Payload:
        return await self.backend.executor.node_metadata(node, headers)

    async def metadata(self, request: Request, node: str, headers: dict[str, str]) -> Payload:
        return await self.backend.executor.metadata(headers)

    async def ready(self, request: Request, segment: str) -> Response:
        problems = ["the executor is shutting down"] if self.draining else []
        problems += await self.backend.problems()
        if problems:
            return _text(503, "; ".join(problems) + "\n")
        return _text(200, "ready\n")

    async def live(self, request: Request, segment: str) -> Response:
        return _text(200, "live\n")

    async def prometheus(self, request: Request, segment: str) -> Response:
        return Response(200, self.backend.metrics.exposition(), {"Content-Type": CONTENT_TYPE})

    async def openapi(self, request: Request, segment: str) -> Response:
        return Response(200, self._openapi, {"Content-Type": "application/json"})

    async def index(self, request: Request, segment: str) -> Response:
        assert self.page is not None  # the route exists only with a page
        return _asset(self.page.index, {"Content-Security-Policy": CSP})

    async def to_index(self, request: Request, segment: str) -> Response:
        return Response(308, b"", {"Location": f"{request.path}/"})

    async def asset(self, request: Request, segment: str) -> Response:
        assert self.page is not None
        found = self.page.assets.get(segment)
        return self._not_routed(request, 404) if found is None else _asset(found, {})

    def options_ok(self) -> Response:
        allowed = os.environ.get(
            "CORS_ALLOWED_HEADERS",
            "Accept, Accept-Encoding, Authorization, Content-Length, Content-Type, "
            "X-CSRF-Token, Seldon-Puid",
        )
        methods = "GET, POST, OPTIONS"
        return Response(
            200,
            b"",
            {"Access-Control-Allow-Methods": methods, "Access-Control-Allow-Headers": allowed},
        )

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        await self.backend.start()
        self.port = await self._http.listen(self.options.host, self.options.port)

    @property
    def url(self) -> str:
        return local_url(self.options.host, self.port)

    def abort(self) -> None:
        """A second stop signal: stop draining, stop the nodes now."""
        self.aborted = True
        self.backend.kill()

    async def stop(self) -> None:
        """Stop accepting, let in-flight requests finish (bounded), stop the backend (so that
        requests still waiting on a node end now), then the server."""
        self.draining = True
        self._http.stop_accepting()
        await self._settle(self.options.drain_seconds)
        await self.backend.close()
        # What still waited on a node fails now, with the node's reason; a transport may hear
        # of a killed node a moment after close() returns (its process group reaped later).
        await self._settle(AFTER_CLOSE_S)
        await self._http.close()

    async def _settle(self, seconds: float) -> None:
        """Wait until nothing is in flight, for at most `seconds` or a second stop signal."""
        deadline = time.monotonic() + seconds
        while self.in_flight and not self.aborted and time.monotonic() < deadline:
            await asyncio.sleep(0.02)


async def listen(runner: web.AppRunner, host: str, port: int) -> tuple[web.TCPSite, int]:
    """Serve `runner` on host:port; returns the site and the port bound (0 picks one)."""
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(getattr(site, "_server", None), "sockets", None) or []
    return site, sockets[0].getsockname()[1] if sockets else port


def local_url(host: str, port: int) -> str:
    """Where a client on this machine reaches a server bound to `host`."""
    return f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}"


def _payload(request: Request) -> Payload:
    """The request's body with its Content-Type as sent ("" when none: Go forwards it empty)."""
    return Payload(request.body, request.headers.get("Content-Type") or "")


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode(), {"Content-Type": TEXT})


def _asset(asset: Asset, headers: dict[str, str]) -> Response:
    headers = {"Content-Type": asset.content_type, "Cache-Control": "no-cache", **headers}
    return Response(200, asset.body, headers)


def _error(exc: ExecutorError) -> Response:
    """Go's respondWithError: the body HTML-escaped like every answer, the header sniffed."""
    content_type = exc.content_type or ERROR_CONTENT_TYPE
    return Response(exc.status, html_escape(exc.body), {"Content-Type": content_type})


class Serving(Protocol):
    """What `serve_forever` runs: a GraphServer, or runtime.ingress's Ingress."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def abort(self) -> None: ...


ServingT = TypeVar("ServingT", bound=Serving)


async def serve_forever(server: ServingT, on_ready: Callable[[ServingT], None]) -> None:
    """Run until SIGINT/SIGTERM, then shut down gracefully (children included); a second
    signal while shutting down stops at once."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def signalled() -> None:
        if stop.is_set():
            server.abort()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, signalled)
    starting = asyncio.create_task(server.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait((starting, stopping), return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # raise a start failure
            on_ready(server)
            await stopping
        else:  # Ctrl-C while nodes were starting
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
    finally:
        stopping.cancel()
        try:
            await server.stop()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


async def _cancel_the_rest() -> None:
    """Cancel and await what is still running (a connection's answer still being computed,
    say), so that closing the loop destroys no pending task."""
    current = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not current]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


class ServerThread:
    """A GraphServer on its own event loop in a background thread (tests, benchmarks); the
    loop is `loops.new_loop(loop)`: SELDON_GRAPHS_LOOP's, unless `loop` names one."""

    def __init__(self, server: GraphServer, loop: str | None = None) -> None:
        self.server = server
        self.loop = new_loop(loop)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self, timeout: float = 120.0) -> str:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.server.start(), self.loop)
        try:
            future.result(timeout)
        except BaseException:
            self.stop()
            raise
        return self.server.url

    def stop(self, timeout: float = 60.0) -> None:
        if self.loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout)
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self.loop).result(timeout)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self.loop.is_running():
            self.loop.close()

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Backend", "GraphServer", "ServerOptions", "ServerThread", "serve_forever"]
