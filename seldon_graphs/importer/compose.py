"""One SeldonDeployment -> the files that say it: a graph file, or a deployment file and a
graph file per predictor.

Every graph is checked by the real pipeline (`api.analyze_text`) before anything is
written: its lowered tree must be the manifest's tree, node for node and role for role;
roles the flow does not give back are stated as `kind:` until it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import api, emit, sdep
from ..catalog import PROTOCOLS
from ..compile import MANAGED_BY
from ..manifest.finding import JsonPath
from ..manifest.walk import as_map, as_str, predictors
from ..parse import find_root
from . import flow
from .losses import Inexpressible, Losses
from .predictor import graph_body, state_kinds

_TOP_KEYS = frozenset({"apiVersion", "kind", "metadata", "spec"})
_META_KEYS = frozenset({"name", "namespace", "labels", "annotations"})
# Set by the API server, which sets them again.
_SERVER_META = frozenset(
    {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"}
)
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MANAGED_LABEL, NAME_LABEL = "app.kubernetes.io/managed-by", "app.kubernetes.io/name"
SOURCE_ANNOTATION = "seldon-graphs.io/source"
_SPEC_KEYS = frozenset({"protocol", "transport", "annotations", "predictors", "replicas"})
_PREDICTOR_KEYS = frozenset(
    {
        "name",
        "graph",
        "componentSpecs",
        "replicas",
        "traffic",
        "shadow",
        "labels",
        "annotations",
        "explainer",
    }
)
_EXPLAINER_KEYS = frozenset({"type", "modelUri", "envSecretRefName"})
# The predictor fields a deployment file's entry carries (graph_body reads the others).
_ENTRY_KEYS = frozenset({"traffic", "shadow", "labels", "annotations", "explainer"})
_MAX_KIND_ROUNDS = 4


@dataclass
class Imported:
    """What one SeldonDeployment becomes: file name -> text, and what was learned."""

    files: dict[str, str] = field(default_factory=dict)
    analyses: list[api.Analysis] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """Where the files go: `folder`, inside the project at `root`."""

    folder: Path

    @property
    def root(self) -> Path:
        return find_root(self.folder / "graph.yaml")

    def reference(self, file_name: str) -> str:
        """A graph file's path as a deployment file names it: from the project root."""
        return (self.folder.resolve() / file_name).relative_to(self.root.resolve()).as_posix()


@dataclass(frozen=True)
class _Part:
    """One predictor, read: its graph file's body and its deployment-file entry."""

    name: str
    pred: dict[str, Any]
    at: JsonPath
    body: dict[str, Any]
    entry: dict[str, Any]


def compose(sdep: dict[str, Any], losses: Losses, target: Target) -> Imported:
    losses.drop_extra(sdep, (), _TOP_KEYS | {"status"})
    if "status" in sdep:
        losses.cosmetic(("status",), "the operator's report, not part of the graph")
    meta = _metadata(as_map(sdep.get("metadata")), losses)
    spec = as_map(sdep.get("spec"))
    common = _spec_fields(sdep, spec, losses)
    preds = predictors(sdep)
    if not preds:
        raise Inexpressible(("spec",), "no predictors: nothing to import")
    parts = [
        _part(p, i, len(preds) > 1, _int(spec.get("replicas")), losses) for i, p in enumerate(preds)
    ]
    out = Imported()
    (first, *others) = parts
    if not others and set(first.entry) <= {"replicas", "traffic"} and "annotations" not in meta:
        file_name = f"{meta['name']}.yaml"
        graph = _graph_head(meta, common, first.name, first.entry.get("replicas"), first.body)
        out.files[file_name] = _verified(graph, first, file_name, target, out)
        return out
    return _deployment(meta, common, parts, target, out)


