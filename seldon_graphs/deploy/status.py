"""`status`: the SeldonDeployment's state, each graph node's containers, the endpoint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .diagnose import diagnose
from .endpoint import Endpoint, endpoint_of
from .kube import JsonDict, Kube
from .names import sdep_selector
from .rollout import deployment_name

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
    """The node containers of one predictor, in a SeldonDeployment with several."""

    name: str
    nodes: tuple[NodeStatus, ...]


@dataclass(frozen=True)
class Status:
    namespace: str
    name: str
    state: str
    description: str
    nodes: tuple[NodeStatus, ...]
    endpoint: Endpoint
    predictors: tuple[PredictorStatus, ...] = ()  # when there are several

    @property
    def available(self) -> bool:
        return self.state == "Available"

    def render(self) -> str:
        width = max([len(n.name) for n in self.nodes] + [4])
        lines = [f"{self.namespace}/{self.name}: {self.state or 'no state yet'}"]
        if self.description and not self.available:
            lines.append(f"  {self.description}")
        if self.predictors:
            width = max([width, *(len(n.name) for p in self.predictors for n in p.nodes)])
            for p in self.predictors:
                lines.append(f"predictor {p.name}, nodes:")
                lines.extend(n.render(width) for n in p.nodes)
        else:
            lines.append("nodes:")
            lines.extend(n.render(width) for n in self.nodes)
        lines.append(self.endpoint.render())
        return "\n".join(lines)


def read_status(kube: Kube, sdep: JsonDict, ingress: str | None = None) -> Status:
    meta, st = sdep["metadata"], sdep.get("status") or {}
    pods = kube.pods(meta["namespace"], sdep_selector(meta["name"]))
    names = [*graph_nodes(sdep), EXECUTOR]
    nodes = tuple(_node_status(n, pods) for n in names)
    return Status(
        meta["namespace"],
        meta["name"],
        str(st.get("state") or ""),
        str(st.get("description") or ""),
        nodes,
        endpoint_of(sdep, kube.conn.context, ingress),
        _predictor_statuses(sdep, pods),
    )


def _predictor_statuses(sdep: JsonDict, pods: list[Any]) -> tuple[PredictorStatus, ...]:
    predictors = sdep.get("spec", {}).get("predictors") or []
    if len(predictors) < 2:
        return ()
    out = []
    for p in predictors:
        mine = _pods_of(sdep["metadata"]["name"], p, pods)
        names = [*_unit_names(p.get("graph") or {}), EXECUTOR]
        out.append(PredictorStatus(str(p.get("name")), tuple(_node_status(n, mine) for n in names)))
    return tuple(out)


def _pods_of(sdep: str, predictor: JsonDict, pods: list[Any]) -> list[Any]:
    """A predictor's pods: those of the Deployments the operator names after its
    componentSpecs (`<deployment>-<rs hash>-<pod hash>`)."""
    components = predictor.get("componentSpecs") or []
    prefixes = tuple(
        f"{deployment_name(sdep, str(predictor.get('name')), i, c)}-"
        for i, c in enumerate(components)
    )
    return [p for p in pods if prefixes and str(p.metadata.name).startswith(prefixes)]


def graph_nodes(sdep: JsonDict) -> list[str]:
    """Node names in pre-order over every predictor's graph."""
    names: list[str] = []
    for predictor in sdep.get("spec", {}).get("predictors") or []:
        names.extend(_unit_names(predictor.get("graph") or {}))
    return names


def _unit_names(root: JsonDict) -> list[str]:
    names: list[str] = []
    stack = [root]
    while stack:
        unit = stack.pop()
        names.append(str(unit.get("name")))
        stack.extend(reversed(unit.get("children") or []))
    return names


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
