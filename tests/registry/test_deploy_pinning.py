"""`deploy --registry R` pushes, then applies a manifest whose wrapper images are pinned by
the registry's digests; `compile` stays tag-based; `diff` shows the digest change when code
changes.

Real: the Docker engine, the registry (Debian's docker-registry with basic auth, logged in
through DOCKER_CONFIG) and the `kubernetes` client. The API server is tests/deploy/fakeapi.py,
which stores what is applied and answers dry runs as the real one does for these objects:
the real control plane (tests/controlplane) is brought up by `make controlplane-up`, which
this test does not depend on.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
import requests
from docker.errors import ImageNotFound

from seldon_graphs import api
from seldon_graphs.settings import Flags
from tests.deploy.fakeapi import FakeCluster

from .conftest import BASE, USER, cli
from .projects import change_code, unique_abtest
from .servers import Registry

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _images(manifest: dict[str, Any]) -> dict[str, str]:
    (pod,) = manifest["spec"]["predictors"][0]["componentSpecs"]
    return {c["name"]: c["image"] for c in pod["spec"]["containers"]}


def _digest(served: Registry, password: str, image: str) -> str:
    repository, tag = image.rsplit(":", 1)
    answer = requests.head(
        f"http://{served.host}/v2/{repository.split('/', 1)[1]}/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        auth=(USER, password),
        timeout=30,
    )
    answer.raise_for_status()
    return f"{repository}@{answer.headers['Docker-Content-Digest']}"


def test_deploy_pins_pushed_images_and_diff_shows_new_code(
    engine: Any,
    auth_registry: Registry,
    password: str,
    logged_in: Path,
    cluster: FakeCluster,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    graph, _ = unique_abtest(tmp_path / "project")
    prefix = f"{auth_registry.host}/team"
    # A kind context: without --registry deploy would kind-load; with it, it pushes.
    kube = ("--kubeconfig", str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    flags = ("--registry", prefix, "--base-image", BASE)
    made: list[str] = []
    try:
        tagged = _images(api.load(graph, Flags(registry=prefix, base_image=BASE)).manifest())
        made += tagged.values()
        assert cli("deploy", str(graph), *flags, "--wait", "0", *kube) == 0
        applied = _images(cluster.sdeps[("models", "abtest")])
        assert applied == {n: _digest(auth_registry, password, i) for n, i in tagged.items()}
        assert all("@sha256:" in image and ":" not in image.split("/")[-1].split("@")[0]
                   for image in applied.values())  # fmt: skip

        # compile is unchanged: tags, the same bytes every time
        compiled = [api.load(graph, Flags(registry=prefix, base_image=BASE)) for _ in range(2)]
        assert compiled[0].manifest_yaml() == compiled[1].manifest_yaml()
        assert _images(compiled[0].manifest()) == tagged

        capsys.readouterr()
        assert cli("diff", str(graph), *flags, *kube) == 0
        assert capsys.readouterr().out == "models/abtest: no differences\n"

        change_code(graph, "changed")
        new = _images(api.load(graph, Flags(registry=prefix, base_image=BASE)).manifest())
        made += new.values()
        assert cli("diff", str(graph), *flags, *kube) == 1
        out = capsys.readouterr().out
        changed = [line for line in out.splitlines() if line.startswith(("-  ", "+  "))]
        assert changed == [
            f"-        - image: {applied['current']}",
            f"+        - image: {new['current']}",  # not pushed yet: its tag
            f"-        - image: {applied['candidate']}",
            f"+        - image: {new['candidate']}",
        ], out

        assert cli("deploy", str(graph), *flags, "--wait", "0", *kube) == 0
        redeployed = _images(cluster.sdeps[("models", "abtest")])
        assert redeployed == {n: _digest(auth_registry, password, i) for n, i in new.items()}
        assert set(redeployed.values()).isdisjoint(applied.values())
        capsys.readouterr()
        assert cli("diff", str(graph), *flags, *kube) == 0
        assert capsys.readouterr().out == "models/abtest: no differences\n"
        assert password not in str(cluster.sdeps) + str([s.body for s in cluster.seen])
    finally:
        for image in made:
            with contextlib.suppress(ImageNotFound):
                engine.images.remove(image, force=True)


def test_deploy_without_build_applies_tags(
    cluster: FakeCluster, tmp_path: Path, auth_registry: Registry
) -> None:
    """--no-build: the images are already where the cluster pulls; nothing is asked of a
    registry, and the manifest names them by tag."""
    graph, _ = unique_abtest(tmp_path / "project")
    prefix = f"{auth_registry.host}/team"
    kube = ("--kubeconfig", str(cluster.kubeconfig(tmp_path / "kubeconfig", context="shared")))
    argv = ("deploy", str(graph), "--registry", prefix, "--no-build", "--wait", "0", *kube)
    assert cli(*argv) == 0
    applied = _images(cluster.sdeps[("models", "abtest")])
    assert all(
        image.startswith(f"{prefix}/abtest-") and "@" not in image for image in applied.values()
    )
