"""The docker runtime: the graph's wrapper images on a private Docker network, our executor
in front (its answers are compared with the other runtimes' in test_conformance.py).

Images are built on the local debootstrap base (scripts/build_base_image.sh) and kept:
their tags are content hashes, so a later run reuses them. In CI (CI=true) a missing
engine fails; elsewhere these tests skip with the reason.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import requests

from seldon_graphs.runtime.docker import LABEL, DockerBackend, DockerUnavailable
from seldon_graphs.runtime.supervision import DEFAULT_POLICY, Policy
from tests.helpers import configured

from .conftest import serve, wait_until
from .engine_link import EngineLink
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
        assert re.fullmatch("[0-9a-f]{8}", backend.run_id)  # two runs of a graph never clash
        run = backend.run_id
        assert sorted(c.name for c in leftovers(backend) if hasattr(c, "image")) == [
            f"sg-tags-combiner-{node}-{run}" for node in ("combiner", "one", "two")
        ]
        assert [n.name for n in client.networks.list(filters={"label": f"{LABEL}={run}"})] == [
            f"sg-tags-combiner-{run}"
        ]
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
    reports: list[str] = []
    backend = DockerBackend(*never_ready, policy=Policy(start_timeout=15), report=reports.append)
    with pytest.raises(DockerUnavailable) as failed:
        asyncio.run(backend.start())
    lines = str(failed.value).splitlines()
    assert lines[0] == (
        "node 'hangs' did not start (did not answer within 15s of its start); last log lines:"
    )
    exits = lines.index("node 'exits' did not start (exited with code 3); last log lines:")
    assert lines[exits + 1 :][-1] == "    Restarts: exiting with code 3 \ufffd"
    # a first start that fails fails start(): nothing is restarted, or reported as restarting
    assert reports == []
    assert [n.restarts for n in backend.nodes.values()] == [0, 0]
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


def test_a_removed_container_is_made_again_from_its_plan(graph):
    """`docker rm -f` of a node: reported (its logs went with it), then a new container of
    the same name, image and label, as Kubernetes makes a deleted pod again."""
    reports: list[str] = []
    backend = DockerBackend(*graph, report=reports.append)
    thread = serve(backend, name="tags-combiner")
    url = thread.server.url
    try:
        assert list(backend.containers) == ["combiner", "one", "two"]
        removed = backend.containers["one"]  # not the last one the watcher looks at
        removed.remove(force=True)
        wait_until(lambda: bool(reports), "the removal to be reported")
        head, *logs = reports[0].splitlines()
        assert head == (
            "seldon-graphs: node 'one' was removed from Docker; restarting in 0.5s. Last log lines:"
        )
        assert len(logs) == 1 and logs[0].startswith("    (no logs: 404 Client Error"), logs
        wait_until(lambda: requests.get(url + "/ready", timeout=5).ok, "node one to be made again")
        again = backend.containers["one"]
        assert (again.name, again.image.id) == (removed.name, removed.image.id)
        assert again.id != removed.id and again.labels[LABEL] == backend.run_id
        body = {"data": {"ndarray": [[1]]}}
        assert requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).ok
        assert backend.nodes["one"].restarts == 1 and len(reports) == 1
    finally:
        thread.stop()
    assert leftovers(backend) == []


MODE = "/tmp/mode"  # Restarts' mode file, inside the container


@pytest.fixture(scope="module")
def restarts() -> tuple[Any, Any]:
    spec = make_graph(
        "restarts", [py("r", f"{NODES}/Restarts.py", "Restarts", {"mode_file": MODE})]
    )
    return built(spec, tree("r", M))


def write_mode(container: Any, mode: str) -> None:
    """Into the container's own file system: it stays across restarts, running or not."""
    data = mode.encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo(MODE.rsplit("/", 1)[1])
        info.size, info.mode = len(data), 0o666
        tar.addfile(info, io.BytesIO(data))
    assert container.put_archive(MODE.rsplit("/", 1)[0], archive.getvalue())


