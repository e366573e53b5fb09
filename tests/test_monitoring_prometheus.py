"""Debian's real Prometheus scrapes a real local run of graphs/iris.yaml (process runtime:
a real seldon-core-microservice behind our executor) with the configuration of
seldon_graphs/monitoring: the in-cluster pods job, its pods given as static targets that
carry the labels Kubernetes discovery would give the pod the operator makes. Then every
expression of every dashboard panel, and every template variable, must return data through
Prometheus' HTTP API.

Debian's prometheus 2.42.0 is built without Kubernetes discovery, so only the static variant
runs here; the in-cluster image is the same release (prom/prometheus:v2.42.0).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from seldon_graphs import api
from seldon_graphs.deploy.names import SDEP_LABEL, seldon_id
from seldon_graphs.emit import to_yaml
from seldon_graphs.monitoring import dashboard, scrape
from seldon_graphs.runtime.process import ProcessBackend
from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread
from tests.goldens import ROOT
from tests.helpers import missing
from tests.runtime.conftest import iris_dir, wait_until

__all__ = ["iris_dir"]  # the trained model fixture, shared with the runtime tests

pytestmark = pytest.mark.slow

IRIS = ROOT / "graphs" / "iris.yaml"
SAMPLE = {"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}
REWARD = 0.75
POD = "sklearn-default-0-classifier-7d9f8-local"  # the one pod of the operator's Deployment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(f"Debian's {name} is not installed (apt-get install prometheus)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def run(iris_dir: Path) -> Iterator[tuple[str, ProcessBackend]]:
    """graphs/iris.yaml served by the process runtime: (executor URL, backend)."""
    analysis = api.analyze(IRIS)
    assert analysis.spec is not None and analysis.tree is not None, analysis.render()
    spec = analysis.spec
    backend = ProcessBackend(spec, analysis.tree, {"classifier": str(iris_dir)})
    options = ServerOptions(port=0, name=spec.name, namespace=spec.namespace or "default")
    thread = ServerThread(GraphServer(backend, options))
    thread.start(timeout=600)  # a first run makes the node's venv
    yield thread.server.url, backend
    thread.stop()


def pod_ports(executor: str, backend: ProcessBackend) -> list[scrape.PodPort]:
    """The ports of the pod the operator would run this graph in, at the local addresses:
    the executor's and the node's `metrics` ports, and ports the pods job must not scrape."""
    spec = backend.spec
    labels = {SDEP_LABEL: seldon_id(spec.name), "app.kubernetes.io/managed-by": "seldon-core"}
    node = backend.nodes["classifier"].ports
    namespace = spec.namespace or "default"

    def port(address: str, container: str, name: str) -> scrape.PodPort:
        return scrape.PodPort(address, namespace, POD, container, name, labels)

    engine = scrape.EXECUTOR_CONTAINER
    return [
        port(executor.removeprefix("http://"), engine, scrape.METRICS_PORT),
        port(f"127.0.0.1:{node.metrics}", "classifier", scrape.METRICS_PORT),
        port(f"127.0.0.1:{node.http}", "classifier", "http"),
        port(f"127.0.0.1:{node.grpc}", "classifier", "grpc"),
    ]


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> Any:
        r = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.get("query", query=expr)
        assert data["resultType"] == "vector", data
        return list(data["result"])

    def total(self, metric: str) -> float:
        return sum(float(s["value"][1]) for s in self.query(f"sum({metric})"))


@pytest.fixture(scope="module")
def prometheus(
    run: tuple[str, ProcessBackend], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    binary, promtool = _tool("prometheus"), _tool("promtool")
    folder = tmp_path_factory.mktemp("prometheus")
    config = folder / "prometheus.yml"
    config.write_text(to_yaml(scrape.prometheus_config(pod_ports(*run), interval="1s")))
    checked = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    address = f"127.0.0.1:{_free_port()}"
    argv = [binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address={address}"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with (folder / "log").open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until(lambda: _ready(f"http://{address}", proc), "Prometheus to be ready", 60)
        yield Prometheus(f"http://{address}")
    finally:
        proc.terminate()
        proc.wait(30)


def _ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, f"prometheus exited with {proc.returncode}"
    try:
        return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def traffic(executor: str, good: int) -> None:
    """`good` predictions, one request the node refuses (400), one feedback with REWARD."""
    for _ in range(good):
        r = requests.post(f"{executor}/api/v1.0/predictions", json=SAMPLE, timeout=30)
        assert r.status_code == 200, r.text
    bad = requests.post(
        f"{executor}/api/v1.0/predictions",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert bad.status_code == 400, bad.text
    feedback = {"request": SAMPLE, "reward": REWARD}
    r = requests.post(f"{executor}/api/v1.0/feedback", json=feedback, timeout=30)
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def scraped(run: tuple[str, ProcessBackend], prometheus: Prometheus) -> Prometheus:
    """Two rounds of traffic, each seen by a scrape, so that every rate has an increase."""
    executor = run[0]
    sent = rounds = 0
    for good in (5, 3):
        traffic(executor, good)
        sent, rounds = sent + good + 2, rounds + 1

        def seen(sent: int = sent, rounds: int = rounds) -> bool:
            server = prometheus.total(f"{dashboard.SERVER}_count")
            return server >= sent and prometheus.total(dashboard.FEEDBACK) >= rounds

        wait_until(seen, f"Prometheus to scrape {sent} requests", 60)
    return prometheus


VALUES = {"$namespace": "seldon-deploy", "$deployment": "sklearn", "$predictor": "default",
          "$node": "classifier"}  # fmt: skip


def concrete(expr: str) -> str:
    """The expression as Grafana sends it with this run's values chosen in the variables."""
    for name, value in VALUES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, expr
    return expr


