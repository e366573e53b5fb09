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
from seldon_graphs.settings import Flags
from seldon_graphs.spec import Role
from seldon_graphs.wrapper.context import ContextPlan, plan_context, plan_graph
from seldon_graphs.wrapper.images import (
    BuildFailed,
    BuildResult,
    PushFailed,
    SmokeFailed,
    build_images,
    docker_client,
)
from tests.helpers import configured

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
    spec = configured(graph.spec, base_image=BASE, registry=REGISTRY)
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
    # Nothing built is the proof; the bound (a rebuild takes minutes) only catches an
    # accidental full context upload, loosely so that a loaded machine cannot fail it.
    assert time.monotonic() - start < 15.0


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
    # this run's container: other runs on the same engine use the same name prefix
    container = built.client.containers.get(f"seldon-graphs-wrapper-test-double-{os.getpid()}")
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
            "seldon_graphs_init.py",
            "seldon_graphs_launch.py",
        ]
    )  # no Dockerfile, .dockerignore or .s2i in the image


def test_failed_build_shows_the_step_and_the_log(built: Built) -> None:
    node = python_node("broken", requirements=("seldon-graphs-no-such-package==0.0.1",))
    spec = graph_spec(
        node, registry=REGISTRY, runtime=configured(graph_spec(node), base_image=BASE).runtime
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
    runtime = configured(graph_spec(node), base_image=BASE, seldon_core="1.18.2").runtime
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


# --- containers that behave ------------------------------------------------------------------


def _start(built: Built, node: str, environment: dict[str, str]) -> tuple[Any, str]:
    container = built.client.containers.run(
        built.plans[node].image,
        detach=True,
        name=f"seldon-graphs-wrapper-test-stop-{node}-{os.getpid()}-{time.monotonic_ns()}",
        ports={"9000/tcp": ("127.0.0.1", None)},
        environment=environment,
    )
    container.reload()
    port = container.attrs["NetworkSettings"]["Ports"]["9000/tcp"][0]["HostPort"]
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url, container)
    return container, url


@pytest.mark.parametrize(
    "environment",
    [
        {},  # the image's own settings: a REST graph, no gRPC server
        {"GRPC_WORKERS": "1"},  # a gRPC server process too, as in a gRPC graph's image
        {"GRPC_WORKERS": "2", "GUNICORN_WORKERS": "3"},
    ],
    ids=["rest", "grpc", "grpc-2-rest-3"],
)
def test_docker_stop_is_quick_and_exits_0(built: Built, environment: dict[str, str]) -> None:
    # Exit code 0 is the proof that SIGTERM ended it: the SIGKILL docker sends after the
    # 10 s grace period would give 137. The time bound only catches a shutdown that dawdles
    # most of the grace period away; it is loose so a loaded machine cannot fail it.
    container, _ = _start(built, "double", environment)
    try:
        start = time.monotonic()
        container.stop(timeout=10)
        took = time.monotonic() - start
        container.reload()
        assert container.attrs["State"]["ExitCode"] == 0
        assert took < 8.0, f"docker stop took {took:.1f}s"
    finally:
        container.remove(force=True)


@pytest.mark.parametrize("signal", ["SIGINT", "SIGTERM"])
def test_other_stop_signals_also_end_the_container_cleanly(built: Built, signal: str) -> None:
    container, _ = _start(built, "vote", {"GRPC_WORKERS": "1"})
    try:
        container.kill(signal=signal)
        assert container.wait(timeout=10)["StatusCode"] == 0
    finally:
        container.remove(force=True)


def _sh(container: Any, script: str) -> tuple[int, str]:
    result = container.exec_run(["sh", "-c", script])
    return int(result.exit_code), result.output.decode().strip()


