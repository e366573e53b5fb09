"""The exact words of the two content checks deploy's preflight makes on secrets that exist, and
the cases that decide them (they kill the mutants `make mutation` found surviving in
deploy/preflight.py): an image pull secret must be a Docker config granting a registry the
pod's images come from; a model's storage secret must hold the keys its storage initializer
reads. A secret RBAC hides (resourceNames) is skipped without hiding the next one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from seldon_graphs.deploy import DeployError, Kube
from seldon_graphs.deploy.initializers import DEFAULT_IMAGE
from seldon_graphs.deploy.preflight import preflight

from .conftest import sdep
from .fakeapi import FakeCluster

KFSERVING = "gcr.io/kfserving/storage-initializer:v0.4.0"
PULL_HINT = (
    "recreate it with `seldon-graphs secret create NAME --namespace models --docker-registry "
    "REGISTRY` (from your `docker login`)"
)
KEYS_HINT = (
    "recreate it with `seldon-graphs secret create NAME --namespace models --from-env "
    "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_ENDPOINT_URL,USE_SSL`: it writes the "
    "RCLONE_CONFIG_<REMOTE>_* keys (add --keep-aws-keys for a kfserving-style initializer)"
)


def _store(cluster: FakeCluster, name: str, values: dict[str, str]) -> None:
    cluster.add_secret("models", name, values)


def _docker_config(*hosts: str) -> dict[str, str]:
    return {".dockerconfigjson": json.dumps({"auths": {h: {"auth": "eDp5"} for h in hosts}})}


def _refusal(kube: Kube, manifest: dict[str, Any]) -> DeployError:
    with pytest.raises(DeployError) as err:
        preflight(kube, manifest)
    return err.value


@pytest.fixture
def models(cluster: FakeCluster) -> FakeCluster:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    return cluster


# --- image pull secrets -------------------------------------------------------------------------


def _pod(images: list[str], pulls: list[str]) -> dict[str, Any]:
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    return {"spec": {"containers": containers, "imagePullSecrets": [{"name": n} for n in pulls]}}


def _with_pods(*pods: dict[str, Any]) -> dict[str, Any]:
    manifest = sdep()
    manifest["spec"]["predictors"][0]["componentSpecs"] = list(pods)
    return manifest


def test_every_wrong_pull_secret_of_every_pod_is_named_once(
    kube: Kube, models: FakeCluster
) -> None:
    _store(models, "other", _docker_config("c.example.com", "d.example.com"))
    _store(models, "empty", _docker_config())
    _store(models, "plain", {"token": "x"})
    _store(models, "good", _docker_config("quay.io"))
    models.deny.add("get secrets/hidden")
    two_registries = ["registry.example.com/m:1", "quay.io/x/y:2"]
    pulls = ["hidden", "other", "empty", "plain", "good"]
    err = _refusal(
        kube,
        _with_pods(
            _pod(two_registries, pulls),
            _pod(two_registries, pulls),  # the same problems again are not repeated
            _pod(["registry.example.com/m:1"], ["other"]),
        ),
    )
    assert err.message == "image pull secret: " + "; ".join(
        [
            "secret 'empty' grants no registry, but the pod's images come from quay.io, "
            "registry.example.com",
            "secret 'other' grants c.example.com, d.example.com, but the pod's images come "
            "from quay.io, registry.example.com",
            "secret 'other' grants c.example.com, d.example.com, but the pod's images come "
            "from registry.example.com",
            "secret 'plain' holds no .dockerconfigjson",
        ]
    )
    assert err.hint == PULL_HINT


def test_a_pull_secret_granting_one_of_the_registries_passes(
    kube: Kube, models: FakeCluster
) -> None:
    _store(models, "good", _docker_config("https://index.docker.io/v1/", "quay.io"))
    manifest = _with_pods(_pod(["seldonio/mock:1", "registry.example.com/m:1"], ["good"]))
    assert preflight(kube, manifest) is True


def test_a_secret_that_may_not_be_read_is_left_to_the_kubelet(
    kube: Kube, models: FakeCluster
) -> None:
    models.deny.add("get secrets/hidden")
    assert preflight(kube, _with_pods(_pod(["registry.example.com/m:1"], ["hidden"]))) is True


# --- storage secrets ----------------------------------------------------------------------------


def _downloading(manifest: dict[str, Any], unit: dict[str, Any], secret: str, uri: str) -> None:
    unit["modelUri"] = uri
    unit["envSecretRefName"] = secret


def _chain() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Seldon's tin-model-tout, its units in the order preflight visits them."""
    manifest = sdep()
    root = manifest["spec"]["predictors"][0]["graph"]
    middle = root["children"][0]
    return manifest, [root, middle, middle["children"][0]]


