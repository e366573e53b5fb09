"""`run DEPLOYMENT_FILE`: the ingress in front of one local executor per predictor.

What Istio or Ambassador do in front of a SeldonDeployment with several predictors, on one
port: each request goes to one predictor chosen by traffic weight (a seeded random draw, so a
run is reproducible; the `Seldon-Predictor: NAME` header pins one), the answer says which
(`Seldon-Predictor` on the response), and a shadow predictor gets a copy of every request
that reached a main predictor, sent only after the main answer has gone out. The shadow's
answers are discarded; its failures are logged and counted, never seen by the client.

Each executor is an ordinary `GraphServer` on 127.0.0.1 (its own metrics under its
predictor's name, its own `meta.requestPath`); `/prometheus` here counts the ingress's
choices and the shadow's outcomes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from .messages import status_body
from .server import GraphServer, listen, local_url
from .walk import PUID_HEADER

PREDICTOR_HEADER = "Seldon-Predictor"
# Mirrored requests in flight at once; more are dropped (and counted), so a slow shadow
# cannot make the ingress hold every request it has already answered.
SHADOW_LIMIT = 64
_NOT_FORWARDED = frozenset(
    h.lower()
    for h in ("Host", "Content-Length", "Transfer-Encoding", "Connection", PREDICTOR_HEADER)
)
_PASSED_BACK = ("Content-Type", PUID_HEADER)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Predictor:
    """One predictor behind the ingress: its executor and its share of the requests."""

    name: str
    server: GraphServer
    traffic: int  # percent; 0 for the shadow
    shadow: bool = False


@dataclass(frozen=True)
class IngressOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    namespace: str = "default"
    name: str = "deployment"
    seed: int = 0
    node_timeout: float = 300.0  # seconds for one executor's answer
    drain_seconds: float = 15.0


class Split:
    """A seeded weighted draw among the main predictors: the same seed, the same sequence."""

    def __init__(self, predictors: Sequence[Predictor], seed: int) -> None:
        mains = [p for p in predictors if not p.shadow and p.traffic > 0]
        self.names = [p.name for p in mains]
        self.weights = [p.traffic for p in mains]
        self._random = random.Random(seed)

    def choose(self) -> str:
        return self._random.choices(self.names, self.weights)[0]


@dataclass
class Counts:
    """The ingress's own metrics: requests per predictor, mirrored requests per outcome."""

    routed: Counter[str]
    mirrored: Counter[str]  # ok, failed, dropped

    def prometheus(self, deployment: str) -> str:
        routed = _counter(
            "seldon_ingress_requests_total",
            "Requests the ingress sent to each predictor.",
            {
                f'deployment_name="{deployment}",predictor_name="{k}"': v
                for k, v in self.routed.items()
            },
        )
        mirrored = _counter(
            "seldon_ingress_shadow_total",
            "Mirrored requests by outcome.",
            {f'deployment_name="{deployment}",outcome="{k}"': v for k, v in self.mirrored.items()},
        )
        return "\n".join([*routed, *mirrored]) + "\n"


def _counter(name: str, description: str, samples: Mapping[str, int]) -> list[str]:
    """One counter family in Prometheus' text format, its samples sorted by labels."""
    lines = [f"# HELP {name} {description}", f"# TYPE {name} counter"]
    return lines + [f"{name}{{{labels}}} {count}" for labels, count in sorted(samples.items())]


