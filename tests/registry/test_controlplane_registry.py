"""Registries against the real control plane (kube-apiserver with Seldon's CRD, see
tests/controlplane): `deploy --registry`'s pinned images survive the real CRD schema and
`diff` (a real server-side dry-run apply) compares digests, with the real engine and
registry; `secret create --docker-registry` makes a Secret the API server validates, which
preflight checks and every pod names."""

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

from .conftest import BASE, docker_config
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


def test_pull_secret_made_checked_and_compiled_in(
    plane: client.ApiClient, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real API server validates a kubernetes.io/dockerconfigjson Secret's content; the
    real CRD keeps imagePullSecrets."""
    graph = Path(__file__).parent / "graphs" / "private.yaml"
    args = [str(graph), "-n", namespace, "--no-build", "--wait", "0", *kube_args()]
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    docker_config(tmp_path, "other.example.com", "alice", "pw-cp-never-shown")
    made = cli("secret", "create", "registry-creds", "--docker-registry", "other.example.com",
               "-n", namespace, *kube_args())  # fmt: skip
    assert made.code == 0, made.err
    assert "pw-cp-never-shown" not in made.out + made.err
    stored = client.CoreV1Api(plane).read_namespaced_secret("registry-creds", namespace)
    assert stored.type == "kubernetes.io/dockerconfigjson"

    refused = cli("deploy", *args)
    assert refused.code == 1
    assert refused.err.startswith(
        "error: image pull secret: secret 'registry-creds' grants other.example.com, but the "
        "pod's images come from registry.example.com\n"
    )

    docker_config(tmp_path, "registry.example.com", "alice", "pw-cp-never-shown")
    remade = cli("secret", "create", "registry-creds", "--docker-registry",
                 "registry.example.com", "-n", namespace, *kube_args())  # fmt: skip
    assert remade.code == 0, remade.err
    deployed = cli("deploy", *args)
    assert deployed.code == 0, deployed.err
    sdep = get_sdep(plane, namespace, "private")
    assert sdep is not None
    pod = sdep["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "registry-creds"}]
