"""The Kubernetes objects of our monitoring: Prometheus with the RBAC its discovery needs, and
Grafana provisioned with Prometheus as its datasource and our dashboard.

Only APIs Kubernetes 1.27 serves (v1, apps/v1, rbac.authorization.k8s.io/v1): Seldon's
seldon-core-analytics 1.17.1 renders PodSecurityPolicy and rbac v1beta1, removed in 1.25 and
1.22. Grafana's admin password is read from the Secret `grafana-admin`, which
scripts/kind-up.sh creates with a random password: no credential is in these files.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..emit import to_yaml
from .dashboard import dashboard
from .scrape import prometheus_config

NAMESPACE = "seldon-monitoring"
# The Prometheus the tests run is Debian bookworm's 2.42.0: the same release checks the config.
PROMETHEUS_IMAGE = "prom/prometheus:v2.42.0"
GRAFANA_IMAGE = "grafana/grafana:10.2.3"
ADMIN_SECRET = "grafana-admin"  # keys admin-user, admin-password
PROMETHEUS_PORT, GRAFANA_PORT = 9090, 3000
DASHBOARD_FILE = "seldon-graphs.json"
DASHBOARDS_DIR = "/etc/grafana/dashboards/seldon"
APIS = ("v1", "apps/v1", "rbac.authorization.k8s.io/v1")  # all served by Kubernetes 1.27

Obj = dict[str, Any]


def _meta(name: str, namespace: str | None) -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {"app.kubernetes.io/part-of": "seldon-graphs-monitoring"}
    return meta


def _obj(api: str, kind: str, name: str, namespace: str | None, **body: Any) -> Obj:
    return {"apiVersion": api, "kind": kind, "metadata": _meta(name, namespace), **body}


def _rbac(namespace: str) -> list[Obj]:
    rules = [
        {"apiGroups": [""], "verbs": ["get", "list", "watch"],
         "resources": ["pods", "nodes", "nodes/proxy", "nodes/metrics", "services", "endpoints"]},
        {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
    ]  # fmt: skip
    role = f"{namespace}-prometheus"
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        _obj("v1", "ServiceAccount", "prometheus", namespace),
        _obj(rbac, "ClusterRole", role, None, rules=rules),
        _obj(
            rbac, "ClusterRoleBinding", role, None,
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            subjects=[{"kind": "ServiceAccount", "name": "prometheus", "namespace": namespace}],
        ),
    ]  # fmt: skip


def _non_root(uid: int) -> Obj:
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid}


def _container_security(read_only_root: bool) -> Obj:
    # Grafana's image writes its logs under /var/log/grafana: its root stays writable.
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": read_only_root,
            "capabilities": {"drop": ["ALL"]}}  # fmt: skip


def _deployment(name: str, namespace: str, pod: Obj, config: list[Obj]) -> Obj:
    """`config`: the ConfigMaps the pod reads once at start; their hash on the pod template
    makes a rerun of kind-up that changed them restart the pod (a new ReplicaSet)."""
    data = [c["data"] for c in config]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    metadata = {"labels": {"app.kubernetes.io/name": name},
                "annotations": {"seldon-graphs.io/config-hash": digest}}  # fmt: skip
    template = {"metadata": metadata, "spec": pod}
    spec = {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": template}  # fmt: skip
    return _obj("apps/v1", "Deployment", name, namespace, spec=spec)


def _service(name: str, namespace: str, port: int) -> Obj:
    spec = {"selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "http", "port": port, "targetPort": port}]}  # fmt: skip
    return _obj("v1", "Service", name, namespace, spec=spec)


def _probe(path: str, port: int) -> Obj:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": 10}


def _prometheus(namespace: str) -> list[Obj]:
    config = {"prometheus.yml": to_yaml(prometheus_config())}
    container = {
        "name": "prometheus",
        "image": PROMETHEUS_IMAGE,
        "args": ["--config.file=/etc/prometheus/prometheus.yml",
                 "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=2d"],
        "ports": [{"name": "http", "containerPort": PROMETHEUS_PORT}],
        "readinessProbe": _probe("/-/ready", PROMETHEUS_PORT),
        "livenessProbe": _probe("/-/healthy", PROMETHEUS_PORT),
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"memory": "1Gi"}},
        "securityContext": _container_security(read_only_root=True),
        "volumeMounts": [{"name": "config", "mountPath": "/etc/prometheus"},
                         {"name": "data", "mountPath": "/prometheus"}],
    }  # fmt: skip
    pod = {
        "serviceAccountName": "prometheus",
        "securityContext": _non_root(65534),  # the image's user, nobody
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": "prometheus-config"}},
                    {"name": "data", "emptyDir": {}}],
    }  # fmt: skip
    config_map = _obj("v1", "ConfigMap", "prometheus-config", namespace, data=config)
    return [
        config_map,
        _deployment("prometheus", namespace, pod, [config_map]),
        _service("prometheus", namespace, PROMETHEUS_PORT),
    ]


def _grafana_provisioning(namespace: str) -> Obj:
    datasource = {"apiVersion": 1, "datasources": [{
        "name": "Prometheus", "uid": "prometheus", "type": "prometheus", "access": "proxy",
        "url": f"http://prometheus.{namespace}.svc:{PROMETHEUS_PORT}", "isDefault": True,
        "editable": False, "jsonData": {"timeInterval": "15s"},
    }]}  # fmt: skip
    dashboards = {"apiVersion": 1, "providers": [{
        "name": "seldon", "folder": "Seldon", "type": "file", "disableDeletion": True,
        "allowUiUpdates": False, "options": {"path": DASHBOARDS_DIR},
    }]}  # fmt: skip
    data = {"datasources.yaml": to_yaml(datasource), "dashboards.yaml": to_yaml(dashboards)}
    return _obj("v1", "ConfigMap", "grafana-provisioning", namespace, data=data)


def dashboard_json() -> str:
    return json.dumps(dashboard(), indent=2) + "\n"


def _secret_env(name: str, key: str) -> Obj:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ADMIN_SECRET, "key": key}}}


def _grafana(namespace: str) -> list[Obj]:
    env = [
        _secret_env("GF_SECURITY_ADMIN_USER", "admin-user"),
        _secret_env("GF_SECURITY_ADMIN_PASSWORD", "admin-password"),
        {"name": "GF_USERS_ALLOW_SIGN_UP", "value": "false"},
        {"name": "GF_ANALYTICS_REPORTING_ENABLED", "value": "false"},
        {"name": "GF_ANALYTICS_CHECK_FOR_UPDATES", "value": "false"},
        {"name": "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH",
         "value": f"{DASHBOARDS_DIR}/{DASHBOARD_FILE}"},
    ]  # fmt: skip
    mounts = [
        {"name": "provisioning", "subPath": "datasources.yaml",
         "mountPath": "/etc/grafana/provisioning/datasources/datasources.yaml"},
        {"name": "provisioning", "subPath": "dashboards.yaml",
         "mountPath": "/etc/grafana/provisioning/dashboards/dashboards.yaml"},
        {"name": "dashboards", "mountPath": DASHBOARDS_DIR},
        {"name": "data", "mountPath": "/var/lib/grafana"},
    ]  # fmt: skip
    container = {
        "name": "grafana", "image": GRAFANA_IMAGE, "env": env,
        "ports": [{"name": "http", "containerPort": GRAFANA_PORT}],
        "readinessProbe": _probe("/api/health", GRAFANA_PORT),
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": _container_security(read_only_root=False), "volumeMounts": mounts,
    }  # fmt: skip
    pod = {
        "securityContext": _non_root(472),  # the image's user, grafana
        "containers": [container],
        "volumes": [{"name": "provisioning", "configMap": {"name": "grafana-provisioning"}},
                    {"name": "dashboards", "configMap": {"name": "grafana-dashboards"}},
                    {"name": "data", "emptyDir": {}}],
    }  # fmt: skip
    config = [
        _grafana_provisioning(namespace),
        _obj(
            "v1",
            "ConfigMap",
            "grafana-dashboards",
            namespace,
            data={DASHBOARD_FILE: dashboard_json()},
        ),
    ]
    return [
        *config,
        _deployment("grafana", namespace, pod, config),
        _service("grafana", namespace, GRAFANA_PORT),
    ]


def objects(namespace: str = NAMESPACE) -> list[Obj]:
    """Every object, in the order they can be applied."""
    return [
        _obj("v1", "Namespace", namespace, None),
        *_rbac(namespace),
        *_prometheus(namespace),
        *_grafana(namespace),
    ]


HEADER = """\
# Prometheus and Grafana for `make kind-up MONITORING=1` (docs/monitoring.md).
# Generated by `python -m seldon_graphs.monitoring` from seldon_graphs/monitoring/: edit those,
# not this file (tests/test_monitoring.py checks the two agree).
"""


def manifest_yaml(namespace: str = NAMESPACE) -> str:
    return HEADER + "".join(f"---\n{to_yaml(obj)}" for obj in objects(namespace))