class Ingress:
    """The ingress server and the executors behind it; started and stopped together."""

    def __init__(self, predictors: Sequence[Predictor], options: IngressOptions) -> None:
        self.predictors = {p.name: p for p in predictors}
        self.options = options
        self.split = Split(predictors, options.seed)
        self.shadow = next((p for p in predictors if p.shadow), None)
        self.counts = Counts(Counter(), Counter())
        self._mirrors: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.port = options.port

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.gather(*(p.server.start() for p in self.predictors.values()))
        timeout = aiohttp.ClientTimeout(total=self.options.node_timeout)
        self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        _, self.port = await listen(self._runner, self.options.host, self.options.port)

    @property
    def url(self) -> str:
        return local_url(self.options.host, self.port)

    def abort(self) -> None:
        for p in self.predictors.values():
            p.server.abort()

    async def stop(self) -> None:
        """Stop taking requests, let the mirrored ones finish (bounded), stop the executors."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._mirrors:
            await asyncio.wait(set(self._mirrors), timeout=self.options.drain_seconds)
        if self._session is not None:
            await self._session.close()
        await asyncio.gather(*(p.server.stop() for p in self.predictors.values()))

    async def settled(self) -> None:
        """Every mirrored request so far has its answer (tests, and a graceful stop)."""
        while self._mirrors:
            await asyncio.wait(set(self._mirrors))

    # --- requests ------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = self._path(request)
        if path in ("/ready", "/live"):
            return await self._health(path)
        if path == "/prometheus":
            return web.Response(text=self.counts.prometheus(self.options.name))
        pinned = request.headers.get(PREDICTOR_HEADER)
        if pinned is not None and pinned not in self.predictors:
            known = ", ".join(self.predictors)
            return _failure(404, f"no predictor named {pinned!r} (predictors: {known})")
        name = pinned or self.split.choose()
        self.counts.routed[name] += 1
        body = await request.read()
        headers = _forwarded(request.headers)
        headers.setdefault(PUID_HEADER, str(uuid.uuid4()))
        response = await self._answer(request, name, path, body, headers)
        if self.shadow is not None and pinned is None and request.method == "POST":
            self._mirror(path, body, headers)
        return response

    def _path(self, request: web.Request) -> str:
        """The path the executor serves: without the ingress's `/seldon/<ns>/<name>`."""
        prefix = f"/seldon/{self.options.namespace}/{self.options.name}"
        path = request.path
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix) :] or "/"
        return path + (f"?{request.query_string}" if request.query_string else "")

    async def _answer(
        self, request: web.Request, name: str, path: str, body: bytes, headers: dict[str, str]
    ) -> web.StreamResponse:
        """The chosen predictor's answer, sent in full before anything else happens."""
        try:
            status, back, data = await self._send(name, request.method, path, body, headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            response: web.StreamResponse = _failure(503, f"predictor {name!r}: {exc or 'timeout'}")
            response.headers[PREDICTOR_HEADER] = name
            return response
        response = web.Response(status=status, body=data, headers={**back, PREDICTOR_HEADER: name})
        await response.prepare(request)
        await response.write_eof()
        return response

    async def _send(
        self, name: str, method: str, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None, "the ingress is not started"
        url = self.predictors[name].server.url + path
        async with self._session.request(method, url, data=body, headers=headers) as answer:
            data = await answer.read()
            back = {h: answer.headers[h] for h in _PASSED_BACK if h in answer.headers}
            return answer.status, back, data

    def _mirror(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        if len(self._mirrors) >= SHADOW_LIMIT:
            self.counts.mirrored["dropped"] += 1
            return
        task = asyncio.get_running_loop().create_task(self._shadow(path, body, headers))
        self._mirrors.add(task)
        task.add_done_callback(self._mirrors.discard)

    async def _shadow(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        assert self.shadow is not None
        name = self.shadow.name
        self.counts.routed[name] += 1
        started = time.monotonic()
        try:
            status, _, data = await self._send(name, "POST", path, body, headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, data = 0, str(exc).encode()
        ok = 200 <= status < 300
        self.counts.mirrored["ok" if ok else "failed"] += 1
        if not ok:
            log.warning(
                "shadow predictor %r answered %s after %.3fs: %s",
                name,
                status or "nothing",
                time.monotonic() - started,
                data[:300].decode("utf-8", "replace"),
            )

    async def _health(self, path: str) -> web.Response:
        """Ready when every executor is (the shadow too: it is part of the deployment)."""
        names = list(self.predictors)
        answers = await asyncio.gather(
            *(self._send(n, "GET", path, b"", {}) for n in names), return_exceptions=True
        )
        down = [n for n, a in zip(names, answers, strict=True) if _down(a)]
        if down:
            return web.Response(status=503, text=f"not ready: {', '.join(down)}\n")
        return web.Response(text="ready\n")


def _down(answer: object) -> bool:
    return isinstance(answer, BaseException) or not 200 <= answer[0] < 300  # type: ignore[index]


def _forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _NOT_FORWARDED}


def _failure(status: int, info: str) -> web.Response:
    return web.Response(
        status=status, body=status_body(status, info), headers={"Content-Type": "application/json"}
    )
