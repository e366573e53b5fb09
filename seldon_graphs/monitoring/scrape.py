"""Prometheus' configuration: what it scrapes and how it labels it.

In the cluster every job finds its targets through the Kubernetes API. The pods job is the
`kubernetes-pods` job of Seldon's seldon-core-analytics chart: it keeps pods annotated
`prometheus.io/scrape: "true"` (the operator annotates every predictor pod, with
`prometheus.io/path: /prometheus` and no port) and only their ports named `metrics` or
`metrics-*`: the executor's 8000 and each node's 6000, 6001, ... (the operator names them so;
our compiled manifests declare no ports). Without that filter Prometheus would also scrape the
HTTP and gRPC ports. The kubelet and cAdvisor jobs reach the nodes through the API server's
proxy, as the chart's cAdvisor job does (the kubelet's read-only port 10255 that the chart's
node job used is off on current kubelets).

`prometheus_config(pods)` gives the same jobs with the pods as static targets that carry the
labels pod discovery would give them, so a Prometheus outside a cluster runs the very same
relabelling on a local run (tests/test_monitoring_prometheus.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# What Seldon's operator 1.17.1 puts on predictor pods (controller l.1009-1010, engine l.404-406).
OPERATOR_POD_ANNOTATIONS = {"prometheus.io/scrape": "true", "prometheus.io/path": "/prometheus"}
METRICS_PORT = "metrics"  # operator constants.go DefaultMetricsPortName
EXECUTOR_CONTAINER = "seldon-container-engine"
PODS_JOB = "kubernetes-pods"
SCRAPE_INTERVAL = "15s"

_SA = "/var/run/secrets/kubernetes.io/serviceaccount"
_THROUGH_API_SERVER: dict[str, Any] = {
    "scheme": "https",
    "tls_config": {"ca_file": f"{_SA}/ca.crt"},
    "bearer_token_file": f"{_SA}/token",
}


def _meta(name: str) -> str:
    return f"__meta_kubernetes_{name}"


def _copy(source: str, target: str) -> dict[str, Any]:
    return {"source_labels": [source], "action": "replace", "target_label": target}


POD_RELABELING: tuple[dict[str, Any], ...] = (
    {"source_labels": [_meta("pod_annotation_prometheus_io_scrape")], "action": "keep",
     "regex": "true"},
    {"source_labels": [_meta("pod_container_port_name")], "action": "keep",
     "regex": f"{METRICS_PORT}(-.*)?"},
    {"source_labels": [_meta("pod_annotation_prometheus_io_path")], "action": "replace",
     "target_label": "__metrics_path__", "regex": "(.+)"},
    # a `prometheus.io/port` annotation, when a pod has one, wins over the declared port
    {"source_labels": ["__address__", _meta("pod_annotation_prometheus_io_port")],
     "action": "replace", "regex": "(.+):(?:\\d+);(\\d+)", "replacement": "${1}:${2}",
     "target_label": "__address__"},
    {"action": "labelmap", "regex": _meta("pod_label_(.+)")},
    _copy(_meta("namespace"), "kubernetes_namespace"),
    _copy(_meta("pod_name"), "kubernetes_pod_name"),
    _copy(_meta("pod_container_name"), "kubernetes_container_name"),
)  # fmt: skip


def _kubelet_relabeling(path: str) -> tuple[dict[str, Any], ...]:
    return (
        {"action": "labelmap", "regex": _meta("node_label_(.+)")},
        {"target_label": "__address__", "replacement": "kubernetes.default.svc:443"},
        {"source_labels": [_meta("node_name")], "regex": "(.+)",
         "target_label": "__metrics_path__", "replacement": f"/api/v1/nodes/${{1}}/proxy{path}"},
    )  # fmt: skip


@dataclass(frozen=True)
class Job:
    name: str
    role: str  # what kubernetes_sd_configs discovers
    relabeling: tuple[dict[str, Any], ...]
    settings: Mapping[str, Any] = field(default_factory=dict)


JOBS = (
    Job(PODS_JOB, "pod", POD_RELABELING),
    Job("kubernetes-nodes", "node", _kubelet_relabeling("/metrics"), _THROUGH_API_SERVER),
    Job("kubernetes-cadvisor", "node", _kubelet_relabeling("/metrics/cadvisor"),
        _THROUGH_API_SERVER),
)  # fmt: skip


@dataclass(frozen=True)
class PodPort:
    """One declared port of one container of a pod, as Kubernetes pod discovery reports it."""

    address: str  # host:port
    namespace: str
    pod: str
    container: str
    port_name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=lambda: OPERATOR_POD_ANNOTATIONS)


def label_name(name: str) -> str:
    """A Kubernetes label or annotation name as discovery writes it into a label name."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def discovered(port: PodPort) -> dict[str, Any]:
    """A static target carrying the `__meta_kubernetes_*` labels pod discovery would set."""
    labels = {
        _meta("namespace"): port.namespace,
        _meta("pod_name"): port.pod,
        _meta("pod_container_name"): port.container,
        _meta("pod_container_port_name"): port.port_name,
        _meta("pod_container_port_number"): port.address.rpartition(":")[2],
    }
    labels.update({_meta(f"pod_label_{label_name(k)}"): v for k, v in port.labels.items()})
    labels.update(
        {_meta(f"pod_annotation_{label_name(k)}"): v for k, v in port.annotations.items()}
    )
    return {"targets": [port.address], "labels": labels}


def _job(job: Job, interval: str | None, targets: list[dict[str, Any]] | None) -> dict[str, Any]:
    found: dict[str, Any] = {"job_name": job.name}
    if interval is not None:
        found["scrape_interval"] = interval
    found.update(copy.deepcopy(dict(job.settings)))
    if targets is None:
        found["kubernetes_sd_configs"] = [{"role": job.role}]
    else:
        found["static_configs"] = targets
    found["relabel_configs"] = copy.deepcopy(list(job.relabeling))
    return found


def prometheus_config(
    pods: Sequence[PodPort] | None = None, interval: str | None = None
) -> dict[str, Any]:
    """The in-cluster configuration, or given `pods` the same one with them as the pods job's
    static targets (jobs that need a kubelet left out); `interval` overrides the pods job's."""
    global_ = {"scrape_interval": SCRAPE_INTERVAL, "scrape_timeout": "10s",
               "evaluation_interval": "30s"}  # fmt: skip
    if pods is None:
        jobs = [_job(job, None, None) for job in JOBS]
    else:
        jobs = [_job(JOBS[0], interval, [discovered(p) for p in pods])]
    return {"global": global_, "scrape_configs": jobs}
