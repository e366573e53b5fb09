"""One predictor of a SeldonDeployment -> the body of a graph file (nodes, flow, pods).

Pods: a graph file puts every container in one pod (`pods: single`) or each in its own
(`pods: per-node`); the layout is read after the operator's defaulting, which appends the
containers of prepackaged servers that have none to `componentSpecs[0]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..manifest.finding import JsonPath
from ..manifest.walk import as_int, as_list, as_map, as_str, is_prepack
from ..spec import Role
from . import flow
from .losses import Inexpressible, Losses
from .nodes import node_entry

_POD_KEYS = frozenset({"metadata", "spec", "replicas"})
_POD_SPEC_KEYS = frozenset({"containers"})


@dataclass
class Pods:
    """Where each container runs: `groups[j]` are the containers of componentSpecs[j]."""

    groups: list[list[str]] = field(default_factory=list)
    replicas: dict[str, int] = field(default_factory=dict)  # container -> componentSpec's
    containers: dict[str, tuple[dict[str, Any], JsonPath]] = field(default_factory=dict)

    @property
    def per_node(self) -> bool:
        return len(self.groups) > 1


def read_pods(pred: dict[str, Any], at: JsonPath, losses: Losses) -> Pods:
    pods = Pods()
    for j, cs in enumerate(map(as_map, as_list(pred.get("componentSpecs")))):
        cs_at = (*at, "componentSpecs", j)
        _pod_fields(cs, cs_at, losses)
        group = []
        for k, c in enumerate(map(as_map, as_list(as_map(cs.get("spec")).get("containers")))):
            name = as_str(c.get("name"))
            if name in pods.containers:
                losses.drop((*cs_at, "spec", "containers", k), "a second container of this name")
                continue
            pods.containers[name] = (c, (*cs_at, "spec", "containers", k))
            group.append(name)
            if isinstance(cs.get("replicas"), int):
                pods.replicas[name] = as_int(cs.get("replicas"))
        pods.groups.append(group)
    return pods


def _pod_fields(cs: dict[str, Any], at: JsonPath, losses: Losses) -> None:
    losses.drop_extra(cs, at, _POD_KEYS)
    losses.drop_extra(as_map(cs.get("spec")), (*at, "spec"), _POD_SPEC_KEYS)
    metadata = as_map(cs.get("metadata"))
    for key in metadata:
        if key == "name":
            losses.cosmetic(
                (*at, "metadata", "name"),
                "not kept: graph files name pods after their node (or `graph`)",
            )
        elif key != "creationTimestamp":
            losses.drop((*at, "metadata", key))


def _add_server_containers(pods: Pods, units: list[tuple[dict[str, Any], JsonPath]]) -> None:
    """The operator's defaulting: a prepackaged server without a container gets one in
    componentSpecs[0] (or in a new componentSpec when there is none)."""
    for unit, _ in units:
        name = as_str(unit.get("name"))
        if is_prepack(unit) and name not in pods.containers:
            if not pods.groups:
                pods.groups.append([])
            pods.groups[0].append(name)


def _layout(pods: Pods, at: JsonPath, losses: Losses) -> str:
    groups = [g for g in pods.groups if g]
    if len(groups) <= 1:
        return "single"
    if all(len(g) == 1 for g in groups):
        return "per-node"
    written = ", ".join("[" + ", ".join(g) + "]" for g in groups)
    losses.drop(
        (*at, "componentSpecs"),
        f"pods {written} not expressible: a graph file puts all containers in one pod "
        "or each in its own; imported as one pod",
    )
    return "single"


def graph_body(
    pred: dict[str, Any], at: JsonPath, replicas: int | None, losses: Losses
) -> tuple[dict[str, Any], int | None]:
    """(`pods`, `nodes`, `flow` of a graph file, the predictor's replicas) for `pred`.

    `replicas` is the SeldonDeployment's `spec.replicas`; a componentSpec's replicas win
    over the predictor's, which win over it (as the operator reads them).
    """
    root = as_map(pred.get("graph"))
    if not as_str(root.get("name")):
        raise Inexpressible((*at, "graph"), "a predictor without a graph (or a nameless root)")
    units = flow.units(root, (*at, "graph"))
    _unique_names(units)
    pods = read_pods(pred, at, losses)
    for name, (_, c_at) in pods.containers.items():
        if name not in {as_str(u.get("name")) for u, _ in units}:
            losses.drop(c_at, f"container `{name}` is not a graph node: not expressible")
    _add_server_containers(pods, units)
    layout = _layout(pods, at, losses)
    default = pred.get("replicas") if isinstance(pred.get("replicas"), int) else replicas
    nodes = {as_str(u.get("name")): _node(u, u_at, pods, layout, losses) for u, u_at in units}
    if layout == "single" and pods.replicas:
        default = next(iter(pods.replicas.values()))
    body: dict[str, Any] = {}
    if layout == "per-node":
        body["pods"] = "per-node"
    body["nodes"] = nodes
    body["flow"] = flow.flow_of(root, (*at, "graph"))
    return body, default


def _unique_names(units: list[tuple[dict[str, Any], JsonPath]]) -> None:
    seen: set[str] = set()
    for unit, u_at in units:
        name = as_str(unit.get("name"))
        if name in seen:
            raise Inexpressible(
                (*u_at, "name"),
                f"a second node named `{name}`: graph files name every node once "
                "(Seldon runs the first of the two twice)",
            )
        seen.add(name)


def _node(
    unit: dict[str, Any], at: JsonPath, pods: Pods, layout: str, losses: Losses
) -> dict[str, Any]:
    name = as_str(unit.get("name"))
    entry = node_entry(unit, at, pods.containers.get(name), losses)
    r = flow.role(unit, at)
    if r in flow.STATED and source_of(entry) == "image":
        entry = _with_kind(entry, r.value.lower())
    if layout == "per-node" and name in pods.replicas:
        entry["replicas"] = pods.replicas[name]
    return entry


def source_of(entry: dict[str, Any]) -> str:
    return next(k for k in ("server", "builtin", "image") if k in entry)


def state_kinds(body: dict[str, Any], kinds: dict[str, Role]) -> dict[str, Any]:
    """`body` with `kind:` stated for `kinds` (never for servers and built-ins, whose role
    is fixed), key order kept: `kind` right after what the node runs."""
    nodes = {}
    for name, entry in body["nodes"].items():
        if name in kinds and source_of(entry) == "image":
            entry = _with_kind(entry, kinds[name].value.lower())
        nodes[name] = entry
    return {**body, "nodes": nodes}


def _with_kind(entry: dict[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key != "kind":
            out[key] = value
        if key == "image":
            out["kind"] = kind
    return out
