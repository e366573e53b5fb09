"""Pushing through the real Docker engine to real registries on 127.0.0.1.

Every graph in graphs/ is built and pushed with the CLI (`build --push --registry
127.0.0.1:PORT/team`) to the registry with basic auth, logged in the way `docker login`
does; the registry's own HTTP API then shows it holds exactly those images. A graph with
code of its own is pushed, removed from the engine, pulled back by digest and run. The
registry is stopped under a push, and a proxy drops the engine's connections, to show the
bounded retries. In CI (CI=true) a missing engine or registry fails; elsewhere they skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from seldon_graphs import api
from seldon_graphs.deployment import is_deployment_file
from seldon_graphs.registry import Credentials
from seldon_graphs.settings import Flags
from seldon_graphs.wrapper.context import plan_graph
from seldon_graphs.wrapper.images import (
    BuildResult,
    ContextPlan,
    PushFailed,
    build_images,
    smoke_run,
)
from tests.helpers import REPO

from .conftest import BASE, USER, docker_config
from .projects import unique_abtest
from .servers import DroppingProxy, Registry, registry

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CLI = (sys.executable, "-m", "seldon_graphs.cli")
WRAPPED = [
    g
    for g in sorted((REPO / "graphs").glob("*.yaml"))
    if not is_deployment_file(g) and api.load(g).contexts
]


def run_cli(*argv: str, docker_config_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELDON_GRAPHS_")}
    env["DOCKER_CONFIG"] = str(docker_config_dir)
    return subprocess.run(
        [*CLI, *argv], capture_output=True, text=True, env=env, cwd=REPO, timeout=1800, check=False
    )


def pushed_lines(stdout: str) -> dict[str, tuple[str, str]]:
    """node -> (tagged image, pinned image) from `build`'s summary lines."""
    rows = [line.split("\t") for line in stdout.splitlines() if line.count("\t") == 2]
    return {node: (image, pinned) for node, image, pinned in rows}


@dataclass
class Pushed:
    graph: Path
    code: int
    out: str
    err: str
    images: dict[str, tuple[str, str]]


@pytest.fixture(scope="session")
def base_image() -> str:
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    return BASE


@pytest.fixture(scope="session")
def login(tmp_path_factory: pytest.TempPathFactory, auth_registry: Registry, password: str) -> Path:
    folder = tmp_path_factory.mktemp("docker-login")
    docker_config(folder, auth_registry.host, USER, password)
    return folder


@pytest.fixture(scope="session")
def every_graph(
    engine: Any, base_image: str, auth_registry: Registry, login: Path
) -> Iterator[list[Pushed]]:
    results = []
    prefix = f"{auth_registry.host}/team"
    for graph in WRAPPED:
        argv = ("build", str(graph), "--push", "--registry", prefix, "--base-image", base_image)
        proc = run_cli(*argv, docker_config_dir=login)
        results.append(Pushed(graph, proc.returncode, proc.stdout, proc.stderr, {}))
        results[-1].images = pushed_lines(proc.stdout)
    yield results
    for pushed in results:
        for image, _ in pushed.images.values():
            engine.images.remove(image)  # untags: the content may be shared with other tags


def test_every_graphs_images_are_pushed_and_pinned(every_graph: list[Pushed]) -> None:
    assert [p.graph.stem for p in every_graph] == ["abtest", "bandit", "income", "iris"]
    for pushed in every_graph:
        assert pushed.code == 0, pushed.err
        wanted = sorted(p.node for p in api.load(pushed.graph).contexts)
        assert sorted(pushed.images) == wanted
        for node, (image, pinned) in pushed.images.items():
            repository = image.rsplit(":", 1)[0]
            assert (
                pinned.startswith(f"{repository}@sha256:")
                and len(pinned) == len(repository) + len("@sha256:") + 64
            )
            assert f"[{node}] pushed {pinned}: " in pushed.err or (
                f"[{node}] {pinned} is already in the registry: nothing to push" in pushed.err
            )