def test_the_user_has_a_writable_home_and_tmp_and_read_only_code(built: Built) -> None:
    container, _ = _start(built, "label", {})
    try:
        assert _sh(container, "id -u; echo $HOME") == (0, "8888\n/home/seldon")
        assert (
            _sh(container, 'mkdir -p "$HOME/.cache/x" && touch "$HOME/.cache/x/y" /tmp/z')[0] == 0
        )
        for target in ("/app/doubler.py", "/app/new-file", "/app/seldon_graphs_entry.py"):
            code, output = _sh(container, f"touch {target}")
            assert code != 0 and "Permission denied" in output, target
        assert _sh(container, "stat -c %U:%a /app /app/doubler.py") == (0, "root:755\nroot:644")
        # gunicorn 20.1 imports pkg_resources: setuptools stays, and is importable
        assert _sh(container, "python3 -c 'import gunicorn.util, pkg_resources'")[0] == 0
    finally:
        container.remove(force=True)


# --- one tag, one content --------------------------------------------------------------------


def test_images_carry_the_lock_of_what_pip_installed_and_the_base_id(built: Built) -> None:
    from seldon_graphs.wrapper.images import BASE_ID_LABEL, LOCK_LABEL

    base_id = built.client.images.get(BASE).id
    for plan in built.plans.values():
        image = built.client.images.get(plan.image)
        assert image.labels[BASE_ID_LABEL] == base_id == plan.base_id
        lock = image.labels[LOCK_LABEL].split(" ")
        assert "seldon-core==1.17.1" in lock
        assert any(item.startswith("setuptools==") for item in lock)
        assert not any(item.startswith("pip==") for item in lock)
    output = built.client.containers.run(
        built.plans["double"].image, ["cat", "/opt/venv/requirements.lock"], remove=True
    )
    image = built.client.images.get(built.plans["double"].image)
    assert output.decode().split() == image.labels[LOCK_LABEL].split(" ")


def test_the_tag_covers_the_base_image_id_so_a_moved_base_tag_gives_a_new_tag(
    built: Built,
) -> None:
    from seldon_graphs.settings import base_image_id
    from seldon_graphs.spec import Runtime
    from seldon_graphs.wrapper.context import image_tag

    moving = f"{REGISTRY}/base:moving-{os.getpid()}"
    node = python_node()
    spec = graph_spec(node, registry=REGISTRY, runtime=Runtime(base_image=moving))
    built.client.images.get(BASE).tag(moving)
    try:
        base_image_id.cache_clear()
        before = plan_context(spec, node, Role.MODEL)
        built.client.images.get(built.plans["vote"].image).tag(moving)  # the tag moves
        base_image_id.cache_clear()
        after = plan_context(spec, node, Role.MODEL)
    finally:
        built.client.images.remove(moving)
        base_image_id.cache_clear()
    assert before.digest == after.digest  # the same files...
    assert before.tag != after.tag  # ...on another base: another tag
    assert before.base_id == built.client.images.get(BASE).id
    assert after.tag == image_tag(
        after.digest, built.client.images.get(built.plans["vote"].image).id
    )
    unresolved = plan_context(spec, node, Role.MODEL, base_id="")
    assert unresolved.tag == unresolved.digest[:12]  # no engine has the base: the text only


def test_a_push_whose_registry_cannot_be_asked_fails_cleanly(built: Built) -> None:
    """Where no registry answers, the push fails before anything else (the pushes that
    succeed run against a real registry: tests/registry/)."""
    node = python_node()
    runtime = configured(graph_spec(node), base_image=BASE).runtime
    plan = plan_context(
        graph_spec(node, registry="127.0.0.1:9/sg-test", runtime=runtime), node, Role.MODEL
    )
    built.client.images.get(built.plans["double"].image).tag(plan.image)
    try:
        with pytest.raises(PushFailed) as failure:
            build_images([plan], client=built.client, push=True)
    finally:
        _remove_images(built.client, [plan.image])
    assert str(failure.value) == "no registry answers at 127.0.0.1:9: connection refused"


