"""A transport with scripted nodes, to test the walk alone (like the Go tests' mock client:
predict/transform echo, route answers a chosen route, aggregate concatenates)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from seldon_graphs.runtime.messages import JSON, Payload, Reply
from seldon_graphs.runtime.units import Unit
from seldon_graphs.runtime.walk import TransportFailure

T = TypeVar("T")
Script = Callable[[str, Any], Reply | None]


def msg(*trail: str) -> Payload:
    return Payload(json.dumps({"jsonData": {"trail": list(trail)}}).encode(), JSON)


def trail(payload: Payload) -> Any:
    return json.loads(payload.body)["jsonData"]["trail"]


class FakeTransport:
    def __init__(
        self, routes: Mapping[str, int] | None = None, scripts: Mapping[str, Script] | None = None
    ) -> None:
        self.routes = dict(routes or {})
        self.scripts = dict(scripts or {})
        self.calls: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, str, Any]] = []
        self.headers: list[Mapping[str, str]] = []

    async def call(
        self,
        unit: Unit,
        method: str,
        path: str,
        payload: Payload | None,
        headers: Mapping[str, str],
    ) -> Reply:
        await asyncio.sleep(0)  # let parallel children interleave
        self.calls.append((unit.name, path))
        self.headers.append(dict(headers))
        body = json.loads(payload.body) if payload else None
        self.bodies.append((unit.name, path, body))
        script = self.scripts.get(unit.name)
        if script is not None:
            reply = script(path, body)
            if reply is not None:
                return reply
        return _default(unit.name, path, body, self.routes)

    async def gather(self, calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
        return list(await asyncio.gather(*calls, return_exceptions=True))


def _default(name: str, path: str, body: Any, routes: Mapping[str, int]) -> Reply:
    if path == "/route":
        return ok({"data": {"ndarray": [[routes.get(name, -1)]]}})
    if path == "/aggregate":
        return ok({"jsonData": {"trail": [f"{name}{path}"], "children": body}})
    if path in ("/metadata", "/health/status"):
        return ok({"name": name, "inputs": [f"in:{name}"], "outputs": [f"out:{name}"]})
    if path == "/send-feedback":
        return ok({"jsonData": {"feedback": name}})
    return ok({"jsonData": {"trail": [*body["jsonData"]["trail"], f"{name}{path}"]}})


def ok(value: Any, status: int = 200) -> Reply:
    return Reply(status, Payload(json.dumps(value).encode(), JSON))


def fails(status: int, text: str) -> Script:
    return lambda path, body: Reply(status, Payload(text.encode(), JSON))


def unreachable(path: str, body: Any) -> Reply:
    raise TransportFailure("POST http://127.0.0.1:9001/predict: connection refused")
