"""`status`: the SeldonDeployment's state, and for every predictor its graph nodes' containers
and its endpoint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..sdep import Predictor, as_map, as_str, read
from .diagnose import diagnose
from .endpoint import Endpoint, endpoints_of, render_endpoints
from .kube import JsonDict, Kube
from .names import sdep_selector

EXECUTOR = "seldon-container-engine"


@dataclass(frozen=True)
class NodeStatus:
    name: str
    ready: int  # containers of this name that are ready
    total: int  # containers of this name
    detail: str  # a waiting reason, or "" when ready

    def render(self, width: int) -> str:
        if self.total == 0:
            word = "no container (built into the executor)" if self.name != EXECUTOR else "none"
            return f"  {self.name:<{width}}  {word}"
        state = "ready" if self.ready == self.total else "NOT ready"
        extra = f"  {self.detail}" if self.detail else ""
        return f"  {self.name:<{width}}  {state} {self.ready}/{self.total}{extra}"


@dataclass(frozen=True)
class PredictorStatus:
    name: str
    nodes: tuple[NodeStatus, ...]
    endpoint: Endpoint

    def render(self, width: int, alone: bool) -> list[str]:
        """Alone: the nodes as one list. One of several: under the predictor's name."""
        if alone:
            return ["nodes:", *(n.render(width) for n in self.nodes)]
        shadow = " (shadow)" if self.endpoint.shadow else ""
        return [f"predictor {self.name}{shadow}:", *(f"  {n.render(width)}" for n in self.nodes)]


@dataclass(frozen=True)
class Status:
    namespace: str
    name: str
    state: str
    description: str
    predictors: tuple[PredictorStatus, ...]

    @property
    def available(self) -> bool:
        return self.state == "Available"

    @property
    def nodes(self) -> tuple[NodeStatus, ...]:
        return tuple(n for p in self.predictors for n in p.nodes)

    def render(self) -> str:
        width = max([len(n.name) for n in self.nodes] + [4])
        lines = [f"{self.namespace}/{self.name}: {self.state or 'no state yet'}"]
        if self.description and not self.available:
            lines.append(f"  {self.description}")
        alone = len(self.predictors) == 1
        for predictor in self.predictors:
            lines.extend(predictor.render(width, alone))
        lines.append(render_endpoints([p.endpoint for p in self.predictors]))
        return "\n".join(lines)


def read_status(kube: Kube, sdep: JsonDict, ingress: str | None = None) -> Status:
    """The state, and per predictor its nodes' containers (from the pods that carry the
    predictor's labels) and its endpoint."""
    model = read(sdep)
    pods = kube.pods(model.namespace, sdep_selector(model.name))
    endpoints = endpoints_of(sdep, kube.conn.context, ingress)
    alone = len(model.predictors) <= 1
    predictors = tuple(
        PredictorStatus(
            endpoint.predictor,
            _nodes(predictor, pods if alone else _pods_of(predictor, pods)),
            endpoint,
        )
        for predictor, endpoint in zip(model.predictors or (Predictor(),), endpoints, strict=True)
    )
    st = as_map(model.status)
    return Status(
        model.namespace,
        model.name,
        as_str(st.get("state")),
        as_str(st.get("description")),
        predictors,
    )


def _nodes(predictor: Predictor, pods: list[Any]) -> tuple[NodeStatus, ...]:
    names = [*(u.name or "" for u in predictor.units), EXECUTOR]
    return tuple(_node_status(n, pods) for n in names)


def _pods_of(predictor: Predictor, pods: list[Any]) -> list[Any]:
    """The pods of one predictor: the operator copies the predictor's labels (with `version`
    defaulted to its name) onto each of its pods."""
    wanted = {"version": predictor.name or "", **(predictor.labels or {})}
    return [p for p in pods if wanted.items() <= ((p.metadata.labels or {}).items())]


def _node_status(name: str, pods: Iterable[Any]) -> NodeStatus:
    ready = total = 0
    detail = ""
    for pod in pods:
        for cs in pod.status.container_statuses or []:
            if cs.name != name:
                continue
            total += 1
            ready += bool(cs.ready)
            waiting = cs.state.waiting if cs.state else None
            if waiting is not None and waiting.reason:
                detail = f"{waiting.reason} (pod {pod.metadata.name})"
    if total and not detail and ready < total:
        problems = [p for p in diagnose(pods) if p.container in (name, None)]
        detail = problems[0].reason if problems else "starting"
    return NodeStatus(name, ready, total, detail)
