"""A SeldonDeployment as Seldon's operator runs it: its defaulting applied, and what carries
no behaviour left out, so that two manifests can be compared for equivalence.

Defaulting (`DefaultSeldonDeployment`, reference §2.2): namespace `default`; each
predictor's `version` label; unit types and `UNKNOWN_IMPLEMENTATION`; a container (with the
server's image) for prepackaged servers without one; `imagePullPolicy: IfNotPresent`.
Read as the operator reads them: the effective replicas of each pod (componentSpec >
predictor > spec; none beside an autoscaler, whose `minReplicas` defaults to 1), the
transport (`spec.transport`, else the graphs' one `endpoint.type`), `kfserving` as `v2`, one
predictor's traffic as 100.
Left out: the deprecated `spec.name`; what the operator derives from names and order
(endpoint hosts and ports, pod names, the order of pods and of containers in a pod, of env
variables); the provenance labels and annotation seldon-graphs writes.
"""

from __future__ import annotations

import json
from typing import Any

from ..catalog import UNKNOWN_IMPLEMENTATION
from ..manifest.walk import as_list, as_map, as_str, is_prepack
from . import flow
from .compose import rewritten, transport_of

_SPEC_DONE = frozenset(
    {"name", "predictors", "replicas", "protocol", "transport", "annotations", "serverType"}
)
_PREDICTOR_DONE = frozenset(
    {"name", "graph", "componentSpecs", "replicas", "traffic", "shadow", "labels"}
)
_UNIT_DONE = frozenset({"name", "type", "implementation", "children", "endpoint"})
_AUTOSCALERS = frozenset({"hpaSpec", "kedaSpec"})
_DERIVED_ENDPOINT = frozenset({"type", "service_host", "service_port", "httpPort", "grpcPort"})


def operator_view(sdep: dict[str, Any]) -> dict[str, Any]:
    meta, spec = as_map(sdep.get("metadata")), as_map(sdep.get("spec"))
    name = as_str(meta.get("name"))
    protocol = as_str(spec.get("protocol")) or "seldon"
    protocol = "v2" if protocol == "kfserving" else protocol
    preds = [as_map(p) for p in as_list(spec.get("predictors"))]
    again = rewritten(meta)
    labels, annotations = (
        {k: v for k, v in as_map(meta.get(field)).items() if (field, k) not in again}
        for field in ("labels", "annotations")
    )
    body = {k: v for k, v in spec.items() if k not in _SPEC_DONE}
    return {
        "name": name,
        "namespace": as_str(meta.get("namespace")) or "default",
        "labels": labels,
        "annotations": annotations,
        "spec": {
            "protocol": protocol,
            "transport": transport_of(sdep),
            "serverType": as_str(spec.get("serverType")) or "rpc",
            "annotations": dict(as_map(spec.get("annotations"))),
            **body,
        },
        "predictors": {
            as_str(p.get("name")): _predictor(p, spec.get("replicas"), protocol, len(preds))
            for p in preds
        },
    }


def _predictor(pred: dict[str, Any], replicas: Any, protocol: str, count: int) -> dict[str, Any]:
    name = as_str(pred.get("name"))
    shadow = pred.get("shadow") is True
    traffic = pred.get("traffic") if isinstance(pred.get("traffic"), int) else 0
    default = pred.get("replicas") if isinstance(pred.get("replicas"), int) else replicas
    graph = as_map(pred.get("graph"))
    return {
        "labels": {"version": name, **as_map(pred.get("labels"))},
        "traffic": 100 if count == 1 and not shadow else traffic,
        "shadow": shadow,
        **{k: v for k, v in pred.items() if k not in _PREDICTOR_DONE},
        "graph": _unit(graph),
        "pods": _pods(pred, graph, default if isinstance(default, int) else 1, protocol),
    }


def _unit(pu: dict[str, Any]) -> dict[str, Any]:
    endpoint = {k: v for k, v in as_map(pu.get("endpoint")).items() if k not in _DERIVED_ENDPOINT}
    return {
        "name": as_str(pu.get("name")),
        "type": flow.role(pu).value,
        "implementation": as_str(pu.get("implementation")) or UNKNOWN_IMPLEMENTATION,
        **{k: v for k, v in pu.items() if k not in _UNIT_DONE},
        **({"endpoint": endpoint} if endpoint else {}),
        "children": [_unit(c) for c in flow.children(pu)],
    }


def _pods(
    pred: dict[str, Any], graph: dict[str, Any], replicas: int, protocol: str
) -> list[dict[str, Any]]:
    specs = [as_map(cs) for cs in as_list(pred.get("componentSpecs"))]
    pods = [_pod(cs, replicas) for cs in specs]
    have = {n for pod in pods for n in pod["containers"]}
    for unit, _ in flow.units(graph, ()):
        name = as_str(unit.get("name"))
        if is_prepack(unit) and name not in have:
            if not pods:
                pods.append(_pod({}, replicas))
            pods[0]["containers"][name] = _container({"name": name})
    servers = {as_str(u.get("name")): u for u, _ in flow.units(graph, ()) if is_prepack(u)}
    for pod in pods:
        for cname, container in pod["containers"].items():
            if cname in servers and not container.get("image") and protocol != "tensorflow":
                impl = as_str(servers[cname].get("implementation"))
                container["image"] = f"<predictor_servers {impl} image for {protocol}>"
    return sorted(pods, key=lambda pod: sorted(pod["containers"]))


def _pod(cs: dict[str, Any], replicas: int) -> dict[str, Any]:
    pod_spec = as_map(cs.get("spec"))
    metadata = {
        k: v
        for k, v in as_map(cs.get("metadata")).items()
        if k not in ("name", "creationTimestamp")
    }
    own = cs["replicas"] if isinstance(cs.get("replicas"), int) else replicas
    return {
        # an autoscaler decides the count: the operator ignores every replicas setting
        "replicas": "autoscaled" if _AUTOSCALERS & cs.keys() else own,
        **({"metadata": metadata} if metadata else {}),
        **{k: v for k, v in cs.items() if k not in ("spec", "metadata", "replicas", "hpaSpec")},
        **({"hpaSpec": _hpa(as_map(cs["hpaSpec"]))} if "hpaSpec" in cs else {}),
        "spec": {k: v for k, v in pod_spec.items() if k != "containers"},
        "containers": {
            as_str(as_map(c).get("name")): _container(as_map(c))
            for c in as_list(pod_spec.get("containers"))
        },
    }


def _hpa(hpa: dict[str, Any]) -> dict[str, Any]:
    """Kubernetes' HPA defaulting: `minReplicas` 1; its targets in no particular order (the
    autoscaler takes the largest count any of them asks for)."""
    out = {"minReplicas": 1, **hpa}
    if isinstance(hpa.get("metricsv2"), list):
        out["metricsv2"] = sorted(hpa["metricsv2"], key=lambda m: json.dumps(m, sort_keys=True))
    return out


def _container(c: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in c.items() if k not in ("name", "env", "resources")}
    out["imagePullPolicy"] = as_str(c.get("imagePullPolicy")) or "IfNotPresent"
    env = {as_str(as_map(e).get("name")): _env_value(as_map(e)) for e in as_list(c.get("env"))}
    if env:
        out["env"] = env
    resources = {
        kind: {k: str(v) for k, v in as_map(values).items()}
        for kind, values in as_map(c.get("resources")).items()
        if as_map(values)
    }
    if resources:
        out["resources"] = resources
    return out


def _env_value(var: dict[str, Any]) -> Any:
    return var["valueFrom"] if "valueFrom" in var else as_str(var.get("value"))