def values(series: list[dict[str, Any]]) -> list[float]:
    return [float(s["value"][1]) for s in series]


def test_the_pods_job_scrapes_the_metrics_ports_only(scraped: Prometheus) -> None:
    targets = scraped.get("targets")
    active = sorted(
        (t["labels"]["kubernetes_container_name"], t["scrapeUrl"].rsplit("/", 1)[1], t["health"])
        for t in targets["activeTargets"]
    )
    assert active == [
        ("classifier", "prometheus", "up"),
        ("seldon-container-engine", "prometheus", "up"),
    ]
    dropped = sorted(
        t["discoveredLabels"]["__meta_kubernetes_pod_container_port_name"]
        for t in targets["droppedTargets"]
    )
    assert dropped == ["grpc", "http"]


def test_every_series_carries_the_pods_labels(scraped: Prometheus) -> None:
    for metric in (f"{dashboard.SERVER}_count", dashboard.REWARD):
        for series in scraped.query(metric):
            labels = series["metric"]
            assert labels["kubernetes_namespace"] == "seldon-deploy"
            assert labels["kubernetes_pod_name"] == POD
            assert labels["seldon_deployment_id"] == "sklearn"
            assert labels["deployment_name"] == "sklearn"


# The dashboard as Grafana loads it (the file kind-up puts in the grafana-dashboards ConfigMap).
BOARD = json.loads((ROOT / "deploy" / "monitoring" / "seldon-graphs.json").read_text())
PANELS = [
    (p["title"], t["expr"]) for p in BOARD["panels"] if p["type"] != "row" for t in p["targets"]
]
VARIABLE_QUERY = re.compile(r"label_values\((\w+), (\w+)\)")


def test_every_template_variable_finds_this_run(scraped: Prometheus) -> None:
    variables = BOARD["templating"]["list"]
    assert [v["name"] for v in variables] == ["namespace", "deployment", "predictor", "node"]
    for variable in variables:
        match = VARIABLE_QUERY.fullmatch(variable["query"])
        assert match is not None, variable["query"]
        metric, label = match.groups()
        found = scraped.get(f"label/{label}/values", **{"match[]": metric})
        assert found == [VALUES[f"${variable['name']}"]], variable["name"]


@pytest.mark.parametrize(("title", "expr"), PANELS, ids=[f"{t}:{e[:40]}" for t, e in PANELS])
def test_every_panel_expression_returns_data(scraped: Prometheus, title: str, expr: str) -> None:
    found = values(scraped.query(concrete(expr)))
    assert found, f"{title}: no data for {concrete(expr)}"
    assert all(math.isfinite(v) and v >= 0 for v in found), (title, found)


def one(scraped: Prometheus, title: str, index: int = 0) -> list[dict[str, Any]]:
    panel = next(p for p in BOARD["panels"] if p["title"] == title)
    return scraped.query(concrete(panel["targets"][index]["expr"]))


def test_panels_show_what_the_run_did(scraped: Prometheus) -> None:
    (success,) = values(one(scraped, "Success rate"))
    assert 0 < success < 1  # predictions and feedback 200, one 400
    (errors,) = one(scraped, "Errors/s by status code")
    assert errors["metric"] == {"deployment_name": "sklearn", "predictor_name": "default",
                                "code": "400"}  # fmt: skip
    (reward,) = one(scraped, "Feedback reward by graph node")
    assert reward["metric"]["model_name"] == "classifier"
    assert float(reward["value"][1]) == pytest.approx(REWARD)
    p50, p99 = (values(one(scraped, "Latency by graph node", i)) for i in (0, 2))
    assert 0 < p50[0] <= p99[0]
    (node_rate,) = one(scraped, "Requests/s by graph node")
    assert node_rate["metric"] == {"deployment_name": "sklearn", "predictor_name": "default",
                                   "model_name": "classifier"}  # fmt: skip
