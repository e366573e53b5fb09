"""Stage 5: spec + Seldon tree -> SeldonDeployment (machinelearning.seldon.io/v1).

The manifest never relies on the operator's defaulting for what changes behaviour: protocol,
transport, every node's type and implementation, and the graph container in
componentSpecs[0] are all written out. The manifest is built as the typed model in
seldon_graphs/sdep, whose fields are in a fixed key order, so the same input always gives
byte-identical YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import sdep
from .generated_servers import builds_image
from .spec import GraphSpec, NodeSpec
from .tree import TreeNode

API_VERSION = sdep.API_VERSION
WRAPPER_UID = 8888
MANAGED_BY = "seldon-graphs"


def predictive_unit(tree: TreeNode, spec: GraphSpec) -> sdep.PredictiveUnit:
    """The `graph` of a predictor: one PredictiveUnit per tree node, recursively."""
    node = spec.node(tree.name)
    logger = None
    if node.logger:
        mode, url = node.logger
        logger = sdep.Logger(mode=mode, url=url or None)
    params = tuple(sdep.Parameter(name=p.name, type=p.type, value=p.text) for p in node.params)
    return sdep.PredictiveUnit(
        name=tree.name,
        type=tree.role.value,
        implementation=tree.implementation,
        model_uri=node.model_uri or None,
        env_secret_ref_name=node.secret or None,
        service_account_name=node.service_account or None,
        parameters=params or None,
        logger=logger,
        children=tuple(predictive_unit(c, spec) for c in tree.children),
    )


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
    if builds_image(node):
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


def component_specs(
    spec: GraphSpec, tree: TreeNode, images: Mapping[str, str]
) -> tuple[sdep.ComponentSpec, ...]:
    """Containers in tree pre-order, so componentSpecs[0] holds the first graph container
    (the operator injects the executor next to it)."""
    nodes = [spec.node(t.name) for t in tree.walk()]
    containers = [
        (n, container(n, images.get(n.name) or n.image)) for n in nodes if n.has_container
    ]
    if spec.pods == "per-node":
        return tuple(
            sdep.ComponentSpec(
                metadata=sdep.ObjectMeta(name=node.name),
                replicas=node.replicas,
                spec=_pod(spec, [c]),
                hpa_spec=hpa_spec(node),
                pdb_spec=pdb_spec(node),
            )
            for node, c in containers
        )
    pod = _pod(spec, [c for _, c in containers])
    return (sdep.ComponentSpec(metadata=sdep.ObjectMeta(name="graph"), spec=pod),)


def hpa_spec(node: NodeSpec) -> sdep.HpaSpec | None:
    """The node's `hpa:` as Seldon's hpaSpec, its targets in the autoscaling/v2 form
    (`metricsv2`; `metrics` is v2beta1's, which Kubernetes 1.26 no longer serves)."""
    if node.hpa is None:
        return None
    targets = (("cpu", node.hpa.cpu), ("memory", node.hpa.memory))
    metrics = [_utilisation(name, target) for name, target in targets if target is not None]
    return sdep.HpaSpec(
        min_replicas=node.hpa.min, max_replicas=node.hpa.max, metricsv2=metrics or None
    )


def _utilisation(resource: str, percent: int) -> dict[str, Any]:
    target = {"type": "Utilization", "averageUtilization": percent}
    return {"type": "Resource", "resource": {"name": resource, "target": target}}


def pdb_spec(node: NodeSpec) -> sdep.PdbSpec | None:
    if node.pdb is None:
        return None
    return sdep.PdbSpec(
        min_available=node.pdb.min_available, max_unavailable=node.pdb.max_unavailable
    )


def _pod(spec: GraphSpec, containers: list[dict[str, Any]]) -> dict[str, Any]:
    pod: dict[str, Any] = {"containers": containers}
    if spec.image_pull_secret:
        pod["imagePullSecrets"] = [{"name": spec.image_pull_secret}]
    return pod


def manifest(
    spec: GraphSpec, tree: TreeNode, images: Mapping[str, str], source: str
) -> dict[str, Any]:
    """The SeldonDeployment for `spec` in its plain form (see `deployment`)."""
    return deployment(spec, tree, images, source).to_dict()


def deployment(
    spec: GraphSpec, tree: TreeNode, images: Mapping[str, str], source: str
) -> sdep.SeldonDeployment:
    """The SeldonDeployment for `spec`. `images` maps wrapped nodes to their image names."""
    meta = metadata(spec.name, spec.namespace, spec.labels, {"seldon-graphs.io/source": source})
    annotations = dict(spec.annotations)
    if spec.rest_timeout_ms is not None:
        annotations["seldon.io/rest-timeout"] = str(spec.rest_timeout_ms)
    predictor = sdep.Predictor(
        name=spec.predictor,
        replicas=spec.replicas if spec.replicas is not None else 1,
        traffic=100,
        labels={"version": spec.predictor},
        component_specs=component_specs(spec, tree, images),
        graph=predictive_unit(tree, spec),
    )
    body = sdep.SeldonDeploymentSpec(
        protocol=spec.protocol,
        transport=spec.transport,
        annotations=annotations or None,
        predictors=(predictor,),
    )
    return sdep.SeldonDeployment(api_version=API_VERSION, kind=sdep.KIND, metadata=meta, spec=body)


def metadata(
    name: str,
    namespace: str | None,
    labels: Iterable[tuple[str, str]],
    annotations: Mapping[str, str],
) -> sdep.ObjectMeta:
    """A SeldonDeployment's metadata: our two labels first, then the user's."""
    return sdep.ObjectMeta(
        name=name,
        namespace=namespace or None,
        labels={
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "app.kubernetes.io/name": name,
            **dict(labels),
        },
        annotations=dict(annotations),
    )