def _registry_get(registry: Registry, path: str, password: str, accept: str = "") -> Any:
    headers = {"Accept": accept} if accept else {}
    answer = requests.get(
        f"http://{registry.host}{path}", auth=(USER, password), headers=headers, timeout=30
    )
    answer.raise_for_status()
    return answer


def test_the_registry_holds_exactly_the_images_that_were_built(
    every_graph: list[Pushed], engine: Any, auth_registry: Registry, password: str
) -> None:
    """A manifest's config digest is the image ID: same config, same layers, same image."""
    for pushed in every_graph:
        for image, pinned in pushed.images.values():
            repository, digest = pinned.split("@")
            path = repository.split("/", 1)[1]
            manifest = _registry_get(
                auth_registry,
                f"/v2/{path}/manifests/{digest}",
                password,
                "application/vnd.docker.distribution.manifest.v2+json",
            )
            assert manifest.headers["Docker-Content-Digest"] == digest
            assert manifest.json()["config"]["digest"] == engine.images.get(image).id


def test_layers_the_registry_has_are_skipped_and_said_so(every_graph: list[Pushed]) -> None:
    """abtest, pushed first, already put the base layers there, so each of bandit's four
    nodes finds them: `[node] layer ...: already in the registry, skipped`."""
    bandit = next(p for p in every_graph if p.graph.stem == "bandit")
    lines = bandit.err.splitlines()
    skipped = [line for line in lines if line.endswith(": already in the registry, skipped")]
    nodes = {line.split("]")[0].lstrip("[") for line in skipped}
    assert nodes == set(bandit.images), bandit.err


def test_pushing_again_pushes_nothing(every_graph: list[Pushed], login: Path) -> None:
    abtest = next(p for p in every_graph if p.graph.stem == "abtest")
    registry_prefix = abtest.images["current"][0].rsplit("/", 1)[0]
    argv = ("build", str(abtest.graph), "--push", "--registry", registry_prefix)
    again = run_cli(*argv, "--base-image", BASE, docker_config_dir=login)
    assert again.returncode == 0, again.stderr
    assert pushed_lines(again.stdout) == abtest.images
    for node, (_, pinned) in abtest.images.items():
        assert f"[{node}] {pinned} is already in the registry: nothing to push" in again.stderr
    assert ": pushed" not in again.stderr


def test_no_password_in_any_output_or_log(
    every_graph: list[Pushed], auth_registry: Registry, password: str
) -> None:
    encoded = Credentials(USER, password).auth()
    for pushed in every_graph:
        assert password not in pushed.out + pushed.err
        assert encoded not in pushed.out + pushed.err
    log = "\n".join(auth_registry.log)
    assert password not in log and encoded not in log


# --- pulled back by digest, and run -----------------------------------------------------------


