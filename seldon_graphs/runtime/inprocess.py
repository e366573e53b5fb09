"""The in-process runtime: every node's object in this process, no sockets between nodes.

A node call goes through seldon_core's own request handling (`seldon_core.seldon_methods`:
payload decoding, meta merging, tags, custom metrics, response construction) exactly as the
wrapper's Flask routes call it, with the same error bodies; only Flask itself is skipped.
Messages still travel between nodes as JSON bytes, as they do over HTTP, so a node can never
see another node's Python objects.

    graph = InProcessGraph(spec, tree, overrides={"lr": FakeModel()})
    graph.predict({"data": {"ndarray": [[1.0, 2.0]]}})
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import seldon_core.flask_utils
import seldon_core.metadata
import seldon_core.utils
from seldon_core import seldon_methods
from seldon_core.flask_utils import SeldonMicroserviceException
from seldon_core.metrics import SeldonMetrics

from ..spec import GraphSpec
from ..tree import TreeNode
from . import walk
from .messages import JSON, Payload, Reply
from .nodes import NodeCode, adapt, load_class, node_code, parameters
from .units import Unit, units_from_tree

T = TypeVar("T")

# (PREDICTIVE_UNIT_ID, PREDICTIVE_UNIT_IMAGE) of the node being called in this context.
_CURRENT: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "seldon_graphs_node", default=None
)
_original_request_path = seldon_core.utils.get_request_path
_metadata_lock = threading.Lock()


def _request_path() -> dict[str, str]:
    """seldon_core reads the node's id and image from the environment; here, from context."""
    current = _CURRENT.get()
    return {current[0]: current[1]} if current else _original_request_path()


seldon_core.utils.get_request_path = _request_path


class LocalSeldonMetrics(SeldonMetrics):  # type: ignore[misc]
    """SeldonMetrics with a plain dict: the wrapper's is shared across gunicorn workers
    through a multiprocessing Manager (a server process and IPC on every call)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.data: dict[Any, Any] = {}
        self.worker_id_func = threading.get_ident
        self._extra_default_labels: dict[str, str] = {}

    def __del__(self) -> None:
        return None


@dataclass
class InProcessNode:
    """One node's user object with what the wrapper would hold beside it."""

    name: str
    image: str
    obj: Any
    metrics: SeldonMetrics
    metadata: dict[str, Any] | None

    @classmethod
    def build(cls, code: NodeCode, override: object | None = None) -> InProcessNode:
        obj = _fake(override, code) if override is not None else _instantiate(code)
        with _metadata_lock:  # the default metadata name is read from a module global
            saved = seldon_core.metadata.MODEL_IMAGE
            seldon_core.metadata.MODEL_IMAGE = code.image
            try:
                metadata = seldon_methods.init_metadata(obj)
            finally:
                seldon_core.metadata.MODEL_IMAGE = saved
        return cls(code.name, code.image, obj, LocalSeldonMetrics(), metadata)

    def handle(self, path: str, body: bytes | None, content_type: str = JSON) -> Reply:
        """What the wrapper's Flask route for `path` answers, status and body."""
        token = _CURRENT.set((self.name, self.image))
        try:
            answer = self._dispatch(path, body, content_type)
            status = _predict_status(answer) if path == walk.PREDICT else 200
        except SeldonMicroserviceException as exc:
            status, answer = exc.status_code, exc.to_dict()
        except Exception as exc:  # the wrapper's generic handler: any error is a 500
            status, answer = 500, _internal_error(exc)
        finally:
            _CURRENT.reset(token)
        return Reply(status, Payload(_flask_json(answer), JSON))

    def _dispatch(self, path: str, body: bytes | None, content_type: str) -> Any:
        if path == walk.STATUS:
            return seldon_methods.health_status(self.obj, self.metrics)
        if path == walk.METADATA:
            if self.metadata is None:
                raise SeldonMicroserviceException(
                    "Model metadata unavailable", 500, reason="MICROSERVICE_BAD_METADATA"
                )
            return self.metadata
        request = _request_json(body or b"", content_type)
        if path == walk.FEEDBACK:
            proto = seldon_core.utils.json_to_feedback(request)
            answer = seldon_methods.send_feedback(self.obj, proto, self.name, self.metrics)
            return seldon_core.utils.seldon_message_to_json(answer)
        method = _METHODS.get(path)
        if method is None:
            raise SeldonMicroserviceException(f"no such endpoint {path}", 404)
        return method(self.obj, request, self.metrics)


