"""The docker runtime: the graph's wrapper images on a private Docker network, our executor
in front (its answers are compared with the other runtimes' in test_conformance.py).

Images are built on the local debootstrap base (scripts/build_base_image.sh) and kept:
their tags are content hashes, so a later run reuses them. In CI (CI=true) a missing
engine fails; elsewhere these tests skip with the reason.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from typing import Any

import pytest
import requests

from seldon_graphs.runtime.docker import LABEL, DockerBackend, DockerUnavailable
from seldon_graphs.runtime.supervision import DEFAULT_POLICY, Policy
from tests.helpers import configured

from .conftest import serve, wait_until
from .graphs import NODES, ROOT, M, py, tags_combiner, tree
from .graphs import graph as make_graph

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE = os.environ.get("SELDON_GRAPHS_TEST_BASE", "seldon-graphs/base:bookworm")
REGISTRY = "seldon-graphs-test"


def engine() -> Any:
    from seldon_graphs.wrapper.images import docker_client

    try:
        return docker_client()
    except Exception as exc:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"CI needs a Docker engine for the docker runtime tests: {exc}")
        pytest.skip(f"no Docker engine: {exc}")


def built(spec: Any, root: Any) -> tuple[Any, Any]:
    """The graph's wrapper images on the local base (content-hash tags: kept, reused)."""
    from seldon_graphs.wrapper.context import plan_graph
    from seldon_graphs.wrapper.images import build_images

    engine()
    subprocess.run([str(ROOT / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    spec = configured(spec, base_image=BASE, registry=REGISTRY)
    build_images(plan_graph(spec, root))
    return spec, root


@pytest.fixture(scope="module")
def graph() -> tuple[Any, Any]:
    return built(*tags_combiner())


def leftovers(backend: DockerBackend) -> list[Any]:
    client = engine()
    selector = {"label": f"{LABEL}={backend.run_id}"}
    return [
        *client.containers.list(all=True, filters=selector),
        *client.networks.list(filters=selector),
    ]


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


@pytest.mark.parametrize("how", ["crash", "docker kill", "docker stop"])
def test_a_stopped_container_is_reported_restarted_and_ready_again(graph, how):
    reports: list[str] = []
    backend = DockerBackend(*graph, report=reports.append)
    thread = serve(backend, name="tags-combiner")
    url = thread.server.url
    body = {"data": {"ndarray": [[1]]}}
    try:
        container = backend.containers["two"]
        container.reload()
        if how == "crash":
            os.kill(container.attrs["State"]["Pid"], signal.SIGKILL)
        elif how == "docker kill":
            container.kill()
        else:
            container.stop(timeout=1)
        wait_until(lambda: bool(reports), "the stop to be reported")
        stopped = re.match(
            r"seldon-graphs: node 'two' exited with code (\d+); restarting in 0\.5s\. "
            r"Last log lines:\n",
            reports[0],
        )
        assert stopped, reports[0]
        codes = {"crash": {"137"}, "docker kill": {"137"}, "docker stop": {"0", "137", "143"}}
        assert stopped.group(1) in codes[how]  # docker stop: a clean exit or SIGKILL after 1s
        wait_until(lambda: requests.get(url + "/ready", timeout=5).ok, "node two to come back")
        assert requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).ok
        assert backend.nodes["two"].restarts == 1 and len(reports) == 1
    finally:
        thread.stop()
    assert leftovers(backend) == []


@pytest.fixture(scope="module")
def never_ready() -> tuple[Any, Any]:
    spec = make_graph(
        "never-ready",
        [
            py("hangs", f"{NODES}/Restarts.py", "Restarts", {"mode": "hang"}),
            py("exits", f"{NODES}/Restarts.py", "Restarts", {"mode": "exit"}),
        ],
    )
    return built(spec, tree("hangs", M, tree("exits", M)))


def test_containers_that_never_become_ready_fail_the_start_by_name(never_ready):
    backend = DockerBackend(*never_ready, policy=Policy(start_timeout=15))
    with pytest.raises(DockerUnavailable) as failed:
        asyncio.run(backend.start())
    lines = str(failed.value).splitlines()
    assert lines[0] == (
        "node 'hangs' did not start (did not answer within 15s of its start); last log lines:"
    )
    assert "node 'exits' did not start (exited with code 3); last log lines:" in lines
    assert leftovers(backend) == []


def test_a_wedged_container_is_found_by_its_probe_and_restarted():
    """The metrics-lock wedge (nodes/Wedge.py) inside a container: /health/ping answers,
    predictions hang; the liveness probe finds it and the container is restarted."""
    spec = make_graph("wedge", [py("w", f"{NODES}/Wedge.py", "Wedge")], rest_timeout_ms=3000)
    policy = Policy(probe_interval=0.3, probe_timeout=0.5, probe_failures=3)
    assert policy.backoff == DEFAULT_POLICY.backoff
    reports: list[str] = []
    backend = DockerBackend(*built(spec, tree("w", M)), policy=policy, report=reports.append)
    thread = serve(backend, name="wedge")
    url = thread.server.url
    body = {"data": {"ndarray": [[-1]]}}
    try:
        assert (
            requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).status_code == 500
        )
        wait_until(lambda: bool(reports), "the hung container to be reported")
        assert reports[0].startswith(
            "seldon-graphs: node 'w' stopped answering: 3 probes in a row failed, the last with "
            "no answer to /health/status within 0.5s; restarting in 0.5s."
        )
        wait_until(lambda: requests.get(url + "/ready", timeout=5).ok, "the restarted container")
        body = {"data": {"ndarray": [[0]]}}
        assert requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).ok
    finally:
        thread.stop()
    assert leftovers(backend) == []
