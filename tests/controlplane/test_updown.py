"""scripts/controlplane-up.sh and -down.sh for real: a second plane on free ports of its own,
up within the promised 60 s, reused when up is run twice, and after down no process of it is
left and none of its ports listens."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import binaries_missing

pytestmark = pytest.mark.controlplane

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


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
        pytest.skip(why)
    api, etcd, peer = _free_ports(3)
    run = tmp_path / "plane"
    env = {
        **os.environ,
        "CONTROLPLANE_RUN": str(run),
        "CONTROLPLANE_PORT": str(api),
        "ETCD_PORT": str(etcd),
        "ETCD_PEER_PORT": str(peer),
    }
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
