"""The Go executor's graph walk (`predictor_process.go`), one implementation for every runtime.

Errors raised here and by transports (one tree, the walk translates the second into the
first, so callers see only `ExecutorError`):

    ExecutorError            a request that failed: HTTP status + body, as the executor answers
    └── NodeFailed           a node answered non-200: its status and body, passed through verbatim
    TransportFailure         a node could not be reached / timed out / is down (raised by a
                             transport; becomes ExecutorError 500, or 503 for a known-down node)

The node call is the swappable part: a `Transport` calls a node in-process, over HTTP to a
local `seldon-core-microservice`, or to a container. Everything else is this file.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from ..spec import Role
from .messages import (
    JSON,
    Payload,
    Reply,
    combine,
    extract_route,
    feedback_routing,
    go_json,
    go_struct,
    inject_routing,
    loads,
    model_metadata,
    status_body,
)
from .units import Unit, operator_addresses

T = TypeVar("T")

PUID_HEADER = "Seldon-Puid"
ERROR_CONTENT_TYPE = "text/plain; charset=utf-8"  # what Go's respondWithError ends up sending

# Paths the executor calls on a node (seldon protocol, rest/client.go).
PREDICT, TRANSFORM_INPUT, TRANSFORM_OUTPUT = "/predict", "/transform-input", "/transform-output"
ROUTE, AGGREGATE, FEEDBACK = "/route", "/aggregate", "/send-feedback"
STATUS, METADATA = "/health/status", "/metadata"


class ExecutorError(Exception):
    """A failed request as the executor answers it: HTTP status and body."""

    def __init__(self, status: int, body: bytes, content_type: str = ERROR_CONTENT_TYPE) -> None:
        super().__init__(body.decode("utf-8", "replace"))
        self.status = status
        self.body = body
        self.content_type = content_type


class NodeFailed(ExecutorError):
    """A node answered non-200: its status and body are the graph's answer."""

    def __init__(self, node: str, reply: Reply) -> None:
        super().__init__(reply.status, reply.payload.body)
        self.node = node


class TransportFailure(Exception):
    """A transport could not get an answer from a node (refused, reset, timeout, down)."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


def failure(info: str, status: int = 500, code: int | None = None) -> ExecutorError:
    """An executor-side error with Seldon's status body (`code` in the body: `status` unless
    given; Go's own errors always say 500 there, whatever the HTTP status)."""
    return ExecutorError(status, status_body(status if code is None else code, info))