_METHODS: dict[str, Callable[[Any, Any, SeldonMetrics], Any]] = {
    walk.PREDICT: seldon_methods.predict,
    walk.TRANSFORM_INPUT: seldon_methods.transform_input,
    walk.TRANSFORM_OUTPUT: seldon_methods.transform_output,
    walk.ROUTE: seldon_methods.route,
    walk.AGGREGATE: seldon_methods.aggregate,
}


def _predict_status(answer: Any) -> int:
    """The wrapper's /predict answers with `status.code` when the result carries one."""
    status = answer.get("status") if isinstance(answer, dict) else None
    code = status.get("code") if isinstance(status, dict) else None
    return code if isinstance(code, int) else 200


def _request_json(body: bytes, content_type: str) -> Any:
    """The request as the wrapper's `get_request` reads it from this body and Content-Type.

    Plain JSON (what every node answers, so every call but a graph's first) is decoded here;
    anything else (form `json=`, multipart, text/plain, none) goes through seldon_core's own
    `get_request` on a Flask request built from the same bytes and header, so a node accepts
    and refuses exactly what its wrapper does.
    """
    if content_type.split(";")[0].strip().lower() != JSON:
        with _flask_app().test_request_context(
            "/", method="POST", data=body, headers={"Content-Type": content_type}
        ):
            return seldon_core.flask_utils.get_request()
    try:
        request = json.loads(body)
    except ValueError:
        request = None
    if request is None:
        raise SeldonMicroserviceException("Can't find JSON in data")
    return request


@functools.cache
def _flask_app() -> Any:
    from flask import Flask

    return Flask("seldon_graphs.inprocess")


def _internal_error(exc: Exception) -> dict[str, Any]:
    error = SeldonMicroserviceException(str(exc), 500, reason="MICROSERVICE_INTERNAL_ERROR")
    return dict(error.to_dict())


def _flask_default(value: Any) -> Any:
    from flask.json.provider import _default

    return _default(value)


def _flask_json(value: Any) -> bytes:
    """Flask 2.2's jsonify: sorted keys, compact, ASCII, a trailing newline."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=_flask_default)
    return (text + "\n").encode()


def _instantiate(code: NodeCode) -> Any:
    obj = load_class(code)(**parameters(code))
    with contextlib.suppress(NotImplementedError, AttributeError):
        obj.load()  # errors ignored as seldon-core-microservice ignores them
    return obj


class _FunctionNode:
    """A plain function given as a fake: `predict(X, names)` returns `fn(X)`."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def predict(self, X: Any, names: Any) -> Any:
        return self.fn(X)


def _fake(override: object, code: NodeCode) -> Any:
    """A test's replacement object, mapped onto the node's role like the real class."""
    obj = (
        _FunctionNode(override)
        if callable(override)
        and not hasattr(override, "predict")
        and not isinstance(override, type)
        else override
    )
    if not code.adapted:
        return obj
    adapter = adapt(type(obj), code.role)
    try:
        adapted: Any = object.__new__(adapter)
        adapted.__dict__ = obj.__dict__  # share state: the test can inspect its fake
    except (TypeError, AttributeError):
        return obj
    return adapted