def test_every_unit_lacking_keys_is_named_after_one_that_may_not_be_read(
    kube: Kube, models: FakeCluster
) -> None:
    manifest, (root, middle, model) = _chain()
    models.deny.add("get secrets/hidden")
    _downloading(manifest, root, "hidden", "s3://models/a")
    _downloading(manifest, middle, "typed", "minio://models/b")
    _downloading(manifest, model, "half", "s3://models/c")
    _store(models, "typed", {"RCLONE_CONFIG_S3_TYPE": "s3"})  # the wrong remote
    _store(models, "half", {"RCLONE_CONFIG_S3_TYPE": "s3", "RCLONE_CONFIG_S3_ENV_AUTH": "no"})
    err = _refusal(kube, manifest)
    assert err.message.splitlines() == [
        f"secret 'typed' lacks RCLONE_CONFIG_MINIO_TYPE, which the storage initializer "
        f"{DEFAULT_IMAGE} reads to download minio://models/b (node input-transformer)",
        f"secret 'half' lacks RCLONE_CONFIG_S3_ACCESS_KEY_ID, RCLONE_CONFIG_S3_SECRET_ACCESS_KEY, "
        f"which the storage initializer {DEFAULT_IMAGE} reads to download s3://models/c "
        "(node model)",
    ]
    assert err.hint == KEYS_HINT


def test_the_kfserving_format_note_is_for_an_rclone_initializer_only(
    kube: Kube, models: FakeCluster
) -> None:
    manifest, (root, _, model) = _chain()
    _downloading(manifest, model, "aws-half", "s3://models/m")
    _store(models, "aws-half", {"AWS_ACCESS_KEY_ID": "minio"})
    root["storageInitializerImage"] = KFSERVING  # another unit's image is not this one's
    model["storageInitializerImage"] = KFSERVING
    assert _refusal(kube, manifest).message == (
        f"secret 'aws-half' lacks AWS_SECRET_ACCESS_KEY, which the storage initializer "
        f"{KFSERVING} reads to download s3://models/m (node model)"
    )
    del model["storageInitializerImage"]
    _store(models, "aws-half", {"USE_SSL": "false"})
    assert _refusal(kube, manifest).message.endswith(
        "(node model); its AWS_* keys are the kfserving format, which rclone ignores"
    )
    _store(models, "aws-half", {"RCLONE_CONFIG_S3_ENV_AUTH": "true"})
    assert _refusal(kube, manifest).message == (
        f"secret 'aws-half' lacks RCLONE_CONFIG_S3_TYPE, which the storage initializer "
        f"{DEFAULT_IMAGE} reads to download s3://models/m (node model)"
    )


def test_units_that_download_nothing_or_name_no_secret_are_not_checked(
    kube: Kube, models: FakeCluster
) -> None:
    manifest, (root, middle, model) = _chain()
    root["envSecretRefName"] = "env-only"  # a secret for the node's own environment
    _store(models, "env-only", {"TOKEN": "x"})
    middle["modelUri"] = "s3://models/public"
    model["modelUri"] = "pvc://claim/model"
    assert preflight(kube, manifest) is True
    assert models.requests("GET", "/configmaps/") == []  # nothing asked of the operator