def _part(
    pred: dict[str, Any], i: int, multiple: bool, replicas: int | None, losses: Losses
) -> _Part:
    at: JsonPath = ("spec", "predictors", i)
    entry = _predictor_entry(pred, i, multiple, losses)
    body, effective = graph_body(pred, at, replicas, losses)
    if effective not in (None, 1):
        entry["replicas"] = effective
    return _Part(as_str(pred.get("name")), pred, at, body, entry)


def _deployment(
    meta: dict[str, Any],
    common: dict[str, Any],
    parts: list[_Part],
    target: Target,
    out: Imported,
) -> Imported:
    name = as_str(meta.get("name"))
    listed: dict[str, Any] = {}
    for part in parts:
        file_name = f"{name}-{part.name}.yaml"
        graph = {"name": name, **common, "predictor": part.name, **part.body}
        out.files[file_name] = _verified(graph, part, file_name, target, out)
        listed[part.name] = {"graph": target.reference(file_name), **part.entry}
    deployment: dict[str, Any] = {"deployment": name}
    for key in ("namespace", "labels", "annotations"):
        if meta.get(key):
            deployment[key] = meta[key]
    deployment["predictors"] = listed
    out.files[f"{name}.yaml"] = emit.to_yaml(deployment)
    return out


def _graph_head(
    meta: dict[str, Any],
    common: dict[str, Any],
    pred_name: str,
    replicas: int | None,
    body: dict[str, Any],
) -> dict[str, Any]:
    graph: dict[str, Any] = {"name": meta["name"]}
    if meta.get("namespace"):
        graph["namespace"] = meta["namespace"]
    graph.update(common)
    for key in ("pods", "image_pull_secret"):
        if body.get(key):
            graph[key] = body[key]
    if pred_name != "default":
        graph["predictor"] = pred_name
    if replicas is not None:
        graph["replicas"] = replicas
    if meta.get("labels"):
        graph["labels"] = meta["labels"]
    return {**graph, "nodes": body["nodes"], "flow": body["flow"]}