def test_an_image_pulled_back_by_digest_is_the_one_that_was_built(
    engine: Any,
    base_image: str,
    auth_registry: Registry,
    login: Path,
    password: str,
    tmp_path: Path,
) -> None:
    from docker.errors import ImageNotFound

    graph, marker = unique_abtest(tmp_path / "project")
    prefix = f"{auth_registry.host}/team"
    pushed = run_cli(
        "build", str(graph), "--push", "--registry", prefix, "--base-image", base_image,
        docker_config_dir=login,
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.err
    image, pinned = pushed_lines(pushed.stdout)["current"]
    built = engine.images.get(image)
    built_id, lock = built.id, built.labels["io.seldon-graphs.lock"]
    for other, _ in pushed_lines(pushed.stdout).values():
        engine.images.remove(other)
    with pytest.raises(ImageNotFound):
        engine.images.get(built_id)  # a clean engine: this content is gone

    pulled = engine.images.pull(pinned, auth_config={"username": USER, "password": password})
    try:
        assert pulled.id == built_id
        assert pulled.labels["io.seldon-graphs.lock"] == lock
        out = engine.containers.run(
            pinned,
            ["python3", "-I", "-c", "import sys; sys.path.append('/app'); import models; "
             "print(models.MARKER)"],
            remove=True,
            network_mode="none",
        )  # fmt: skip
        assert out.decode().strip() == marker
        plan = _plan(graph, prefix, base_image, "current")
        assert smoke_run(engine, pinned, plan, network_mode="none") == (lock.split(" "), "")
    finally:
        engine.images.remove(built_id, force=True)


def _plan(graph: Path, prefix: str, base_image: str, node: str) -> ContextPlan:
    loaded = api.load(graph, Flags(registry=prefix, base_image=base_image))
    return next(p for p in plan_graph(loaded.spec, loaded.tree) if p.node == node)


# --- failures: before the build, and transient ones during the push ---------------------------


def test_a_wrong_password_stops_the_build_before_anything_is_built(
    engine: Any, auth_registry: Registry, password: str, tmp_path: Path
) -> None:
    from docker.errors import ImageNotFound

    graph, _ = unique_abtest(tmp_path / "project")
    config = docker_config(tmp_path / "docker", auth_registry.host, USER, password + "-typo")
    prefix = f"{auth_registry.host}/team"
    failed = run_cli(
        "build", str(graph), "--push", "--registry", prefix, "--base-image", BASE,
        docker_config_dir=config.parent,
    )  # fmt: skip
    assert failed.returncode == 1
    assert failed.stderr == (
        f"error: registry {auth_registry.host} refused the credentials from {config} (wrong "
        "user name or password, or no access)\n"
        f"help: log in again (`docker login {auth_registry.host}`) or fix --registry-auth-file\n"
    )
    for plan in plan_graph(*_loaded(graph, prefix)):
        with pytest.raises(ImageNotFound):
            engine.images.get(plan.image)
    assert password not in failed.stdout + failed.stderr


def _loaded(graph: Path, prefix: str) -> tuple[Any, Any]:
    loaded = api.load(graph, Flags(registry=prefix, base_image=BASE))
    return loaded.spec, loaded.tree


class Recorder:
    """A Progress that records every line, and runs `on_begin` / `on_retry` at those events."""

    def __init__(self, on_begin: Any = None, on_retry: Any = None) -> None:
        self.lines: list[str] = []
        self.on_begin, self.on_retry = on_begin, on_retry

    def begin(self, plan: ContextPlan, cached: bool) -> None:
        if self.on_begin:
            self.on_begin()

    def step(self, plan: ContextPlan, line: str) -> None:
        self.lines.append(line)

    def output(self, plan: ContextPlan, line: str) -> None:
        pass

    def note(self, plan: ContextPlan, line: str) -> None:
        self.lines.append(line)
        if "trying again" in line and self.on_retry:
            self.on_retry()

    def end(self, result: BuildResult) -> None:
        pass


@pytest.fixture
def tagged(engine: Any, every_graph: list[Pushed]) -> Iterator[Any]:
    """`tag(prefix)`: abtest's `current` image, built already, under another registry prefix:
    the same content tag, so nothing is built again."""
    abtest = next(p for p in every_graph if p.graph.stem == "abtest")
    source = abtest.images["current"][0]
    made: list[str] = []

    def tag(prefix: str) -> ContextPlan:
        plan = _plan(abtest.graph, prefix, BASE, "current")
        engine.images.get(source).tag(plan.image)
        made.append(plan.image)
        return plan

    yield tag
    for image in made:
        engine.images.remove(image)


def test_a_registry_that_goes_away_during_the_push_is_tried_again(
    engine: Any, tagged: Any, tmp_path: Path
) -> None:
    """Stopped after the check (as the build begins), started again when the retry is
    announced: the second attempt pushes."""
    with registry(tmp_path / "registry") as flaky:
        plan = tagged(f"{flaky.host}/team")
        progress = Recorder(on_begin=flaky.stop, on_retry=flaky.start)
        (result,) = build_images([plan], client=engine, push=True, progress=progress)
    assert result.pushed and result.digest.startswith("sha256:")
    (retry,) = [line for line in progress.lines if "trying again" in line]
    assert retry == (
        f"pushing {plan.image}: no registry answers at {flaky.host}: connection refused; "
        "trying again in 1s (1/3)"
    )
    assert progress.lines[-1].startswith(f"pushed {plan.repository}@{result.digest}: ")


def test_dropped_connections_are_tried_again_a_bounded_number_of_times(
    engine: Any, tagged: Any, plain_registry: Registry
) -> None:
    proxy = DroppingProxy(plain_registry.host)
    try:
        plan = tagged(f"{proxy.host}/team")

        def arm(count: int) -> Any:
            return lambda: setattr(proxy, "drop", proxy.dropped + count)

        progress = Recorder(on_begin=arm(2))
        (result,) = build_images([plan], client=engine, push=True, progress=progress)
        assert result.pushed and proxy.dropped == 2
        retries = [line for line in progress.lines if "trying again" in line]
        assert [line.split("; ")[-1] for line in retries] == [
            "trying again in 1s (1/3)",
            "trying again in 2s (2/3)",
        ]
        assert retries[0] == (
            f'pushing {plan.image}: pushing {plan.image} failed: Get "http://{proxy.host}/v2/": '
            "EOF; trying again in 1s (1/3)"
        )

        engine.images.get(plan.image).tag(plan.repository, "other")
        other = _retagged(plan, "other")
        with pytest.raises(PushFailed) as failure:
            build_images([other], client=engine, push=True, progress=Recorder(on_begin=arm(3)))
        assert failure.value.message == (
            f'pushing {other.image} failed: Get "http://{proxy.host}/v2/": EOF (tried 3 times)'
        )
        assert failure.value.hint == "the registry or the network failed; try again later"
        engine.images.remove(other.image)
    finally:
        proxy.close()


def _retagged(plan: ContextPlan, tag: str) -> ContextPlan:
    from dataclasses import replace

    return replace(plan, image=f"{plan.repository}:{tag}")


def test_a_tag_holding_another_image_is_kept_unless_forced(
    engine: Any, tagged: Any, tmp_path: Path
) -> None:
    """Another machine pushed other content under our tag first (simulated by pushing
    another image under it from here, then restoring our tag locally)."""
    with registry(tmp_path / "registry") as shared:
        plan = tagged(f"{shared.host}/team")
        ours = engine.images.get(plan.image)
        base = engine.images.get(BASE)
        base.tag(plan.repository, plan.tag)  # the other machine's content under our tag
        for record in engine.api.push(plan.repository, tag=plan.tag, stream=True, decode=True):
            assert "error" not in record, record
        theirs = _digest(shared, plan)
        ours.tag(plan.repository, plan.tag)
        (kept,) = build_images([plan], client=engine, push=True)
        assert (kept.pushed, kept.digest, _digest(shared, plan)) == (False, theirs, theirs)
        assert kept.warning.startswith(
            f"the registry already has {plan.image} ({theirs}), pushed from elsewhere; it is "
            "kept, not overwritten"
        )
        (forced,) = build_images([plan], client=engine, push=True, force=True)
        assert forced.pushed and forced.digest == _digest(shared, plan) != theirs


def _digest(served: Registry, plan: ContextPlan) -> str:
    path = plan.repository.split("/", 1)[1]
    answer = requests.head(
        f"http://{served.host}/v2/{path}/manifests/{plan.tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=30,
    )
    return str(answer.headers["Docker-Content-Digest"])


def test_the_cli_summary_names_the_pinned_images(every_graph: list[Pushed]) -> None:
    income = next(p for p in every_graph if p.graph.stem == "income")
    summary = income.out.splitlines()
    # lr and gb are generated server images (server_image: generated), built like the rest
    assert summary[0] == "5 image(s), 5 built, 0 up to date"
    assert [line.split("\t")[0] for line in summary[1:]] == [
        "label",
        "features",
        "vote",
        "lr",
        "gb",
    ]


def test_pushing_to_a_token_registry(
    engine: Any, tagged: Any, token_registry: Registry, password: str, tmp_path: Path
) -> None:
    """The engine and our check both get their tokens from the registry's token service."""
    plan = tagged(f"{token_registry.host}/team")
    config = docker_config(tmp_path, token_registry.host, USER, password)
    (result,) = build_images([plan], client=engine, push=True, auth_file=config)
    assert result.pushed and result.digest.startswith("sha256:")
    (again,) = build_images([plan], client=engine, push=True, auth_file=config)
    assert (again.pushed, again.digest) == (False, result.digest)