def docker_time(stamp: str) -> datetime:
    """Docker's RFC 3339 time, nanoseconds cut to what datetime holds."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{whole}.{fraction[:6]:0<6}+00:00")


def test_a_crash_loop_backs_off_and_ends_when_the_node_starts(restarts):
    """A node that exits at each start is started again after 0.5s, 1s, 2s (supervision's
    back-off for quick exits); each report ends with its last 20 log lines; it serves again
    once its start succeeds."""
    reports: list[str] = []
    finished: list[datetime] = []

    def report(text: str) -> None:
        reports.append(text)
        if len(reports) == 3:  # the next start serves
            container = backend.containers["r"]
            container.reload()
            finished.append(docker_time(container.attrs["State"]["FinishedAt"]))
            write_mode(container, "serve")

    backend = DockerBackend(*restarts, report=report)
    thread = serve(backend, name="restarts")
    url = thread.server.url
    try:
        container = backend.containers["r"]
        write_mode(container, "exit")
        container.kill()
        wait_until(lambda: len(reports) == 3, "three exits to be reported", timeout=120)
        wait_until(lambda: requests.get(url + "/ready", timeout=5).ok, "r to serve again")
        assert [r.splitlines()[0] for r in reports] == [
            "seldon-graphs: node 'r' exited with code 137; restarting in 0.5s. Last log lines:",
            "seldon-graphs: node 'r' exited with code 3; restarting in 1s. Last log lines:",
            "seldon-graphs: node 'r' exited with code 3; restarting in 2s. Last log lines:",
        ]
        logs = reports[2].splitlines()[1:]
        assert len(logs) == 20 and all(line.startswith("    ") for line in logs), logs
        assert logs[-1] == "    Restarts: exiting with code 3 \ufffd"
        container.reload()
        restarted = docker_time(container.attrs["State"]["StartedAt"])
        assert (restarted - finished[0]).total_seconds() >= 2.0  # waited out the back-off
        assert backend.nodes["r"].restarts == 3 and len(reports) == 3
    finally:
        thread.stop()
    assert leftovers(backend) == []


def test_a_container_that_cannot_start_again_is_retried_with_back_off(restarts):
    """Its network gone, a killed container cannot start: the node stays down, /ready says
    why, and the watcher tries again after 1s, then 2s (never in a tight loop)."""
    client = engine()
    reports: list[str] = []
    attempts: list[float] = []

    def report(text: str) -> None:
        reports.append(text)
        client.networks.get(backend.network.id).remove()  # before its restart, every time

    backend = DockerBackend(*restarts, report=report)
    thread = serve(backend, name="restarts")
    url = thread.server.url
    try:
        container = backend.containers["r"]
        start = container.start

        def counted_start(*args: Any, **kwargs: Any) -> Any:  # a spy: Docker still answers
            attempts.append(time.monotonic())
            return start(*args, **kwargs)

        container.start = counted_start
        container.kill()
        node = backend.nodes["r"]
        # counted as it begins: down again once Docker refused the third
        wait_until(lambda: len(attempts) >= 3 and node.state == "down", "three failed starts")
        assert (node.state, node.restarts, len(reports)) == ("down", 1, 1)
        assert node.problem.startswith("could not be started again (404 Client Error"), node.problem
        ready = requests.get(url + "/ready", timeout=5)
        assert ready.status_code == 503
        assert f"node 'r' {node.problem} and is restarting (restart 1)" in ready.text
        assert attempts[1] - attempts[0] >= 1.0 and attempts[2] - attempts[1] >= 2.0, attempts
    finally:
        thread.stop()
    assert leftovers(backend) == []


def test_a_paused_container_is_reported_as_paused_and_restarted(graph):
    """`docker pause` freezes a node: it is not running, and no exit code says why."""
    reports: list[str] = []
    backend = DockerBackend(*graph, report=reports.append)
    thread = serve(backend, name="tags-combiner")
    url = thread.server.url
    try:
        backend.containers["two"].pause()
        wait_until(lambda: bool(reports), "the pause to be reported")
        assert reports[0].startswith(
            "seldon-graphs: node 'two' is paused; restarting in 0.5s. Last log lines:\n"
        )
        wait_until(lambda: requests.get(url + "/ready", timeout=5).ok, "node two to come back")
        body = {"data": {"ndarray": [[1]]}}
        assert requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).ok
        assert backend.nodes["two"].restarts == 1 and len(reports) == 1
    finally:
        thread.stop()
    assert leftovers(backend) == []


def test_an_engine_that_stops_answering_leaves_serving_nodes_to_their_health_checks(
    restarts, monkeypatch
):
    """dockerd going away (the link to it cut) is reported once; nodes go on serving, judged
    by their probes alone. One that dies meanwhile is found by its probes and cannot be
    started until the engine answers again; then it is."""
    link = EngineLink()
    monkeypatch.setenv("DOCKER_HOST", link.url)
    reports: list[str] = []
    policy = Policy(probe_interval=0.3, probe_timeout=0.5, probe_failures=2)
    backend = DockerBackend(*restarts, report=reports.append, policy=policy)
    thread = serve(backend, name="restarts")
    monkeypatch.delenv("DOCKER_HOST")  # the backend keeps its client; the test asks directly
    url = thread.server.url
    body = {"data": {"ndarray": [[1]]}}
    try:
        link.cut()
        wait_until(lambda: bool(reports), "the engine's silence to be reported")
        assert reports[0].startswith("seldon-graphs: the Docker engine does not answer (")
        assert reports[0].endswith("); nodes are watched through their health checks until it does")
        assert requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).ok
        assert requests.get(url + "/ready", timeout=5).ok and len(reports) == 1

        engine().containers.get(backend.containers["r"].id).kill()
        node = backend.nodes["r"]
        wait_until(lambda: (node.problem or "").startswith("could not be started"), "a retry")
        head, *logs = reports[1].splitlines()
        assert head.startswith("seldon-graphs: node 'r' stopped answering: 2 probes in a row")
        assert head.endswith("; restarting in 0.5s. Last log lines:"), head
        assert len(logs) == 1 and logs[0].startswith("    (no logs: "), logs
        ready = requests.get(url + "/ready", timeout=5)
        assert ready.status_code == 503 and "could not be started again (" in ready.text

        link.mend()
        wait_until(lambda: requests.get(url + "/ready", timeout=5).ok, "r to be started again")
        assert reports[2:] == ["seldon-graphs: the Docker engine answers again"]
        assert requests.post(url + "/api/v1.0/predictions", json=body, timeout=30).ok
        assert node.restarts == 1
    finally:
        thread.stop()
        link.close()
    assert leftovers(backend) == []


def test_a_serving_node_is_probed_every_probe_interval(restarts):
    """Not at every look the watcher takes (WATCH_S): never sooner than the interval after
    it became ready, or after the last probe."""
    backend = DockerBackend(*restarts, policy=Policy(probe_interval=2.0))
    calls: list[tuple[float, str]] = []
    request = backend.probes.request

    async def counted(method: str, host: str, port: int, path: str, *args: Any, **kw: Any):
        calls.append((time.monotonic(), path))  # a spy: the node still answers
        return await request(method, host, port, path, *args, **kw)

    backend.probes.request = counted  # type: ignore[method-assign]
    thread = serve(backend, name="restarts")
    try:
        probes = lambda: [t for t, path in calls if path == "/health/status"]  # noqa: E731
        wait_until(lambda: len(probes()) >= 2, "two probes")
        pinged = max(t for t, path in calls if path == "/health/ping" and t < probes()[0])
        first, second = probes()[:2]
        assert first - pinged >= 2.0 and second - first >= 2.0, calls
    finally:
        thread.stop()
    assert leftovers(backend) == []


def test_a_request_cut_short_by_the_shutdown_is_told_so():
    """The drain gives up (1s): the containers go, and the request still waiting on one gets
    the reason the graph gives while it stops, not a connection error."""
    spec = make_graph("drain", [py("slow", f"{NODES}/Sleepy.py", "Sleepy")])
    backend = DockerBackend(*built(spec, tree("slow", M)))
    thread = serve(backend, name="drain", drain_seconds=1)
    url = thread.server.url + "/api/v1.0/predictions"
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.post, url, json={"data": {"ndarray": [[600]]}}, timeout=60)
        wait_until(lambda: thread.server.in_flight == 1, "the request in flight")
        thread.stop()
        answer = pending.result(60)
    assert (answer.status_code, answer.json()["status"]["info"]) == (
        503,
        "node 'slow': node 'slow' is stopped (the graph is shutting down)",
    )
    assert leftovers(backend) == []
