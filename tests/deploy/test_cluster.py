"""The whole flow against a real cluster: kind-up, deploy, predict, delete.

Opt-in: `pytest -m cluster tests/deploy` (or `make test-cluster`, see docs/deploy.md).
It reuses the cluster of context $SELDON_GRAPHS_CONTEXT (default kind-seldon) when that
answers, else runs scripts/kind-up.sh (idempotent) when kind, kubectl, helm and docker are
installed, else skips saying why. It deploys tests/deploy/graphs/chapter2-iris.yaml (Seldon's
SKLEARN_SERVER with the walkthrough's public iris model: no image to build, but the cluster
must reach docker.io and storage.googleapis.com), sends one prediction through a port-forward,
and deletes it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from seldon_graphs.deploy import DeployError, connect
from tests.helpers import missing

ROOT = Path(__file__).resolve().parents[2]
GRAPH = ROOT / "tests" / "deploy" / "graphs" / "chapter2-iris.yaml"
CONTEXT = os.environ.get("SELDON_GRAPHS_CONTEXT", "kind-seldon")
TOOLS = ("kind", "kubectl", "helm", "docker")

pytestmark = pytest.mark.cluster


def _reachable() -> str | None:
    """None if the context answers, else why not."""
    try:
        connect(CONTEXT).server_version()
    except DeployError as err:
        return err.message
    return None


@pytest.fixture
def real_cluster(request: pytest.FixtureRequest) -> str:
    if "cluster" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("needs a real cluster: opt in with `pytest -m cluster` (docs/deploy.md)")
    why = _reachable()
    if why is None:
        return CONTEXT
    absent = [t for t in TOOLS if shutil.which(t) is None]
    if absent:
        missing(f"no reachable cluster ({why}) and cannot make one: missing {absent}")
    name = CONTEXT.removeprefix("kind-")
    subprocess.run([str(ROOT / "scripts" / "kind-up.sh"), "--name", name], check=True, timeout=1800)
    return CONTEXT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def seldon_graphs(real_cluster: str) -> Iterator[list[str]]:
    base = [str(ROOT / ".venv" / "bin" / "seldon-graphs")]
    if not Path(base[0]).exists():
        base = [sys.executable, "-m", "seldon_graphs.cli"]
    yield base
    subprocess.run(
        [*base, "delete", str(GRAPH), "--context", real_cluster], timeout=120, check=False
    )


def test_deploy_predict_delete(real_cluster: str, seldon_graphs: list[str]) -> None:
    deployed = subprocess.run(
        [*seldon_graphs, "deploy", str(GRAPH), "--context", real_cluster, "--wait", "900"],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert "curl -s -X POST" in deployed.stdout

    status = subprocess.run(
        [*seldon_graphs, "status", str(GRAPH), "--context", real_cluster],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert status.returncode == 0 and ": Available" in status.stdout, status.stdout

    port = _free_port()
    forward = subprocess.Popen(
        [
            "kubectl",
            "--context",
            real_cluster,
            "-n",
            "seldon-deploy",
            "port-forward",
            "svc/sklearn-default",
            f"{port}:8000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = json.dumps({"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}).encode()
        url = f"http://127.0.0.1:{port}/api/v1.0/predictions"
        answer = None
        for _ in range(30):  # the port-forward takes a moment
            try:
                req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=10) as resp:
                    answer = json.load(resp)
                break
            except OSError:
                time.sleep(1)
        assert answer is not None and len(answer["data"]["ndarray"][0]) == 3
    finally:
        forward.terminate()
        forward.wait(timeout=10)

    deleted = subprocess.run(
        [*seldon_graphs, "delete", str(GRAPH), "--context", real_cluster],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert deleted.returncode == 0 and "deleted SeldonDeployment" in deleted.stdout
