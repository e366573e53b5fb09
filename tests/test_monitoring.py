"""The monitoring manifests (deploy/monitoring/, from seldon_graphs/monitoring/): current, only
APIs Kubernetes 1.27 serves, pinned images, non-root, no credential, a scrape config that finds
what the operator makes of our compiled graphs, and a dashboard over Seldon's metric names.
The real checks run elsewhere: the API server's dry-run (test_monitoring_controlplane.py) and
a real Prometheus scraping a local run (test_monitoring_prometheus.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from seldon_graphs import api
from seldon_graphs.deployment import is_deployment_file, load_deployment
from seldon_graphs.monitoring import dashboard, manifests, objects, prometheus_config, scrape
from seldon_graphs.monitoring.__main__ import main, stale
from tests.goldens import ROOT

FOLDER = ROOT / "deploy" / "monitoring"
GRAPHS = sorted((ROOT / "graphs").glob("*.yaml"))
SELDON_METRICS = (dashboard.SERVER, dashboard.CLIENT, dashboard.FEEDBACK, dashboard.REWARD)


def committed() -> list[dict[str, Any]]:
    return list(yaml.safe_load_all((FOLDER / "monitoring.yaml").read_text(encoding="utf-8")))


def containers() -> list[dict[str, Any]]:
    return [
        c
        for o in objects()
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
    ]


def test_committed_files_are_what_the_module_writes() -> None:
    assert stale(FOLDER) == [], "run `python -m seldon_graphs.monitoring`"
    assert committed() == objects()


def test_check_names_a_stale_file_and_writing_makes_it_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "monitoring.yaml").write_text("old\n")
    assert main(["--check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out == (
        f"{tmp_path}/monitoring.yaml: out of date; run python -m seldon_graphs.monitoring\n"
        f"{tmp_path}/seldon-graphs.json: out of date; run python -m seldon_graphs.monitoring\n"
    )
    assert main([str(tmp_path)]) == 0
    assert main(["--check", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitoring.yaml", "seldon-graphs.json"]


def test_writing_into_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"monitoring: error: {tmp_path / 'nope'} is not a folder\n"
    assert not (tmp_path / "nope").exists()


def test_only_apis_that_kubernetes_1_27_serves() -> None:
    assert {o["apiVersion"] for o in objects()} == set(manifests.APIS)
    text = (FOLDER / "monitoring.yaml").read_text(encoding="utf-8")
    assert "v1beta1" not in text and "PodSecurityPolicy" not in text


def test_every_namespaced_object_is_in_the_given_namespace() -> None:
    found = objects("elsewhere")
    assert found[0] == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "elsewhere",
            "labels": {"app.kubernetes.io/part-of": "seldon-graphs-monitoring"},
        },
    }
    cluster_wide = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    assert {o["metadata"].get("namespace") for o in found if o["kind"] not in cluster_wide} == {
        "elsewhere"
    }
    binding = next(o for o in found if o["kind"] == "ClusterRoleBinding")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "prometheus", "namespace": "elsewhere"}
    ]
    assert "http://prometheus.elsewhere.svc:9090" in yaml.dump(found)


def test_images_are_pinned_and_pods_run_as_non_root() -> None:
    assert [c["image"] for c in containers()] == [
        "prom/prometheus:v2.42.0",
        "grafana/grafana:10.2.3",
    ]
    for deployment in (o for o in objects() if o["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_no_credential_in_the_manifests() -> None:
    assert not [o for o in objects() if o["kind"] == "Secret"]
    grafana = containers()[1]
    secret_env = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in grafana["env"] if "valueFrom" in e
    }
    assert secret_env == {
        "GF_SECURITY_ADMIN_USER": {"name": "grafana-admin", "key": "admin-user"},
        "GF_SECURITY_ADMIN_PASSWORD": {"name": "grafana-admin", "key": "admin-password"},
    }
    plain = {e["name"]: e["value"] for e in grafana["env"] if "value" in e}
    assert not [name for name in plain if "PASSWORD" in name or "TOKEN" in name]


def test_prometheus_reads_the_configuration_the_module_builds() -> None:
    config_map = next(o for o in objects() if o["metadata"]["name"] == "prometheus-config")
    config = yaml.safe_load(config_map["data"]["prometheus.yml"])
    assert config == prometheus_config()
    assert [j["job_name"] for j in config["scrape_configs"]] == [
        "kubernetes-pods",
        "kubernetes-nodes",
        "kubernetes-cadvisor",
    ]
    assert [j["kubernetes_sd_configs"] for j in config["scrape_configs"]] == [
        [{"role": "pod"}],
        [{"role": "node"}],
        [{"role": "node"}],
    ]
    role = next(o for o in objects() if o["kind"] == "ClusterRole")
    assert {"pods", "nodes", "nodes/proxy", "nodes/metrics"} <= set(role["rules"][0]["resources"])


def test_static_variant_differs_only_in_discovery() -> None:
    pod = scrape.PodPort("127.0.0.1:6000", "ns", "p", "c", "metrics")
    local = prometheus_config([pod], interval="1s")
    (job,) = local["scrape_configs"]
    cluster_job = prometheus_config()["scrape_configs"][0]
    assert job.pop("static_configs") == [scrape.discovered(pod)]
    assert job.pop("scrape_interval") == "1s"
    assert job == {k: v for k, v in cluster_job.items() if k != "kubernetes_sd_configs"}
    assert local["global"] == prometheus_config()["global"]


def test_discovered_labels_are_what_pod_discovery_writes() -> None:
    pod = scrape.PodPort(
        "10.0.0.7:8000",
        "models",
        "income-default-0-label-abc",
        "seldon-container-engine",
        "metrics",
        {"seldon-deployment-id": "income", "app.kubernetes.io/managed-by": "seldon-core"},
    )
    assert scrape.discovered(pod) == {
        "targets": ["10.0.0.7:8000"],
        "labels": {
            "__meta_kubernetes_namespace": "models",
            "__meta_kubernetes_pod_name": "income-default-0-label-abc",
            "__meta_kubernetes_pod_container_name": "seldon-container-engine",
            "__meta_kubernetes_pod_container_port_name": "metrics",
            "__meta_kubernetes_pod_container_port_number": "8000",
            "__meta_kubernetes_pod_label_seldon_deployment_id": "income",
            "__meta_kubernetes_pod_label_app_kubernetes_io_managed_by": "seldon-core",
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
            "__meta_kubernetes_pod_annotation_prometheus_io_path": "/prometheus",
        },
    }


def _keep_port() -> re.Pattern[str]:
    rule = next(
        r
        for r in scrape.POD_RELABELING
        if r["source_labels"] == ["__meta_kubernetes_pod_container_port_name"]
    )
    return re.compile(rule["regex"])


@pytest.mark.parametrize(
    ("port", "kept"),
    [
        ("metrics", True),
        ("metrics-2", True),
        ("http", False),
        ("grpc", False),
        ("mymetrics", False),
    ],
)
def test_pods_job_keeps_only_metrics_ports(port: str, kept: bool) -> None:
    # Prometheus anchors relabel regexes at both ends, as fullmatch does.
    assert bool(_keep_port().fullmatch(port)) is kept


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_compiled_graphs_leave_ports_and_scrape_annotations_to_the_operator(graph: Path) -> None:
    """The operator names each container's metrics port `metrics` only when the container
    declares none, and annotates the pod for scraping: a port or a `prometheus.io/*` annotation
    of ours would hide the graph from the pods job."""
    loaded = load_deployment(graph) if is_deployment_file(graph) else api.load(graph)
    manifest = loaded.manifest()
    for predictor in manifest["spec"]["predictors"]:
        for component in predictor["componentSpecs"]:
            assert [c["name"] for c in component["spec"]["containers"] if "ports" in c] == []
            annotations = (component.get("metadata") or {}).get("annotations") or {}
            assert not [k for k in annotations if k.startswith("prometheus.io/")]
    assert not [
        k for k in manifest["spec"].get("annotations") or {} if k.startswith("prometheus.io/")
    ]


def test_dashboard_file_is_the_one_grafana_is_given() -> None:
    config_map = next(o for o in objects() if o["metadata"]["name"] == "grafana-dashboards")
    on_disk = (FOLDER / "seldon-graphs.json").read_text(encoding="utf-8")
    assert config_map["data"] == {"seldon-graphs.json": on_disk}
    assert json.loads(on_disk) == dashboard.dashboard()


def expressions(board: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in board["panels"] if p["type"] != "row" for t in p["targets"]]


def test_every_panel_queries_seldons_metrics_through_the_provisioned_datasource() -> None:
    board = dashboard.dashboard()
    assert len(expressions(board)) == 15
    for expr in expressions(board):
        names = set(re.findall(r"seldon_api_\w+", expr))
        assert names and {n.removesuffix("_count").removesuffix("_bucket") for n in names} <= set(
            SELDON_METRICS
        ), expr
        assert "status" not in expr  # the executor's label is `code`
    provisioning = next(o for o in objects() if o["metadata"]["name"] == "grafana-provisioning")
    (source,) = yaml.safe_load(provisioning["data"]["datasources.yaml"])["datasources"]
    uids = {p["datasource"]["uid"] for p in board["panels"] if p["type"] != "row"}
    assert uids == {source["uid"]} == {"prometheus"}


def test_dashboard_panels_do_not_overlap() -> None:
    cells: set[tuple[int, int]] = set()
    for panel in dashboard.dashboard()["panels"]:
        g = panel["gridPos"]
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & mine, panel["title"]
        assert g["x"] + g["w"] <= 24
        cells |= mine
    ids = [p["id"] for p in dashboard.dashboard()["panels"]]
    assert len(ids) == len(set(ids))


def _config_hashes(namespace: str) -> dict[str, str]:
    return {
        o["metadata"]["name"]: o["spec"]["template"]["metadata"]["annotations"][
            "seldon-graphs.io/config-hash"
        ]
        for o in objects(namespace)
        if o["kind"] == "Deployment"
    }


def test_a_changed_configuration_restarts_the_pod_that_reads_it() -> None:
    """The pods read their ConfigMaps at start: a hash of them on the pod template makes a
    kind-up rerun with a changed configuration roll the Deployment; unchanged, nothing rolls."""
    ours = _config_hashes(manifests.NAMESPACE)
    assert ours == _config_hashes(manifests.NAMESPACE)
    assert sorted(ours) == ["grafana", "prometheus"]
    # another namespace changes Grafana's datasource URL only
    other = _config_hashes("elsewhere")
    assert other["grafana"] != ours["grafana"] and other["prometheus"] == ours["prometheus"]
