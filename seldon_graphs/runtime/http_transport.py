"""Node calls over HTTP, for runtimes whose nodes are `seldon-core-microservice` processes
or containers. Like the executor's REST client: the previous payload's bytes verbatim with
its content type, every incoming header forwarded (Seldon-Puid included), a per-call
timeout (`seldon.io/rest-timeout`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from ..spec import GraphSpec
from .http1 import Client
from .messages import JSON, Payload, Reply
from .metrics import Deployment, ExecutorMetrics
from .units import Unit
from .walk import Executor, TransportFailure

T = TypeVar("T")

# Not forwarded: hop-by-hop headers and those the client sets itself.
SKIPPED = frozenset(
    {
        "host", "content-length", "content-type", "connection", "keep-alive",
        "transfer-encoding", "te", "upgrade", "proxy-connection", "expect", "accept-encoding",
    }
)  # fmt: skip
DEFAULT_TIMEOUT_MS = 60_000  # Go has none without seldon.io/rest-timeout; we never hang forever


def forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in SKIPPED}


class HttpTransport:
    """Calls `base_url + path` for each node. `down(name)` says why a node is known down."""

    def __init__(
        self,
        endpoints: Mapping[str, str],
        timeout_ms: int | None = None,
        down: Callable[[str], str | None] = lambda name: None,
    ) -> None:
        self.endpoints = dict(endpoints)
        self.timeout = (timeout_ms or DEFAULT_TIMEOUT_MS) / 1000
        self.down = down
        self.client = Client()
        self._addresses: dict[str, tuple[str, int]] = {}
        self._in_flight: dict[str, int] = {}
        self._answered: dict[str, float] = {}  # when each node last answered a call

    def activity(self, name: str) -> tuple[int, float]:
        """Calls to `name` in flight, and when it last answered one (monotonic; 0: never)."""
        return self._in_flight.get(name, 0), self._answered.get(name, 0.0)

    def set_endpoint(self, name: str, base_url: str) -> None:
        self.endpoints[name] = base_url
        self._addresses.pop(name, None)

    def address(self, name: str) -> tuple[str, int]:
        address = self._addresses.get(name)
        if address is None:
            url = urlsplit(self.endpoints[name])
            address = (url.hostname or "127.0.0.1", url.port or 80)
            self._addresses[name] = address
        return address

    async def call(
        self,
        unit: Unit,
        method: str,
        path: str,
        payload: Payload | None,
        headers: Mapping[str, str],
    ) -> Reply:
        reason = self.down(unit.name)
        if reason:
            raise TransportFailure(reason, 503)
        host, port = self.address(unit.name)
        out = forwarded(headers)
        if payload is not None:
            out["Content-Type"] = payload.content_type
        body = payload.body if payload is not None else None
        where = f"{method} http://{host}:{port}{path}"
        self._in_flight[unit.name] = self._in_flight.get(unit.name, 0) + 1
        try:
            answer = await self.client.request(method, host, port, path, out, body, self.timeout)
            self._answered[unit.name] = time.monotonic()
        except TimeoutError as exc:
            raise TransportFailure(
                f"{where}: no answer within {self.timeout:g}s "
                "(Client.Timeout exceeded while awaiting headers)"
            ) from exc
        except (OSError, ValueError) as exc:
            reason = self.down(unit.name)
            if reason:
                raise TransportFailure(reason, 503) from exc
            raise TransportFailure(f"{where}: {exc or type(exc).__name__}") from exc
        finally:
            self._in_flight[unit.name] -= 1
        content_type = answer.headers.get("content-type", JSON)
        return Reply(answer.status, Payload(answer.body, content_type))

    async def gather(self, calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
        return list(await asyncio.gather(*calls, return_exceptions=True))

    async def close(self) -> None:
        self.client.close()


def http_executor(
    spec: GraphSpec,
    root: Unit,
    images: Mapping[str, str],
    down: Callable[[str], str | None],
    routing_injection: bool,
) -> tuple[ExecutorMetrics, HttpTransport, Executor]:
    """The executor, its metrics and its HTTP transport, as the process and docker runtimes
    both run them (`down` says why a node cannot take calls right now)."""
    metrics = ExecutorMetrics(Deployment(spec.name, spec.predictor), images)
    transport = HttpTransport({}, spec.rest_timeout_ms, down)
    executor = Executor(
        root,
        transport,
        predictor=spec.predictor,
        observe=metrics.observe_client,
        routing_injection=routing_injection,
    )
    return metrics, transport, executor