def _verified(
    graph: dict[str, Any], part: _Part, file_name: str, target: Target, out: Imported
) -> str:
    """The graph's text, once the real lowering gives the manifest's tree back."""
    root_unit = as_map(part.pred.get("graph"))
    wanted = flow.shape(root_unit)
    file = target.folder / file_name
    for _ in range(_MAX_KIND_ROUNDS):
        text = emit.to_yaml(graph)
        result = api.analyze_text(text, file, str(file), target.root)
        if result.tree is None or flow.tree_shape(result.tree) == wanted:
            out.analyses.append(result)
            return text
        kinds = flow.mismatched_roles(root_unit, result.tree)
        if not kinds:
            break
        graph = state_kinds(graph, kinds)
    raise Inexpressible(
        (*part.at, "graph"), "no graph-file flow lowers back to this tree (roles or order differ)"
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def rewritten(meta: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Labels and annotations that are written again, whoever wrote them first: by
    `compile` (its provenance, with the values it writes) or by `kubectl apply`; with who
    writes them."""
    name = as_str(meta.get("name"))
    labels, annotations = as_map(meta.get("labels")), as_map(meta.get("annotations"))
    out: dict[tuple[str, str], str] = {}
    for key, value in ((MANAGED_LABEL, MANAGED_BY), (NAME_LABEL, name)):
        if labels.get(key) == value:
            out[("labels", key)] = "seldon-graphs compile"
    if SOURCE_ANNOTATION in annotations:
        out[("annotations", SOURCE_ANNOTATION)] = "seldon-graphs compile"
    if _LAST_APPLIED in annotations:
        out[("annotations", _LAST_APPLIED)] = "kubectl"
    return out


def _metadata(meta: dict[str, Any], losses: Losses) -> dict[str, Any]:
    for key in meta:
        if key in _SERVER_META:
            losses.cosmetic(("metadata", key), "set by the API server")
        elif key not in _META_KEYS:
            losses.drop(("metadata", key))
    out = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    again = rewritten(meta)
    for kind in ("labels", "annotations"):
        kept = {k: v for k, v in as_map(meta.get(kind)).items() if (kind, k) not in again}
        if kept:
            out[kind] = kept
    for (kind, key), who in again.items():
        losses.cosmetic(("metadata", kind, key), f"written again by {who}")
    return out


def _spec_fields(sdep: dict[str, Any], spec: dict[str, Any], losses: Losses) -> dict[str, Any]:
    """The graph-file keys every predictor's graph shares: protocol, transport, annotations."""
    for key in spec:
        if key == "name":
            losses.cosmetic(("spec", "name"), "deprecated; the operator does not use it")
        elif key == "serverType" and spec[key] in ("", "rpc"):
            losses.cosmetic(("spec", "serverType"), "`rpc` is the default")
        elif key not in _SPEC_KEYS:
            losses.drop(("spec", key))
    out: dict[str, Any] = {}
    protocol = as_str(spec.get("protocol")) or "seldon"
    if protocol == "kfserving":
        losses.cosmetic(("spec", "protocol"), "`kfserving` is written `v2`, its newer name")
        protocol = "v2"
    if protocol not in PROTOCOLS:
        raise Inexpressible(("spec", "protocol"), f"protocol `{protocol}` is not one Seldon has")
    if protocol != "seldon":
        out["protocol"] = protocol
    transport = transport_of(sdep)
    if transport != "rest":
        out["transport"] = transport
    if as_map(spec.get("annotations")):
        out["annotations"] = dict(spec["annotations"])
    return out


def transport_of(sdep: dict[str, Any]) -> str:
    """`spec.transport`, else the one `endpoint.type` of the graphs (Seldon's webhook rejects
    mixed types, and a type that disagrees with `spec.transport`), else rest."""
    written = as_str(as_map(sdep.get("spec")).get("transport"))
    if written:
        return written
    for i, pred in enumerate(predictors(sdep)):
        for unit, _ in flow.units(as_map(pred.get("graph")), ("spec", "predictors", i)):
            kind = as_str(as_map(unit.get("endpoint")).get("type"))
            if kind:
                return kind.lower()
    return "rest"


def _predictor_entry(
    pred: dict[str, Any], i: int, multiple: bool, losses: Losses
) -> dict[str, Any]:
    """A deployment file's predictor fields (traffic, shadow, labels, annotations,
    explainer), read through the typed model; only traffic and replicas when a graph file
    can say the predictor alone."""
    at: JsonPath = ("spec", "predictors", i)
    losses.drop_extra(pred, at, _PREDICTOR_KEYS)
    typed = sdep.Predictor.from_dict(pred)
    for key in _ENTRY_KEYS & typed.extra.keys():  # written, but not as the CRD types it
        losses.drop((*at, key), "not of the type Seldon reads it as: dropped")
    entry: dict[str, Any] = {}
    if typed.shadow:
        entry["shadow"] = True
        if typed.traffic:
            losses.drop((*at, "traffic"), "a shadow's mirrored share is not expressible")
    else:  # one predictor takes all the traffic, whatever it says (Seldon's webhook)
        entry["traffic"] = (typed.traffic or 0) if multiple else 100
    labels = {k: v for k, v in (typed.labels or {}).items() if (k, v) != ("version", typed.name)}
    if labels:
        entry["labels"] = labels
    if typed.annotations:
        entry["annotations"] = typed.annotations
    if typed.explainer is not None:
        explainer = _explainer(typed.explainer, (*at, "explainer"), losses)
        entry.update({"explainer": explainer} if explainer else {})
    return entry


def _explainer(explainer: sdep.Explainer, at: JsonPath, losses: Losses) -> dict[str, Any]:
    for key in explainer.order:
        if key not in _EXPLAINER_KEYS or key in explainer.extra:
            losses.drop((*at, key))
    written = (
        ("type", explainer.type),
        ("model_uri", explainer.model_uri),
        ("secret", explainer.env_secret_ref_name),
    )
    return {ours: value for ours, value in written if value}
