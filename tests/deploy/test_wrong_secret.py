"""A wrong secret, found by real rclone and shown by deploy's diagnosis (issue 10).

The secret has every key the initializer reads (so preflight passes) but a wrong value:
the endpoint of a closed port, or TLS against moto's plain-HTTP server. Debian's rclone runs
with the environment `secret create` stored, its stderr becomes the init container's log in
the fake API server, and `deploy` must show rclone's own last line and the storage fix.

The only difference from the init container: RCLONE_RETRIES and RCLONE_LOW_LEVEL_RETRIES are
1, because rclone's defaults retry a refused connection for over six minutes (measured here)
before printing the same message; the cluster's init container does that, then crashes.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from seldon_graphs.deploy.diagnose import STORAGE_HINT
from seldon_graphs.deploy.initializers import initializer_env
from tests.helpers import require_tool

from .conftest import FakeClock
from .fakeapi import FakeCluster, pod, waiting
from .test_storage import (  # noqa: F401 (project and s3 are fixtures)
    KEY,
    SECRET,
    project,
    rollout_error,
    s3,
    stored_secret,
)

POD = "income-default-0-lr-abc"
INIT = "lr-model-initializer"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


def _env_file(tmp_path: Path, endpoint: str, ssl: str) -> Path:
    env = tmp_path / "wrong.env"
    env.write_text(
        f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n"
        f"AWS_ENDPOINT_URL={endpoint}\nUSE_SSL={ssl}\n"
    )
    return env


def _rclone(secret: dict[str, str], dest: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(dest.parent),
        "RCLONE_RETRIES": "1",
        "RCLONE_LOW_LEVEL_RETRIES": "1",
        **initializer_env(secret),
    }
    return subprocess.run(
        [require_tool("rclone"), "copy", "s3://models/income/lr", str(dest)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _crashing_initializer(cluster: FakeCluster, rclone: subprocess.CompletedProcess[str]) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.operator.available_after = None
    init = waiting(INIT, "rclone", "CrashLoopBackOff", exit_code=rclone.returncode)
    server = waiting("lr", "seldonio/sklearnserver:1.17.1", "PodInitializing")
    cluster.pods["models"] = [pod(POD, "income", [server], phase="Pending", init=[init])]
    cluster.logs[("models", POD, INIT, False)] = rclone.stderr


@pytest.mark.parametrize(
    ("endpoint", "ssl", "rclone_says"),
    [
        ("closed", "false", "connect: connection refused"),
        ("moto", "true", "tls: first record does not look like a TLS handshake"),
    ],
    ids=["closed-port", "tls-to-plain-http"],
)
def test_rclones_words_reach_the_deploy_diagnosis(
    endpoint: str,
    ssl: str,
    rclone_says: str,
    s3: str,  # noqa: F811
    project: Path,  # noqa: F811
    tmp_path: Path,
    cluster: FakeCluster,
    kubeconfig: Path,
    clock: FakeClock,
) -> None:
    where = f"127.0.0.1:{_closed_port()}" if endpoint == "closed" else s3
    secret = stored_secret(cluster, kubeconfig, _env_file(tmp_path, where, ssl))
    scheme = "https" if ssl == "true" else "http"
    assert secret["RCLONE_CONFIG_S3_ENDPOINT"] == f"{scheme}://{where}"
    rclone = _rclone(secret, tmp_path / "mnt-models")
    last = rclone.stderr.strip().splitlines()[-1]
    assert (rclone.returncode, rclone_says in last) == (1, True), rclone.stderr
    _crashing_initializer(cluster, rclone)
    text = rollout_error(project / "graph.yaml", kubeconfig, clock)
    assert f"pod {POD}, init container {INIT} keeps crashing (CrashLoopBackOff)" in text
    assert f"    | {last}" in text
    assert f"help: {STORAGE_HINT}" in text
    assert SECRET not in text
