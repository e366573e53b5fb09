"""Wrapper images built, run and called with a real Docker engine.

One session-wide set of images (the fixture graph's five nodes plus a stock router) is
built on the local debootstrap base (scripts/build_base_image.sh), each container is run
with its port published on 127.0.0.1 only, called on its role's endpoint, and everything
made here is removed at the end. In CI (CI=true) a missing engine fails; elsewhere the
tests skip with the reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import api
from seldon_graphs.images import BuildFailed, BuildResult, build_images, docker_client
from seldon_graphs.spec import Role
from seldon_graphs.wrapper.context import ContextPlan, plan_context, plan_graph, with_overrides

from .conftest import FIXTURE_PROJECT, graph_spec, python_node, stock_node

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
BASE = os.environ.get("SELDON_GRAPHS_TEST_BASE", "seldon-graphs/base:bookworm")
REGISTRY = "seldon-graphs-wrapper-test"
GRAPH = FIXTURE_PROJECT / "graph.yaml"
CLI = (sys.executable, "-m", "seldon_graphs.cli")


@dataclass
class Built:
    client: Any
    plans: dict[str, ContextPlan]
    first: list[BuildResult]
    cli_output: str


def _engine() -> Any:
    try:
        return docker_client()
    except Exception as exc:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"CI needs a Docker engine for the image tests: {exc}")
        pytest.skip(f"no Docker engine: {exc}")


def _remove_images(client: Any, images: list[str]) -> None:
    from docker.errors import ImageNotFound

    for image in images:
        with contextlib.suppress(ImageNotFound):
            client.images.remove(image, force=True)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    client = _engine()
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    graph = api.load(GRAPH)
    spec = with_overrides(graph.spec, base_image=BASE, registry=REGISTRY)
    plans = {p.node: p for p in plan_graph(spec, graph.tree)}
    router = stock_node("ab", stock="ab-router")
    router_spec = graph_spec(router, registry=REGISTRY, runtime=spec.runtime)
    plans["ab"] = plan_context(router_spec, router, Role.ROUTER)
    images = [p.image for p in plans.values()]
    _remove_images(client, images)  # a real first build, whatever an aborted run left
    try:
        # The graph's images through the CLI (loader, overrides, progress), then the router.
        proc = subprocess.run(
            [*CLI, "build", str(GRAPH), "--base-image", BASE, "--registry", REGISTRY],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        first = build_images([plans["ab"]], client=client)
        yield Built(client, plans, first, proc.stdout + proc.stderr)
    finally:
        _remove_images(client, images)


@pytest.fixture(scope="session")
def running(built: Built) -> Iterator[dict[str, str]]:
    """Every image running at once; node -> base URL (127.0.0.1, random port)."""
    params = {
        "pick": [{"name": "columns", "value": "0,1", "type": "STRING"}],
        "double": [{"name": "factor", "value": "2.0", "type": "FLOAT"}],
        "label": [{"name": "factor", "value": "10.0", "type": "FLOAT"}],
        "ab": [{"name": "ratio_a", "value": "0.0", "type": "FLOAT"}],
    }
    containers = []
    try:
        for node in ("pick", "double", "vote", "label", "ab"):
            containers.append(
                built.client.containers.run(
                    built.plans[node].image,
                    detach=True,
                    name=f"seldon-graphs-wrapper-test-{node}-{os.getpid()}",
                    ports={"9000/tcp": ("127.0.0.1", None)},
                    environment={
                        "PREDICTIVE_UNIT_ID": node,
                        "PREDICTIVE_UNIT_PARAMETERS": json.dumps(params.get(node, [])),
                        "GRPC_WORKERS": "0",
                    },
                )
            )
        urls = {}
        for node, container in zip(
            ("pick", "double", "vote", "label", "ab"), containers, strict=True
        ):
            container.reload()
            port = container.attrs["NetworkSettings"]["Ports"]["9000/tcp"][0]["HostPort"]
            urls[node] = f"http://127.0.0.1:{port}"
        for node, container in zip(urls, containers, strict=True):
            _wait_ready(urls[node], container)
        yield urls
    finally:
        for container in containers:
            container.remove(force=True)


def _wait_ready(url: str, container: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        container.reload()
        if container.status == "exited":
            break
        time.sleep(0.5)
    logs = container.logs(tail=30).decode(errors="replace")
    pytest.fail(f"{container.name} did not start:\n{logs}")


def _post(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_first_build_built_every_image(built: Built) -> None:
    assert "5 image(s), 5 built, 0 up to date" in built.cli_output
    assert [r.built for r in built.first] == [True]
    for plan in built.plans.values():
        image = built.client.images.get(plan.image)
        labels = image.labels
        assert labels["io.seldon-graphs.node"] == plan.node
        assert labels["org.opencontainers.image.created"] == "1970-01-01T00:00:00Z"
        assert image.attrs["Config"]["User"] == "8888"


def test_second_build_builds_nothing_and_is_fast(built: Built) -> None:
    start = time.monotonic()
    again = build_images(list(built.plans.values()), client=built.client)
    assert [r.built for r in again] == [False] * len(built.plans)
    assert time.monotonic() - start < 2.0


def test_nodes_with_the_same_requirements_share_the_requirements_layer(built: Built) -> None:
    def pip_layer(image: str) -> str:
        history = built.client.images.get(image).history()
        return str(next(h["Id"] for h in history if "pip install" in h["CreatedBy"]))

    layers = {pip_layer(p.image) for p in built.plans.values()}
    assert len(layers) == 1  # a different module (code) never reinstalls requirements


@pytest.mark.parametrize(
    ("node", "path", "body", "expected"),
    [
        (
            "pick",
            "/transform-input",
            {"data": {"names": ["a", "b", "c"], "ndarray": [[1, 2, 3]]}},
            {"names": ["a", "b"], "ndarray": [[1, 2]]},
        ),
        (
            "double",
            "/predict",
            {"data": {"ndarray": [[1.0, 2.0]]}},
            {"names": ["t:0", "t:1"], "ndarray": [[2.0, 4.0]]},
        ),
        (
            "vote",
            "/aggregate",
            [{"data": {"ndarray": [[1.0, 3.0]]}}, {"data": {"ndarray": [[3.0, 5.0]]}}],
            {"names": ["t:0", "t:1"], "ndarray": [[2.0, 4.0]]},
        ),
        (
            "label",
            "/transform-output",
            {"data": {"ndarray": [[1.0]]}},
            {"names": ["t:0"], "ndarray": [[10.0]]},
        ),
        ("ab", "/route", {"data": {"ndarray": [[1.0]]}}, {"names": ["t:0"], "ndarray": [[1]]}),
    ],
)
def test_each_role_answers_on_its_endpoint(
    running: dict[str, str], node: str, path: str, body: Any, expected: Any
) -> None:
    status, answer = _post(running[node] + path, body)
    assert status == 200, answer
    assert answer["data"] == expected


def test_user_class_sees_its_files_and_runs_as_8888(running: dict[str, str], built: Built) -> None:
    _, answer = _post(running["double"] + "/predict", {"data": {"ndarray": [[1.0]]}})
    assert answer["meta"]["tags"] == {"uid": 8888, "note": "doubled by seldon-graphs"}
    container = built.client.containers.list(filters={"name": "seldon-graphs-wrapper-test-double"})[
        0
    ]
    status = container.exec_run(["cat", "/proc/1/status"]).output.decode()
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1:] == ["8888"] * 4
    listing = container.exec_run(["ls", "-A", "/app"]).output.decode().split()
    assert sorted(listing) == sorted(
        [
            "doubler.py",
            "note.txt",
            "requirements.txt",
            "seldon_graphs_adapter.py",
            "seldon_graphs_entry.py",
        ]
    )  # no Dockerfile, .dockerignore or .s2i in the image


def test_failed_build_shows_the_step_and_the_log(built: Built) -> None:
    node = python_node("broken", requirements=("seldon-graphs-no-such-package==0.0.1",))
    spec = graph_spec(
        node, registry=REGISTRY, runtime=with_overrides(graph_spec(node), base_image=BASE).runtime
    )
    plan = plan_context(spec, node, Role.MODEL)
    try:
        with pytest.raises(BuildFailed) as failure:
            build_images([plan], client=built.client)
    finally:
        _remove_images(built.client, [plan.image])
    rendered = failure.value.render()
    assert "pip install" in failure.value.step
    assert "seldon-graphs-no-such-package" in rendered
    assert "returned a non-zero code" in rendered


@pytest.mark.slow
def test_bsl_runtime_1_18_builds_and_starts(built: Built) -> None:
    """1.18 keeps gunicorn 20.1, which imports pkg_resources: it must start, not only build."""
    node = python_node("bsl", files=("models/note.txt",))
    runtime = with_overrides(graph_spec(node), base_image=BASE, seldon_core="1.18.2").runtime
    plan = plan_context(graph_spec(node, registry=REGISTRY, runtime=runtime), node, Role.MODEL)
    container = None
    try:
        (result,) = build_images([plan], client=built.client)
        assert result.licence == "Business Source License 1.1"
        container = built.client.containers.run(
            plan.image,
            detach=True,
            name=f"seldon-graphs-wrapper-test-bsl-{os.getpid()}",
            ports={"9000/tcp": ("127.0.0.1", None)},
            environment={"GRPC_WORKERS": "0"},
        )
        container.reload()
        port = container.attrs["NetworkSettings"]["Ports"]["9000/tcp"][0]["HostPort"]
        _wait_ready(f"http://127.0.0.1:{port}", container)
        status, answer = _post(f"http://127.0.0.1:{port}/predict", {"data": {"ndarray": [[2.0]]}})
        assert status == 200, answer
        assert answer["data"]["ndarray"] == [[4.0]]
    finally:
        if container is not None:
            container.remove(force=True)
        _remove_images(built.client, [plan.image])
