"""The docker runtime: the graph's wrapper images on a private Docker network, our executor
in front (its answers are compared with the other runtimes' in test_conformance.py).

Images are built on the local debootstrap base (scripts/build_base_image.sh) and kept:
their tags are content hashes, so a later run reuses them. In CI (CI=true) a missing
engine fails; elsewhere these tests skip with the reason.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
import requests

from seldon_graphs.runtime.docker import LABEL, DockerBackend

from .conftest import serve
from .graphs import ROOT, tags_combiner

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE = os.environ.get("SELDON_GRAPHS_TEST_BASE", "seldon-graphs/base:bookworm")
REGISTRY = "seldon-graphs-test"


def engine() -> Any:
    from seldon_graphs.images import docker_client

    try:
        return docker_client()
    except Exception as exc:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"CI needs a Docker engine for the docker runtime tests: {exc}")
        pytest.skip(f"no Docker engine: {exc}")


@pytest.fixture(scope="module")
def graph() -> tuple[Any, Any]:
    from seldon_graphs.images import build_images
    from seldon_graphs.wrapper.context import plan_graph, with_overrides

    engine()
    subprocess.run([str(ROOT / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    spec, tree = tags_combiner()
    spec = with_overrides(spec, base_image=BASE, registry=REGISTRY)
    build_images(plan_graph(spec, tree))  # content-hash tags: unchanged nodes are not rebuilt
    return spec, tree


def test_containers_are_private_and_removed(graph):
    client = engine()
    backend = DockerBackend(*graph)
    thread = serve(backend, name="tags-combiner")
    try:
        assert requests.get(thread.server.url + "/ready", timeout=30).status_code == 200
        for container in backend.containers.values():
            container.reload()
            bindings = container.attrs["NetworkSettings"]["Ports"]
            assert {b["HostIp"] for v in bindings.values() if v for b in v} == {"127.0.0.1"}
    finally:
        thread.stop()
    assert not client.containers.list(all=True, filters={"label": f"{LABEL}={backend.run_id}"})
    assert not client.networks.list(filters={"label": f"{LABEL}={backend.run_id}"})


def test_a_crashed_container_is_reported_restarted_and_ready_again(graph):
    import signal
    import time

    reports: list[str] = []
    backend = DockerBackend(*graph, report=reports.append)
    thread = serve(backend, name="tags-combiner")
    url = thread.server.url
    try:
        container = backend.containers["two"]
        container.reload()
        os.kill(container.attrs["State"]["Pid"], signal.SIGKILL)  # a crash, not a `docker stop`
        deadline = time.monotonic() + 20
        while not reports:
            assert time.monotonic() < deadline, "the crash was not reported"
            time.sleep(0.2)
        assert "node 'two' " in reports[0] and "Last log lines" in reports[0]
        body = {"data": {"ndarray": [[1]]}}
        r = requests.post(url + "/api/v1.0/predictions", json=body, timeout=30)
        if r.status_code != 200:  # restarting: a clear answer naming the node, not a hang
            assert r.status_code == 503 and "node 'two'" in r.json()["status"]["info"]
        deadline = time.monotonic() + 90
        while requests.get(url + "/ready", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "node two did not come back"
            time.sleep(0.5)
        assert requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).ok
    finally:
        thread.stop()