class InProcessTransport:
    """Calls nodes directly; a fan-out runs its children one after another."""

    def __init__(self, nodes: Mapping[str, InProcessNode]) -> None:
        self.nodes = nodes

    async def call(
        self,
        unit: Unit,
        method: str,
        path: str,
        payload: Payload | None,
        headers: Mapping[str, str],
    ) -> Reply:
        node = self.nodes.get(unit.name)
        if node is None:
            raise walk.TransportFailure(f"no in-process node {unit.name!r}")
        if payload is None:
            return node.handle(path, None)
        return node.handle(path, payload.body, payload.content_type)

    async def gather(self, calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
        results: list[T | BaseException] = []
        for call in calls:
            try:
                results.append(await call)
            except Exception as exc:
                results.append(exc)
        return results


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a walk over the in-process transport, which never suspends: no event loop."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("an in-process node call suspended; in-process nodes must be synchronous")


def build_nodes(
    spec: GraphSpec,
    root: Unit,
    overrides: Mapping[str, object],
    model_uris: Mapping[str, str],
) -> dict[str, InProcessNode]:
    unknown = sorted(set(overrides) - {u.name for u in root.walk()})
    if unknown:
        raise KeyError(f"no node named {', '.join(unknown)} in graph {spec.name!r}")
    nodes: dict[str, InProcessNode] = {}
    for unit in root.walk():
        if unit.builtin:
            continue
        code = (
            node_code(spec, unit, model_uris)
            if unit.name not in overrides
            else _fake_code(spec, unit)
        )
        nodes[unit.name] = InProcessNode.build(code, overrides.get(unit.name))
    return nodes


def _fake_code(spec: GraphSpec, unit: Unit) -> NodeCode:
    from pathlib import Path

    from .nodes import node_image

    image = node_image(spec, spec.node(unit.name), unit.type)
    return NodeCode(unit.name, Path("<fake>"), "", unit.type, unit.parameters, image)


class InProcessGraph:
    """A graph whose nodes are objects in this process; `predict` and `feedback` as dicts.

    A failed request raises `walk.ExecutorError` with the status and body the executor
    would answer (a node's error passed through, or Seldon's 500 status naming the node).
    """

    def __init__(
        self,
        spec: GraphSpec,
        tree: TreeNode,
        overrides: Mapping[str, object] | None = None,
        model_uris: Mapping[str, str] | None = None,
        *,
        routing_injection: bool = False,
    ) -> None:
        self.spec = spec
        self.root = units_from_tree(tree, spec)
        self.nodes = build_nodes(spec, self.root, overrides or {}, model_uris or {})
        self.transport = InProcessTransport(self.nodes)
        self.executor = walk.Executor(
            self.root,
            self.transport,
            predictor=spec.predictor,
            routing_injection=routing_injection,
        )

    def predict(self, payload: dict[str, Any], headers: Mapping[str, str] | None = None) -> Any:
        return self._run(self.executor.predict, payload, headers)

    def feedback(self, payload: dict[str, Any], headers: Mapping[str, str] | None = None) -> Any:
        return self._run(self.executor.feedback, payload, headers)

    def metadata(self) -> Any:
        return json.loads(run_sync(self.executor.metadata(_with_puid(None))).body)

    def _run(
        self,
        operation: Callable[[Payload, Mapping[str, str]], Coroutine[Any, Any, Payload]],
        payload: dict[str, Any],
        headers: Mapping[str, str] | None,
    ) -> Any:
        body = json.dumps(payload).encode()
        answer = run_sync(operation(Payload(body, JSON), _with_puid(headers)))
        return json.loads(answer.body)


def _with_puid(headers: Mapping[str, str] | None) -> dict[str, str]:
    out = dict(headers or {})
    out.setdefault(walk.PUID_HEADER, str(uuid.uuid4()))
    return out


class InProcessBackend:
    """The in-process graph behind the executor's HTTP server (`run --runtime inprocess`).

    Requests run one at a time on a worker thread (like the wrapper's default gunicorn: one
    worker, one thread), so the server's event loop keeps answering /live, /ready and
    /prometheus, and draining works, while a node computes.
    """

    def __init__(
        self,
        spec: GraphSpec,
        tree: TreeNode,
        overrides: Mapping[str, object] | None = None,
        model_uris: Mapping[str, str] | None = None,
        *,
        routing_injection: bool = False,
    ) -> None:
        from .metrics import Deployment, ExecutorMetrics

        self.graph = InProcessGraph(
            spec, tree, overrides, model_uris, routing_injection=routing_injection
        )
        images = {name: node.image for name, node in self.graph.nodes.items()}
        self.metrics = ExecutorMetrics(Deployment(spec.name, spec.predictor), images)
        self.graph.executor.observe = self.metrics.observe_client
        self.executor = OffLoop(self.graph.executor)

    async def start(self) -> None:
        return None

    async def problems(self) -> list[str]:
        return []

    async def close(self) -> None:
        self.executor.pool.shutdown(wait=True)

    def kill(self) -> None:
        """Drop the queued calls (a running node call cannot be interrupted)."""
        self.executor.pool.shutdown(wait=False, cancel_futures=True)


class OffLoop:
    """An in-process executor's operations, each run to completion on one worker thread."""

    def __init__(self, executor: walk.Executor) -> None:
        self.inner = executor
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seldon-graphs-node")

    async def _run(self, coro: Coroutine[Any, Any, Payload]) -> Payload:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, run_sync, coro)

    async def predict(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        return await self._run(self.inner.predict(msg, headers))

    async def feedback(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        return await self._run(self.inner.feedback(msg, headers))

    async def metadata(self, headers: Mapping[str, str]) -> Payload:
        return await self._run(self.inner.metadata(headers))

    async def node_status(self, name: str, headers: Mapping[str, str]) -> Payload:
        return await self._run(self.inner.node_status(name, headers))

    async def node_metadata(self, name: str, headers: Mapping[str, str]) -> Payload:
        return await self._run(self.inner.node_metadata(name, headers))
