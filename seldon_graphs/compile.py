"""Stage 5: spec + Seldon tree -> SeldonDeployment (machinelearning.seldon.io/v1).

The manifest never relies on the operator's defaulting for what changes behaviour: protocol,
transport, every node's type and implementation, and the graph container in
componentSpecs[0] are all written out. Dicts are built in a fixed key order, so the same
input always gives byte-identical YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .generated_servers import is_generated
from .spec import GraphSpec, NodeSpec, Source
from .tree import TreeNode

API_VERSION = "machinelearning.seldon.io/v1"
WRAPPER_UID = 8888
MANAGED_BY = "seldon-graphs"


def predictive_unit(tree: TreeNode, spec: GraphSpec) -> dict[str, Any]:
    """The `graph` of a predictor: one PredictiveUnit per tree node, recursively."""
    node = spec.node(tree.name)
    unit: dict[str, Any] = {
        "name": tree.name,
        "type": tree.role.value,
        "implementation": tree.implementation,
    }
    if node.model_uri:
        unit["modelUri"] = node.model_uri
    if node.secret:
        unit["envSecretRefName"] = node.secret
    if node.service_account:
        unit["serviceAccountName"] = node.service_account
    if node.params:
        unit["parameters"] = [
            {"name": p.name, "type": p.type, "value": p.text} for p in node.params
        ]
    if node.logger:
        mode, url = node.logger
        unit["logger"] = {"mode": mode, **({"url": url} if url else {})}
    unit["children"] = [predictive_unit(c, spec) for c in tree.children]
    return unit


def has_container(node: NodeSpec) -> bool:
    return node.source is not Source.BUILTIN


def container(node: NodeSpec, image: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": node.name}
    if image:
        out["image"] = image
        out["imagePullPolicy"] = "IfNotPresent"
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in node.env]
    env += [
        {"name": s.name, "valueFrom": {"secretKeyRef": {"name": s.secret, "key": s.key}}}
        for s in node.secret_env
    ]
    if env:
        out["env"] = env
    resources = _resources(node)
    if resources:
        out["resources"] = resources
    if node.source in (Source.PYTHON, Source.STOCK) or is_generated(node):
        # Our wrapper images are built to run as this user; say so, so the pod enforces it.
        out["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": WRAPPER_UID,
        }
    return out


def _resources(node: NodeSpec) -> dict[str, Any]:
    res = node.resources
    requests = {k: v for k, v in (("cpu", res.cpu), ("memory", res.memory)) if v}
    limits: dict[str, Any] = {}
    if res.memory:
        limits["memory"] = res.memory
    if res.gpu:
        limits["nvidia.com/gpu"] = res.gpu
    out: dict[str, Any] = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def scaling_specs(node: NodeSpec) -> dict[str, Any]:
    """A componentSpec's `hpaSpec` (autoscaling/v2 metrics: Seldon's `metricsv2`) and
    `pdbSpec`, for the node's `hpa:` and `pdb:`."""
    out: dict[str, Any] = {}
    if node.hpa is not None:
        hpa: dict[str, Any] = {"minReplicas": node.hpa.min, "maxReplicas": node.hpa.max}
        targets = (("cpu", node.hpa.cpu), ("memory", node.hpa.memory))
        metrics = [_utilisation(name, target) for name, target in targets if target is not None]
        if metrics:
            hpa["metricsv2"] = metrics
        out["hpaSpec"] = hpa
    if node.pdb is not None:
        pairs = (
            ("minAvailable", node.pdb.min_available),
            ("maxUnavailable", node.pdb.max_unavailable),
        )
        out["pdbSpec"] = {k: v for k, v in pairs if v is not None}
    return out


def _utilisation(resource: str, percent: int) -> dict[str, Any]:
    target = {"type": "Utilization", "averageUtilization": percent}
    return {"type": "Resource", "resource": {"name": resource, "target": target}}


def component_specs(
    spec: GraphSpec, tree: TreeNode, images: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Containers in tree pre-order, so componentSpecs[0] holds the first graph container
    (the operator injects the executor next to it)."""
    nodes = [spec.node(t.name) for t in tree.walk()]
    containers = [
        (n, container(n, images.get(n.name) or n.image)) for n in nodes if has_container(n)
    ]
    if spec.pods == "per-node":
        out = []
        for node, c in containers:
            cs: dict[str, Any] = {"metadata": {"name": node.name}}
            if node.replicas is not None:
                cs["replicas"] = node.replicas
            cs.update(scaling_specs(node))
            cs["spec"] = {"containers": [c]}
            out.append(cs)
        return out
    return [{"metadata": {"name": "graph"}, "spec": {"containers": [c for _, c in containers]}}]


def manifest(
    spec: GraphSpec, tree: TreeNode, images: Mapping[str, str], source: str
) -> dict[str, Any]:
    """The SeldonDeployment for `spec`. `images` maps wrapped nodes to their image names."""
    meta = metadata(spec.name, spec.namespace, spec.labels, {"seldon-graphs.io/source": source})
    annotations = dict(spec.annotations)
    if spec.rest_timeout_ms is not None:
        annotations["seldon.io/rest-timeout"] = str(spec.rest_timeout_ms)
    body: dict[str, Any] = {"protocol": spec.protocol, "transport": spec.transport}
    if annotations:
        body["annotations"] = annotations
    predictor: dict[str, Any] = {
        "name": spec.predictor,
        "replicas": spec.replicas if spec.replicas is not None else 1,
        "traffic": 100,
        "labels": {"version": spec.predictor},
        "componentSpecs": component_specs(spec, tree, images),
        "graph": predictive_unit(tree, spec),
    }
    body["predictors"] = [predictor]
    return {
        "apiVersion": API_VERSION,
        "kind": "SeldonDeployment",
        "metadata": meta,
        "spec": body,
    }


def metadata(
    name: str,
    namespace: str | None,
    labels: Iterable[tuple[str, str]],
    annotations: Mapping[str, str],
) -> dict[str, Any]:
    """A SeldonDeployment's metadata: our two labels first, then the user's."""
    out: dict[str, Any] = {"name": name}
    if namespace:
        out["namespace"] = namespace
    out["labels"] = {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/name": name,
        **dict(labels),
    }
    out["annotations"] = dict(annotations)
    return out


def service_names(spec: GraphSpec, tree: TreeNode) -> dict[str, str]:
    """The Kubernetes names the operator derives from ours, by what they name."""
    nodes = [n for n in (spec.node(t.name) for t in tree.walk()) if has_container(n)]
    names = {f"Service of `{n.name}`": f"{spec.name}-{spec.predictor}-{n.name}" for n in nodes}
    names["predictor Service"] = f"{spec.name}-{spec.predictor}"
    if spec.pods == "per-node":
        for i, n in enumerate(nodes):
            names[f"Deployment of `{n.name}`"] = f"{spec.name}-{spec.predictor}-{i}-{n.name}"
    else:
        names["Deployment"] = f"{spec.name}-{spec.predictor}-0-graph"
    return names
