"""`deploy --registry` against the real control plane (kube-apiserver with Seldon's CRD, see
tests/controlplane): the pinned images survive the real CRD schema, and `diff` (a real
server-side dry-run apply) compares digests. The engine and the registry are real too."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from docker.errors import ImageNotFound
from kubernetes import client

from seldon_graphs import api
from seldon_graphs.settings import Flags
from tests.controlplane.conftest import cli, get_sdep, kube_args, namespace, plane

from .conftest import BASE
from .projects import change_code, unique_abtest
from .servers import Registry

pytestmark = [pytest.mark.controlplane, pytest.mark.docker, pytest.mark.slow]
__all__ = ["namespace", "plane"]  # fixtures, used by name


def _images(manifest: dict[str, Any]) -> dict[str, str]:
    (pod,) = manifest["spec"]["predictors"][0]["componentSpecs"]
    return {c["name"]: c["image"] for c in pod["spec"]["containers"]}


def test_deploy_pins_by_digest_and_diff_sees_new_code(
    plane: client.ApiClient,
    namespace: str,
    engine: Any,
    auth_registry: Registry,
    logged_in: Path,
    tmp_path: Path,
) -> None:
    graph, _ = unique_abtest(tmp_path / "project")
    prefix = f"{auth_registry.host}/team"
    args = [str(graph), "-n", namespace, "--registry", prefix, "--base-image", BASE, *kube_args()]
    tagged = _images(api.load(graph, Flags(registry=prefix, base_image=BASE)).manifest())
    made = list(tagged.values())
    try:
        deployed = cli("deploy", *args, "--wait", "0")
        assert deployed.code == 0, deployed.err
        stored = get_sdep(plane, namespace, "abtest")
        assert stored is not None
        pinned = _images(stored)
        assert sorted(pinned) == ["candidate", "current"]
        for node, image in pinned.items():
            repository = tagged[node].rsplit(":", 1)[0]
            assert image.startswith(f"{repository}@sha256:") and f"pushed {image}: " in deployed.err

        same = cli("diff", *args)
        assert (same.code, same.out) == (0, f"{namespace}/abtest: no differences\n")

        change_code(graph, "changed")
        new = _images(api.load(graph, Flags(registry=prefix, base_image=BASE)).manifest())
        made += new.values()
        changed = cli("diff", *args)
        assert changed.code == 1
        lines = [ln for ln in changed.out.splitlines() if ln.startswith(("-  ", "+  "))]
        assert lines == [
            f"-        - image: {pinned['current']}",
            f"+        - image: {new['current']}",
            f"-        - image: {pinned['candidate']}",
            f"+        - image: {new['candidate']}",
        ]
    finally:
        for image in made:
            with contextlib.suppress(ImageNotFound):
                engine.images.remove(image, force=True)