# --- large files -----------------------------------------------------------------------------


def test_large_files_get_their_own_layer_below_the_code(built: Built, tmp_path: Path) -> None:
    from seldon_graphs.spec import PythonRef

    (tmp_path / "data").mkdir()
    weights = bytes(range(256)) * 8192  # 2 MiB
    (tmp_path / "data" / "weights.bin").write_bytes(weights)
    (tmp_path / "data" / "small.txt").write_text("small\n")
    source = (REPO / "tests/wrapper/fixtures/project/models/doubler.py").read_text()
    (tmp_path / "note.txt").write_text("note\n")
    (tmp_path / "data" / "odd [1] *?.txt").write_text("odd\n")  # COPY sources are patterns
    (tmp_path / "a*.txt").write_text("star\n")
    (tmp_path / "ab.txt").write_text("not copied: only a*.txt is listed\n")
    node = python_node(
        "big", python=PythonRef("model.py", "Doubler"), files=("data", "note.txt", "a*.txt")
    )
    runtime = configured(graph_spec(node), base_image=BASE).runtime
    plans = []
    for comment in ("# one\n", "# two\n"):
        (tmp_path / "model.py").write_text(comment + source)
        spec = graph_spec(node, root=tmp_path, registry=REGISTRY, runtime=runtime)
        plans.append(plan_context(spec, node, Role.MODEL))
    try:
        build_images(plans, client=built.client)
        images = [built.client.images.get(p.image) for p in plans]
        layers = [set(i.attrs["RootFS"]["Layers"]) for i in images]
        sizes = [h["Size"] for h in reversed(images[1].history()) if h["Size"]]  # oldest first
        listing = built.client.containers.run(
            plans[1].image,
            ["sh", "-c", "wc -c data/weights.bin data/small.txt; ls /app /app/data"],
            remove=True,
        ).decode()
    finally:
        _remove_images(built.client, [p.image for p in plans])
    data = next(i for i, size in enumerate(sizes) if 2**21 <= size < 2**21 + 65536)
    code = sizes[data + 1 :]  # the top-level files, then the `data` folder's small file
    assert len(code) == 2 and all(size < 20_000 for size in code)
    # a comment change rebuilt the two code layers above the data layer, and only them
    assert len(layers[0] & layers[1]) == len(layers[0]) - 2 == len(layers[1]) - 2
    assert listing.split()[:4] == ["2097152", "data/weights.bin", "6", "data/small.txt"]
    assert "\na*.txt\n" in listing and "ab.txt" not in listing
    assert "\nodd [1] *?.txt\n" in listing


# --- fail at build, not at container start ---------------------------------------------------

GOOD_CLASS = "class Model:\n    def __init__(self, factor=1.0):\n        self.factor = factor\n\n"
GOOD_CLASS += "    def predict(self, X, names):\n        return X\n"


