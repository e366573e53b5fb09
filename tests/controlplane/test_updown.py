"""scripts/controlplane-up.sh and -down.sh for real, each test with a plane of its own on free
ports: up within the promised 60 s, reused when up is run twice, nothing left after down; and
deploy --wait surviving a restart of the API server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from seldon_graphs import api
from seldon_graphs.deploy import connect
from seldon_graphs.deploy.flow import DeployOptions, deploy
from seldon_graphs.deploy.target import load_target
from seldon_graphs.deploy.wait import Progress
from tests.helpers import missing

from .conftest import binaries_missing
from .played_operator import reconcile

pytestmark = pytest.mark.controlplane

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
GRAPHS = SCRIPTS.parent / "graphs"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _plane(tmp_path: Path) -> tuple[Path, dict[str, str], list[int]]:
    """State folder, environment and ports (API server, etcd, etcd peer) of a plane of its own."""
    ports = _free_ports(3)
    run = tmp_path / "plane"
    env = {
        **os.environ,
        "CONTROLPLANE_RUN": str(run),
        "CONTROLPLANE_PORT": str(ports[0]),
        "ETCD_PORT": str(ports[1]),
        "ETCD_PEER_PORT": str(ports[2]),
    }
    return run, env, ports


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    """Running, that is: not gone and not a zombie waiting for its (re)parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _script(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPTS / name)], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_up_twice_then_down_leaves_nothing(tmp_path: Path) -> None:
    if why := binaries_missing():
        missing(why)
    run, env, (api, etcd, peer) = _plane(tmp_path)
    try:
        started = time.monotonic()
        up = _script("controlplane-up.sh", env)
        took = time.monotonic() - started
        assert up.returncode == 0, up.stderr + up.stdout
        assert took < 60, f"up took {took:.0f}s"
        pids = [int(p.read_text()) for p in sorted((run / "pids").glob("*.pid"))]
        assert len(pids) == 5  # etcd, apiserver, controller-manager, scheduler, kwok
        again = _script("controlplane-up.sh", env)
        assert again.returncode == 0, again.stderr
        assert sorted(int(p.read_text()) for p in (run / "pids").glob("*.pid")) == sorted(pids)
    finally:
        down = _script("controlplane-down.sh", env)
    assert down.returncode == 0, down.stderr
    assert down.stdout.endswith("==> control plane stopped\n")
    assert not run.exists()
    assert [pid for pid in pids if _alive(pid)] == []
    assert [p for p in (api, etcd, peer) if _listening(p)] == []
    assert _script("controlplane-down.sh", env).returncode == 0  # safe to run twice


def test_wait_survives_an_api_server_restart(tmp_path: Path) -> None:
    """The API server of a plane of its own is stopped mid-wait and started again (by rerunning
    up, which restarts only what is not running): deploy --wait retries and still succeeds."""
    if why := binaries_missing():
        missing(why)
    run, env, _ = _plane(tmp_path)
    restarted: list[subprocess.CompletedProcess[str]] = []
    try:
        assert _script("controlplane-up.sh", env).returncode == 0
        kube = connect("controlplane", str(run / "kubeconfig"))
        target = load_target(GRAPHS / "abtest.yaml", api.load).placed("restart", "default")
        seen: list[Progress] = []
        restart = threading.Thread(
            target=lambda: restarted.append(_script("controlplane-up.sh", env))
        )

        def operator_then_outage(progress: Progress) -> None:
            """Reconcile, then kill the API server; start it again once the wait has seen it
            gone (so the outage is witnessed, whatever the timing)."""
            if not seen:
                reconcile(kube.api, "restart", "abtest")
                _stop(int((run / "pids" / "kube-apiserver.pid").read_text()))
            elif progress.state == "unreachable" and not restart.is_alive() and not restarted:
                restart.start()
            seen.append(progress)

        options = DeployOptions(wait=120, build=False)
        deploy(kube, target, options, lambda *_: None, lambda _s: None, operator_then_outage)
        restart.join(timeout=120)
        assert restarted and restarted[0].returncode == 0, restarted[0].stderr
        assert seen[1].state == "unreachable"
        assert "cannot reach the Kubernetes API at" in seen[1].note
        assert kube.get_sdep("restart", "abtest") is not None
    finally:
        assert _script("controlplane-down.sh", env).returncode == 0


def _stop(pid: int) -> None:
    """Kill, as a crash would: a graceful stop drains watches for up to a minute."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} did not stop"
        time.sleep(0.1)
