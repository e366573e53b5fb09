"""One predictor of a SeldonDeployment -> the body of a graph file (nodes, flow, pods).

Pods: a graph file puts every container in one pod (`pods: single`) or each in its own
(`pods: per-node`); the layout is read after the operator's defaulting, which appends the
containers of prepackaged servers that have none to `componentSpecs[0]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import sdep
from ..manifest.finding import JsonPath
from ..manifest.walk import as_list, as_map, as_str, is_prepack
from ..spec import Role
from . import flow
from .losses import Inexpressible, Losses
from .nodes import node_entry
from .scaling import hpa_entry, pdb_entry

_POD_KEYS = frozenset({"metadata", "spec", "replicas", "hpaSpec", "pdbSpec"})
_POD_SPEC_KEYS = frozenset({"containers", "imagePullSecrets"})
_TYPED_POD_KEYS = frozenset({"replicas", "hpaSpec", "pdbSpec"})


@dataclass
class Pods:
    """Where each container runs: `groups[j]` are the containers of componentSpecs[j]."""

    groups: list[list[str]] = field(default_factory=list)
    replicas: dict[str, int] = field(default_factory=dict)  # container -> componentSpec's
    containers: dict[str, tuple[dict[str, Any], JsonPath]] = field(default_factory=dict)
    specs: list[tuple[sdep.ComponentSpec, JsonPath]] = field(default_factory=list)  # groups'

    @property
    def per_node(self) -> bool:
        return len(self.groups) > 1

    def scaled(self) -> list[tuple[int, sdep.ComponentSpec, JsonPath]]:
        """(j, componentSpecs[j], its path) of the pods with an hpaSpec or a pdbSpec."""
        return [
            (j, cs, at)
            for j, (cs, at) in enumerate(self.specs)
            if cs.hpa_spec is not None or cs.pdb_spec is not None
        ]

    def spec_of(self, container: str) -> tuple[sdep.ComponentSpec, JsonPath] | None:
        found = [j for j, group in enumerate(self.groups) if container in group]
        return self.specs[found[0]] if found and found[0] < len(self.specs) else None


def read_pods(pred: dict[str, Any], at: JsonPath, losses: Losses) -> Pods:
    pods = Pods()
    for j, raw in enumerate(map(as_map, as_list(pred.get("componentSpecs")))):
        cs, cs_at = sdep.ComponentSpec.from_dict(raw), (*at, "componentSpecs", j)
        _pod_fields(raw, cs_at, losses)
        for key in _TYPED_POD_KEYS & cs.extra.keys():  # written, but not as the CRD types it
            losses.drop((*cs_at, key), "not of the type Seldon reads it as: dropped")
        group = []
        for k, c in enumerate(map(as_map, as_list((cs.spec or {}).get("containers")))):
            name = as_str(c.get("name"))
            if name in pods.containers:
                losses.drop((*cs_at, "spec", "containers", k), "a second container of this name")
                continue
            pods.containers[name] = (c, (*cs_at, "spec", "containers", k))
            group.append(name)
            if cs.replicas is not None:
                pods.replicas[name] = cs.replicas
        pods.groups.append(group)
        pods.specs.append((cs, cs_at))
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
    if len(groups) == 1 and len(groups[0]) == 1 and pods.scaled():
        return "per-node"  # one node in one pod: only `per-node` lets it say `hpa`/`pdb`
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
    _unscaled(pods, layout, losses)
    default = pred.get("replicas") if isinstance(pred.get("replicas"), int) else replicas
    nodes = {as_str(u.get("name")): _node(u, u_at, pods, layout, losses) for u, u_at in units}
    if layout == "single" and pods.replicas:
        default = next(iter(pods.replicas.values()))
    body: dict[str, Any] = {}
    if layout == "per-node":
        body["pods"] = "per-node"
    body.update(_pull_secret(pods, losses))
    body["nodes"] = nodes
    body["flow"] = flow.flow_of(root, (*at, "graph"))
    return body, default


def _pull_secret(pods: Pods, losses: Losses) -> dict[str, Any]:
    """`image_pull_secret`: the one Secret every pod pulls its images with, as compile
    writes it into each pod; pods that differ are reported where they say it."""
    written = [(cs, at) for cs, at in pods.specs if "imagePullSecrets" in (cs.spec or {})]
    names = {_only_secret((cs.spec or {})["imagePullSecrets"]) for cs, _ in written}
    if not written:
        return {}
    if len(written) == len(pods.specs) and len(names) == 1 and None not in names:
        return {"image_pull_secret": names.pop()}
    for _, at in written:
        losses.drop(
            (*at, "spec", "imagePullSecrets"),
            "not expressible: a graph file pulls every pod's images with one Secret "
            "(`image_pull_secret`)",
        )
    return {}


def _only_secret(secrets: Any) -> str | None:
    """The name in `[{name: X}]`, else None."""
    if isinstance(secrets, list) and len(secrets) == 1 and as_map(secrets[0]).keys() == {"name"}:
        name = secrets[0]["name"]
        return name if isinstance(name, str) and name else None
    return None


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
    if layout == "per-node":
        entry.update(_scaling(name, pods, losses))
    return entry


def _scaling(name: str, pods: Pods, losses: Losses) -> dict[str, Any]:
    """A node's own pod's `replicas`, `hpa` and `pdb`: replicas beside an autoscaler are
    ignored by the operator (and an error in a graph file), so not written."""
    out: dict[str, Any] = {}
    cs, cs_at = pods.spec_of(name) or (None, ())
    hpa = cs.hpa_spec if cs is not None else None
    if name in pods.replicas and hpa is not None:
        losses.cosmetic((*cs_at, "replicas"), "ignored beside `hpaSpec`: the autoscaler decides")
    elif name in pods.replicas:
        out["replicas"] = pods.replicas[name]
    if cs is not None and hpa is not None:
        entry = hpa_entry(hpa, (*cs_at, "hpaSpec"), losses)
        out.update({"hpa": entry} if entry else {})
    if cs is not None and cs.pdb_spec is not None:
        entry = pdb_entry(cs.pdb_spec, (*cs_at, "pdbSpec"), losses)
        out.update({"pdb": entry} if entry else {})
    return out


def _unscaled(pods: Pods, layout: str, losses: Losses) -> None:
    """Autoscalers and budgets of pods that are not one node's own: a graph file scales the
    pod of one node."""
    for j, cs, cs_at in pods.scaled():
        if layout == "per-node" and len(pods.groups[j]) == 1:
            continue
        for key, spec in (("hpaSpec", cs.hpa_spec), ("pdbSpec", cs.pdb_spec)):
            if spec is not None:
                losses.drop(
                    (*cs_at, key),
                    "not expressible: the pod holds several nodes, or none, and a graph file "
                    "scales the pod of one node (`pods: per-node`)",
                )


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