@pytest.mark.parametrize(
    ("module", "source", "params", "error", "hint"),
    [
        ("notclass", "Model = 5\n", (), "notclass.Model is int, not a class", "must name a class"),
        ("code", GOOD_CLASS, (), "`import code` loads /usr/lib/python3.11/code.py", "rename code"),
        (
            "flask",
            GOOD_CLASS,
            (),
            "`import flask` loads /opt/venv/lib/python3.11/site-packages/",
            "",
        ),
        (
            "needs",
            "import torch\n" + GOOD_CLASS,
            (),
            "ModuleNotFoundError: No module named 'torch' (needs.py:1)",
            "provides `torch`",
        ),
        (
            "params",
            GOOD_CLASS,
            (("threshold", 0.5, "FLOAT"),),
            "the parameters do not fit Model.__init__: got an unexpected keyword argument "
            "'threshold'",
            "`params` must match",
        ),
        (
            "required",
            GOOD_CLASS.replace("factor=1.0", "factor"),
            (),
            "the parameters do not fit Model.__init__: missing a required argument: 'factor'",
            "`params` must match",
        ),
        (
            "raises",
            GOOD_CLASS.replace("self.factor = factor", "raise ValueError('no model file')"),
            (),
            "ValueError: no model file (raises.py:3)",
            "",
        ),
        ("noclass", "class Other:\n    pass\n", (), "noclass.Model is NoneType, not a class", ""),
    ],
)
def test_a_node_that_would_crash_at_start_fails_its_build(
    built: Built,
    tmp_path: Path,
    module: str,
    source: str,
    params: tuple[tuple[str, Any, str], ...],
    error: str,
    hint: str,
) -> None:
    from seldon_graphs.spec import Param, PythonRef

    (tmp_path / f"{module}.py").write_text(source)
    node = python_node(
        "smoke",
        python=PythonRef(f"{module}.py", "Model"),
        params=tuple(Param(*p) for p in params),
    )
    runtime = configured(graph_spec(node), base_image=BASE).runtime
    plan = plan_context(
        graph_spec(node, root=tmp_path, registry=REGISTRY, runtime=runtime), node, Role.MODEL
    )
    try:
        with pytest.raises(SmokeFailed) as failure:
            build_images([plan], client=built.client)
        assert _image_absent(built.client, plan.image)  # no tag for an image that would crash
    finally:
        _remove_images(built.client, [plan.image])
    text = failure.value.render()
    assert text.startswith("error: graph.yaml:1:1: node smoke: the image builds but the server")
    assert error in text
    assert hint in text


