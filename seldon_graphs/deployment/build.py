"""DeploymentSpec + compiled graphs -> one SeldonDeployment with one predictor per entry.

Each predictor's `componentSpecs` and `graph` are taken from its graph compiled exactly as
the graph file alone compiles (so a one-predictor deployment with traffic 100 gives the
graph file's predictor); the deployment adds names, traffic, shadow, labels, explainer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..compile import API_VERSION, metadata
from .model import DeploymentSpec, Explainer, PredictorSpec

SOURCE_ANNOTATION = "seldon-graphs.io/source"


def manifest(
    dep: DeploymentSpec, compiled: Sequence[tuple[PredictorSpec, dict[str, Any]]], source: str
) -> dict[str, Any]:
    """`compiled` pairs each predictor with its graph's own SeldonDeployment."""
    notes = {SOURCE_ANNOTATION: source, **dict(dep.annotations)}
    first = compiled[0][1]["spec"]
    # Protocol, transport and annotations are the same in every graph (deployment.rules).
    body = {k: v for k, v in first.items() if k != "predictors"}
    body["predictors"] = [predictor(p, sdep) for p, sdep in compiled]
    return {
        "apiVersion": API_VERSION,
        "kind": "SeldonDeployment",
        "metadata": metadata(dep.name, dep.namespace, dep.labels, notes).to_dict(),
        "spec": body,
    }


def predictor(p: PredictorSpec, sdep: dict[str, Any]) -> dict[str, Any]:
    alone = sdep["spec"]["predictors"][0]
    out: dict[str, Any] = {
        "name": p.name,
        "replicas": p.replicas if p.replicas is not None else alone["replicas"],
    }
    if p.shadow:
        out["shadow"] = True
    else:
        out["traffic"] = 100 if p.traffic is None else p.traffic
    out["labels"] = {"version": p.name, **dict(p.labels)}
    if p.annotations:
        out["annotations"] = dict(p.annotations)
    out["componentSpecs"] = alone["componentSpecs"]
    out["graph"] = alone["graph"]
    if p.explainer is not None:
        out["explainer"] = explainer(p.explainer)
    return out


def explainer(e: Explainer) -> dict[str, Any]:
    out: dict[str, Any] = {"type": e.type}
    if e.model_uri:
        out["modelUri"] = e.model_uri
    if e.secret:
        out["envSecretRefName"] = e.secret
    return out