class Transport(Protocol):
    """How the executor reaches a node. Raise TransportFailure when there is no answer."""

    async def call(
        self,
        unit: Unit,
        method: str,
        path: str,
        payload: Payload | None,
        headers: Mapping[str, str],
    ) -> Reply: ...

    async def gather(self, calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
        """Run calls to completion (in parallel where the transport can), results in order."""
        ...


# (unit, method, path, status, seconds) for every node call; see metrics.py.
Observer = Callable[[Unit, str, str, int, float], None]


def _no_observer(unit: Unit, method: str, path: str, status: int, seconds: float) -> None:
    return None


class Walk:
    """One request's walk (a fresh `PredictorProcess`): records routing as it goes."""

    def __init__(
        self,
        transport: Transport,
        headers: Mapping[str, str],
        observe: Observer = _no_observer,
        rng: Callable[[], float] = random.random,
        addresses: Mapping[str, str] | None = None,
    ) -> None:
        self.transport = transport
        self.headers = headers
        self.observe = observe
        self.rng = rng
        self.addresses = addresses or {}
        self.routing: dict[str, int] = {}

    async def call(self, unit: Unit, path: str, payload: Payload | None) -> Payload:
        method = "GET" if payload is None else "POST"
        start = time.perf_counter()
        try:
            reply = await self.transport.call(unit, method, path, payload, self.headers)
        except TransportFailure as exc:
            self.observe(unit, method, path, exc.status, time.perf_counter() - start)
            raise failure(f"node {unit.name!r}: {exc}", exc.status) from exc
        self.observe(unit, method, path, reply.status, time.perf_counter() - start)
        if reply.status != 200:
            raise NodeFailed(unit.name, reply)
        return reply.payload

    # --- predict -------------------------------------------------------------------------
    async def predict(self, unit: Unit, msg: Payload) -> Payload:
        transformed = await self.transform_input(unit, msg)
        children = await self.predict_children(unit, transformed)
        return await self.transform_output(unit, children)

    async def transform_input(self, unit: Unit, msg: Payload) -> Payload:
        call_ti = unit.type == Role.TRANSFORMER or unit.has("TRANSFORM_INPUT")
        if unit.type != Role.MODEL and not call_ti:
            return msg
        self.routing[unit.name] = -1
        return await self.call(unit, TRANSFORM_INPUT if call_ti else PREDICT, msg)

    async def predict_children(self, unit: Unit, msg: Payload) -> Payload:
        if not unit.children:
            return msg
        route = await self.route(unit, msg)
        if route == -1:
            outputs = await self._all(unit.children, msg, self.predict)
            self.routing[unit.name] = -1
        elif route == -2:
            self.routing[unit.name] = -2
            return msg
        else:
            outputs = [await self.predict(self._child(unit, route), msg)]
            self.routing[unit.name] = route
        return await self.aggregate(unit, outputs)

    async def route(self, unit: Unit, msg: Payload) -> int:
        if unit.type == Role.ROUTER or unit.has("ROUTE"):
            try:
                answer = await self.call(unit, ROUTE, msg)
            except NodeFailed as exc:
                raise self._route_failed(unit, exc.status) from exc
            try:
                return extract_route(answer.body)
            except (ValueError, TypeError, AttributeError) as exc:
                raise failure(f"router {unit.name!r} returned no usable route: {exc}") from exc
        if unit.implementation == "RANDOM_ABTEST":
            return 0 if self.rng() < ratio_a(unit) else 1
        return -1

    async def aggregate(self, unit: Unit, outputs: list[Payload]) -> Payload:
        if unit.type == Role.COMBINER or unit.has("AGGREGATE"):
            if not all(p.is_json for p in outputs):
                raise failure(f"combiner {unit.name!r}: Data is not JSON")
            self.routing[unit.name] = -1
            return await self.call(unit, AGGREGATE, combine(outputs))
        return outputs[0]  # the first-child rule: other children's outputs are dropped

    async def transform_output(self, unit: Unit, msg: Payload) -> Payload:
        if unit.type == Role.OUTPUT_TRANSFORMER or unit.has("TRANSFORM_OUTPUT"):
            return await self.call(unit, TRANSFORM_OUTPUT, msg)
        return msg

    # --- feedback ------------------------------------------------------------------------
    async def feedback(self, unit: Unit, msg: Payload, routing: Mapping[str, int]) -> Payload:
        if unit.children:
            route = routing.get(unit.name, -1)
            if route == -1:
                await self._all(unit.children, msg, lambda c, m: self.feedback(c, m, routing))
            else:
                await self.feedback(self._child(unit, route), msg, routing)
        if unit.type in (Role.MODEL, Role.ROUTER) or unit.has("SEND_FEEDBACK"):
            return await self.call(unit, FEEDBACK, msg)
        return msg

    # --- helpers -------------------------------------------------------------------------
    def _route_failed(self, unit: Unit, status: int) -> ExecutorError:
        """Go's `Route` drops a router's error body: the router's status, the executor's own
        body naming the URL it called (the operator's address of the node on a cluster)."""
        address = self.addresses.get(unit.name, unit.name)
        info = (
            f"Internal service call from executor failed calling http://{address}{ROUTE} "
            f"status code {status}"
        )
        return failure(info, status, code=500)

    def _child(self, unit: Unit, route: int) -> Unit:
        if 0 <= route < len(unit.children):
            return unit.children[route]
        names = ", ".join(c.name for c in unit.children)
        raise failure(
            f"router {unit.name!r} chose route {route}, but it has {len(unit.children)} "
            f"children ({names}): valid routes are 0..{len(unit.children) - 1}, -1 (all) "
            "and -2 (none)"
        )

    async def _all(
        self,
        children: tuple[Unit, ...],
        msg: Payload,
        step: Callable[[Unit, Payload], Awaitable[Payload]],
    ) -> list[Payload]:
        """Every child with the same input; the first error in child order wins."""
        if len(children) == 1:  # nothing to run beside it: skip the task machinery
            return [await step(children[0], msg)]
        results = await self.transport.gather([step(child, msg) for child in children])
        outputs: list[Payload] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            outputs.append(result)
        return outputs


def ratio_a(unit: Unit) -> float:
    """RANDOM_ABTEST's ratioA: only read when it is the node's one and only parameter."""
    if len(unit.parameters) == 1 and unit.parameters[0].name == "ratioA":
        try:
            return float(unit.parameters[0].value)
        except ValueError as exc:
            raise failure(f"A/B test {unit.name!r}: ratioA is not a number: {exc}") from exc
    return 0.5


class GraphOperations(Protocol):
    """What the HTTP server asks of a graph (an `Executor`, or a wrapper around one)."""

    async def predict(self, msg: Payload, headers: Mapping[str, str]) -> Payload: ...

    async def feedback(self, msg: Payload, headers: Mapping[str, str]) -> Payload: ...

    async def metadata(self, headers: Mapping[str, str]) -> Payload: ...

    async def node_status(self, name: str, headers: Mapping[str, str]) -> Payload: ...

    async def node_metadata(self, name: str, headers: Mapping[str, str]) -> Payload: ...


class Executor:
    """A graph behind the executor's operations, over one transport."""

    def __init__(
        self,
        root: Unit,
        transport: Transport,
        *,
        predictor: str = "default",
        observe: Observer = _no_observer,
        routing_injection: bool = False,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.root = root
        self.transport = transport
        self.predictor = predictor
        self.observe = observe
        self.routing_injection = routing_injection
        self.rng = rng
        self.addresses = operator_addresses(root)

    def _walk(self, headers: Mapping[str, str]) -> Walk:
        if PUID_HEADER not in headers:
            raise failure("context value for Seldon PUID Header is nil")
        return Walk(self.transport, headers, self.observe, self.rng, self.addresses)

    async def predict(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        walk = self._walk(headers)
        out = await walk.predict(self.root, msg)
        return inject_routing(out, walk.routing) if self.routing_injection else out

    async def feedback(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        walk = self._walk(headers)
        routing = feedback_routing(msg.body)
        for name, route in routing.items():
            if route == -2:
                raise failure(f"feedback routing for {name!r} is -2 (no child ran)", 400)
        return await walk.feedback(self.root, msg, routing)

    def unit(self, name: str) -> Unit:
        unit = self.root.find(name)
        if unit is None or unit.builtin:
            raise failure(f"Failed to find model {name}")
        return unit

    async def node_status(self, name: str, headers: Mapping[str, str]) -> Payload:
        return await Walk(self.transport, headers, self.observe).call(self.unit(name), STATUS, None)

    async def node_metadata(self, name: str, headers: Mapping[str, str]) -> Payload:
        return await Walk(self.transport, headers, self.observe).call(
            self.unit(name), METADATA, None
        )

    async def metadata(self, headers: Mapping[str, str]) -> Payload:
        """Graph metadata (`metadata.go`): every node's /metadata plus the graph's edges."""
        walk = Walk(self.transport, headers, self.observe)
        units = [u for u in self.root.walk() if not u.builtin]
        answers = await self.transport.gather([walk.call(u, METADATA, None) for u in units])
        models: dict[str, dict[str, Any]] = {}
        for unit, answer in zip(units, answers, strict=True):
            if isinstance(answer, BaseException):
                raise answer
            try:
                models[unit.name] = model_metadata(loads(answer.body))
            except ValueError as exc:
                raise failure(f"node {unit.name!r}: metadata: {exc}") from exc
        first, last = edge_units(self.root)
        return Payload(self._graph_metadata(models, first, last), JSON)

    def _graph_metadata(
        self, models: Mapping[str, dict[str, Any]], first: Unit, last: Unit
    ) -> bytes:
        """`GraphMetadata` as Go's json.Marshal writes it (struct fields in order)."""
        encoded = go_struct(
            (name, go_struct((k, go_json(v)) for k, v in models[name].items()))
            for name in sorted(models)
        )
        return go_struct(
            [
                ("name", go_json(self.predictor)),
                ("models", encoded),
                ("graphinputs", go_json(models.get(first.name, {}).get("inputs"))),
                ("graphoutputs", go_json(models.get(last.name, {}).get("outputs"))),
            ]
        )


def edge_units(unit: Unit) -> tuple[Unit, Unit]:
    """`getEdgeNodes`: the units whose inputs and outputs are the graph's."""
    if not unit.children:
        return unit, unit
    first = unit.children[0]
    if unit.type in (Role.MODEL, Role.TRANSFORMER) and not unit.builtin:
        return unit, edge_units(first)[1]
    if unit.type in (Role.OUTPUT_TRANSFORMER, Role.COMBINER) and not unit.builtin:
        return edge_units(first)[0], unit
    return edge_units(first)  # ROUTER, and built-ins with no container of their own