def _image_absent(client: Any, image: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.images.get(image)
    except ImageNotFound:
        return True
    return False


def test_build_cli_reports_a_crashing_node_at_its_graph_line(built: Built, tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "model.py").write_text(GOOD_CLASS)
    graph = tmp_path / "graph.yaml"
    graph.write_text(
        "name: smoke\nnodes:\n"
        "  ok: {python: models/model.py:Model}\n"
        "  bad: {python: models/model.py:Model, params: {factor: 2.0, colour: red}}\n"
        "flow: ok -> bad\n"
    )
    proc = subprocess.run(
        [*CLI, "build", str(graph), "--base-image", BASE, "--registry", REGISTRY],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    images = [line.split("\t")[1] for line in proc.stdout.splitlines() if line.startswith("ok\t")]
    plans = {
        p.node: p.image
        for p in plan_graph(api.load(graph, Flags(REGISTRY, BASE)).spec, api.load(graph).tree)
    }
    _remove_images(built.client, [*images, *plans.values()])
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (
        "error: graph.yaml:4:3: node bad: the image builds but the server would not start: "
        "the parameters do not fit Model.__init__: got an unexpected keyword argument 'colour'"
    ) in proc.stderr
    assert "help: the node's `params` must match the class's __init__ parameters" in proc.stderr


# --- the image compile names is the image build makes ----------------------------------------


@pytest.mark.parametrize("source", ["flag", "env", "toml", "graph"])
def test_build_compile_and_deploy_agree_for_every_settings_source(
    built: Built, tmp_path: Path, source: str
) -> None:
    import shutil

    import yaml

    from seldon_graphs.deploy.target import load_target

    project = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, project)
    graph = project / "graph.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELDON_GRAPHS_")}
    argv: list[str] = []
    if source == "flag":
        argv = ["--registry", REGISTRY, "--base-image", BASE]
    elif source == "env":
        env |= {"SELDON_GRAPHS_REGISTRY": REGISTRY, "SELDON_GRAPHS_BASE_IMAGE": BASE}
    elif source == "toml":
        (project / "seldon-graphs.toml").write_text(
            f'[images]\nregistry = "{REGISTRY}"\nbase_image = "{BASE}"\n'
        )
    else:
        graph.write_text(
            graph.read_text() + f"registry: {REGISTRY}\nruntime: {{base_image: {BASE}}}\n"
        )

    def cli(*args: str) -> str:
        proc = subprocess.run(
            [*CLI, *args], capture_output=True, text=True, check=False, env=env, cwd=project
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    built_images = dict(
        line.split("\t") for line in cli("build", str(graph), *argv).splitlines() if "\t" in line
    )
    manifest = yaml.safe_load(cli("compile", str(graph), "--stdout", *argv))
    containers = manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    compiled = {c["name"]: c["image"] for c in containers}
    assert built_images == compiled == {p: built.plans[p].image for p in compiled}
    # deploy loads the graph the same way, with its own flags; the environment is the test's
    if source in ("flag", "graph"):
        from seldon_graphs.settings import Flags

        flags = Flags(REGISTRY, BASE) if source == "flag" else Flags()
        target = load_target(graph, lambda file: api.load(file, flags))
        spec = target.manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
        assert {c["name"]: c["image"] for c in spec["containers"]} == compiled


def test_check_smoke_tests_an_image_that_is_up_to_date(built: Built) -> None:
    """Parameters are not part of the tag: `check` catches a params-only mistake."""
    import dataclasses

    plan = built.plans["double"]
    scale = '[{"name": "scale", "value": "2", "type": "INT"}]'
    wrong = dataclasses.replace(plan, smoke=dataclasses.replace(plan.smoke, parameters=scale))
    (result,) = build_images([wrong], client=built.client)  # up to date: not run
    assert not result.built
    with pytest.raises(SmokeFailed, match="unexpected keyword argument 'scale'"):
        build_images([wrong], client=built.client, check=True)
    (checked,) = build_images([plan], client=built.client, check=True)
    assert not checked.built


ENV_CLASS = GOOD_CLASS.replace(
    "self.factor = factor", "import os\n        self.key = os.environ['MODEL_KEY']"
)


def _env_plan(tmp_path: Path, **node_kw: Any) -> ContextPlan:
    from seldon_graphs.spec import PythonRef

    (tmp_path / "envmodel.py").write_text(ENV_CLASS)
    node = python_node("envs", python=PythonRef("envmodel.py", "Model"), **node_kw)
    runtime = configured(graph_spec(node), base_image=BASE).runtime
    spec = graph_spec(node, root=tmp_path, registry=REGISTRY, runtime=runtime)
    return plan_context(spec, node, Role.MODEL)


def test_the_smoke_run_sees_the_nodes_plain_env(built: Built, tmp_path: Path) -> None:
    plan = _env_plan(tmp_path, env=(("MODEL_KEY", "public-value"),))
    try:
        (result,) = build_images([plan], client=built.client)
    finally:
        _remove_images(built.client, [plan.image])
    assert result.built and result.warning == ""


def test_a_class_that_needs_cluster_secrets_is_kept_with_a_warning(
    built: Built, tmp_path: Path
) -> None:
    """A secret exists only in the cluster: failing the build for it would block every
    class that reads one in __init__; an error in loading (above) still fails."""
    from seldon_graphs.spec import SecretEnv

    plan = _env_plan(tmp_path, secret_env=(SecretEnv("MODEL_KEY", "keys", "model"),))
    try:
        (result,) = build_images([plan], client=built.client)
        kept = not _image_absent(built.client, plan.image)
    finally:
        _remove_images(built.client, [plan.image])
    assert result.built and kept
    assert result.warning == (
        "graph.yaml:1:1: node envs: its class could not be built here (KeyError: 'MODEL_KEY' "
        "(envmodel.py:4)); it uses MODEL_KEY, which only the cluster provides, so the image "
        "is kept: check the node's log after deploying"
    )
    no_secret = _env_plan(tmp_path)  # the same class without the secret: an error
    try:
        with pytest.raises(SmokeFailed, match="KeyError: 'MODEL_KEY'"):
            build_images([no_secret], client=built.client)
    finally:
        _remove_images(built.client, [no_secret.image])
