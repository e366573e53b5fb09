"""Storage secrets in the storage initializer's format: the AWS_* -> RCLONE_CONFIG_* conversion
`secret create` does, and the preflight that checks a secret holds what the initializer
image the operator runs (from `seldon-config`) reads. Values never appear in messages."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import api
from seldon_graphs.cli import main as cli
from seldon_graphs.deploy import DeployError, DeployOptions, Kube, deploy, load_target
from seldon_graphs.deploy.initializers import (
    DEFAULT_IMAGE,
    flavour,
    image_from_config_map,
    missing_keys,
    remote_of,
)
from seldon_graphs.deploy.secrets import RcloneOptions, rclone_form
from tests.helpers import REPO

from .fakeapi import FakeCluster

SECRET = "s3cr3t-never-shown"
AWS = {"AWS_ACCESS_KEY_ID": "minio", "AWS_SECRET_ACCESS_KEY": SECRET}
S3 = "RCLONE_CONFIG_S3_"


def rclone(**extra: str) -> dict[str, str]:
    return {
        S3 + "TYPE": "s3",
        S3 + "PROVIDER": "Minio",
        S3 + "ENV_AUTH": "false",
        S3 + "ACCESS_KEY_ID": "minio",
        S3 + "SECRET_ACCESS_KEY": SECRET,
        **extra,
    }


@pytest.mark.parametrize(
    ("endpoint", "use_ssl", "expected"),
    [
        ("minio-service.kubeflow.svc:9000", "false", "http://minio-service.kubeflow.svc:9000"),
        ("minio-service.kubeflow.svc:9000", "False", "http://minio-service.kubeflow.svc:9000"),
        ("minio-service.kubeflow.svc:9000", "0", "http://minio-service.kubeflow.svc:9000"),
        ("minio.example.com", "true", "https://minio.example.com"),
        ("minio.example.com", None, "https://minio.example.com"),
        ("http://minio:9000", "false", "http://minio:9000"),
        ("http://minio:9000", None, "http://minio:9000"),
        ("https://minio:9000", "1", "https://minio:9000"),
    ],
)
def test_endpoint_and_use_ssl_become_one_rclone_endpoint(
    endpoint: str, use_ssl: str | None, expected: str
) -> None:
    given = {**AWS, "AWS_ENDPOINT_URL": endpoint}
    if use_ssl is not None:
        given["USE_SSL"] = use_ssl
    assert rclone_form(given, RcloneOptions()) == rclone(**{S3 + "ENDPOINT": expected})


def test_without_an_endpoint_the_provider_is_aws_and_the_region_is_kept() -> None:
    given = {**AWS, "AWS_DEFAULT_REGION": "eu-west-1"}
    out = rclone_form(given, RcloneOptions())
    assert out == rclone(**{S3 + "PROVIDER": "AWS", S3 + "REGION": "eu-west-1"})


def test_keep_aws_keys_writes_both_forms_and_other_keys_pass_through() -> None:
    given = {**AWS, "AWS_ENDPOINT_URL": "http://m:9000", "USE_SSL": "false", "EXTRA": "x"}
    out = rclone_form(given, RcloneOptions(keep_aws=True))
    assert out == {**rclone(**{S3 + "ENDPOINT": "http://m:9000"}), **given}


@pytest.mark.parametrize("remote", ["minio", "minio://", "MinIO:"])
def test_the_remote_names_the_keys(remote: str) -> None:
    out = rclone_form(AWS, RcloneOptions(remote=remote, provider="Other"))
    assert sorted(out) == sorted(k.replace("_S3_", "_MINIO_") for k in rclone())
    assert out["RCLONE_CONFIG_MINIO_PROVIDER"] == "Other"


def test_rclone_input_passes_unchanged() -> None:
    assert rclone_form(rclone(), RcloneOptions()) == rclone()


@pytest.mark.parametrize(
    ("given", "options", "message"),
    [
        ({"AWS_ACCESS_KEY_ID": "minio"}, RcloneOptions(), "lacks AWS_SECRET_ACCESS_KEY"),
        ({"AWS_SECRET_ACCESS_KEY": SECRET}, RcloneOptions(), "lacks AWS_ACCESS_KEY_ID"),
        ({**AWS, S3 + "TYPE": "s3"}, RcloneOptions(), f"both AWS_* keys and {S3}TYPE given"),
        (
            {**AWS, "AWS_ENDPOINT_URL": "https://m", "USE_SSL": "false"},
            RcloneOptions(),
            "USE_SSL contradicts the scheme of AWS_ENDPOINT_URL",
        ),
        (AWS, RcloneOptions(remote="s3 bucket"), "invalid rclone remote 's3 bucket'"),
    ],
)
def test_conversion_errors_name_keys_never_values(
    given: dict[str, str], options: RcloneOptions, message: str
) -> None:
    with pytest.raises(DeployError) as err:
        rclone_form(given, options)
    assert message in str(err.value)
    assert SECRET not in str(err.value) + (err.value.hint or "")


# --- what each initializer reads ------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "remote"),
    [("s3://b/p", "s3"), ("s3:b/p", "s3"), ("gs://b/p", "gs"), ("minio://b", "minio")],
)
def test_remote_is_the_uri_scheme(uri: str, remote: str) -> None:
    assert remote_of(uri) == remote


@pytest.mark.parametrize("uri", ["pvc://claim/path", "file:///models", "/mnt/models", "models"])
def test_nothing_downloaded_needs_no_keys(uri: str) -> None:
    assert remote_of(uri) is None
    assert missing_keys(DEFAULT_IMAGE, uri, {}) == []


@pytest.mark.parametrize(
    ("image", "uri", "secret", "missing"),
    [
        (DEFAULT_IMAGE, "s3://b/p", {}, [S3 + "TYPE"]),
        (
            DEFAULT_IMAGE,
            "s3://b/p",
            {S3 + "TYPE": "s3"},
            [S3 + "ACCESS_KEY_ID", S3 + "SECRET_ACCESS_KEY"],
        ),
        (DEFAULT_IMAGE, "s3://b/p", {S3 + "TYPE": "s3", S3 + "ENV_AUTH": "true"}, []),
        (DEFAULT_IMAGE, "s3://b/p", rclone(), []),
        (DEFAULT_IMAGE, "s3://b/p", AWS, [S3 + "TYPE"]),
        (DEFAULT_IMAGE, "gs://b/p", {}, []),  # the image configures anonymous GCS itself
        (DEFAULT_IMAGE, "minio://b/p", rclone(), ["RCLONE_CONFIG_MINIO_TYPE"]),
        ("docker.io/seldonio/rclone-storage-initializer:latest", "s3://b", AWS, [S3 + "TYPE"]),
        ("gcr.io/kfserving/storage-initializer:v0.4.0", "s3://b/p", rclone(), list(AWS)),
        ("gcr.io/kfserving/storage-initializer:v0.4.0", "s3://b/p", AWS, []),
        (
            "kserve/storage-initializer:v0.11.0",
            "s3://b/p",
            {"AWS_ACCESS_KEY_ID": "k"},
            ["AWS_SECRET_ACCESS_KEY"],
        ),
        ("gcr.io/kfserving/storage-initializer:v0.4.0", "gs://b/p", {}, []),
        ("example.com/my-own-initializer:1", "s3://b/p", {}, []),  # unknown: not guessed
    ],
)
def test_missing_keys_per_initializer(
    image: str, uri: str, secret: dict[str, str], missing: list[str]
) -> None:
    assert missing_keys(image, uri, secret) == missing


@pytest.mark.parametrize(
    ("data", "image"),
    [
        (None, DEFAULT_IMAGE),
        ({}, DEFAULT_IMAGE),
        (
            {"storageInitializer": '{"image":"gcr.io/kfserving/storage-initializer:v0.4.0"}'},
            "gcr.io/kfserving/storage-initializer:v0.4.0",
        ),
        ({"storageInitializer": "not json"}, DEFAULT_IMAGE),
        ({"storageInitializer": '["a list"]'}, DEFAULT_IMAGE),
    ],
)
def test_image_from_config_map(data: dict[str, str] | None, image: str) -> None:
    assert image_from_config_map(data) == image
    assert flavour(image).value in ("rclone", "kfserving")


# --- preflight against the (fake) API server ---------------------------------------------------


def _secret(values: dict[str, str]) -> dict[str, Any]:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return {"metadata": {"name": "minio"}, "data": data}


def _config(image: str) -> dict[str, Any]:
    data = {"storageInitializer": json.dumps({"image": image, "cpuRequest": "100m"})}
    return {"metadata": {"name": "seldon-config", "namespace": "seldon-system"}, "data": data}


def _deploy(kube: Kube, cluster: FakeCluster) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    target = load_target(str(REPO / "graphs" / "income.yaml"), api.load).placed(None, "models")
    deploy(kube, target, DeployOptions(wait=0), lambda t, d: None, lambda s: None)


def test_the_walkthroughs_secret_is_refused_before_anything_is_built(
    kube: Kube, cluster: FakeCluster
) -> None:
    cluster.secrets[("models", "minio")] = _secret({**AWS, "AWS_ENDPOINT_URL": "http://m:9000"})
    with pytest.raises(DeployError) as err:
        _deploy(kube, cluster)
    assert str(err.value).splitlines() == [
        f"secret 'minio' lacks {S3}TYPE, which the storage initializer {DEFAULT_IMAGE} reads "
        f"to download s3://models/income/{node} (node {node}); its AWS_* keys are the "
        "kfserving format, which rclone ignores"
        for node in ("gb", "lr")
    ]
    assert "seldon-graphs secret create NAME --namespace models" in (err.value.hint or "")
    assert SECRET not in str(err.value) + (err.value.hint or "")
    assert cluster.sdeps == {}  # nothing applied


def test_a_kfserving_initializer_in_seldon_config_wants_the_aws_keys(
    kube: Kube, cluster: FakeCluster
) -> None:
    cluster.config_maps[("seldon-system", "seldon-config")] = _config(
        "gcr.io/kfserving/storage-initializer:v0.4.0"
    )
    cluster.secrets[("models", "minio")] = _secret(rclone())
    with pytest.raises(DeployError, match="lacks AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"):
        _deploy(kube, cluster)
    cluster.secrets[("models", "minio")] = _secret(AWS)
    _deploy(kube, cluster)
    assert ("models", "income") in cluster.sdeps


@pytest.mark.parametrize("config_map", ["absent", "forbidden", "rclone"])
def test_rclone_secret_passes_whatever_we_learn_of_the_operator(
    kube: Kube, cluster: FakeCluster, config_map: str
) -> None:
    if config_map == "forbidden":
        cluster.deny.add("get configmaps")
    if config_map == "rclone":
        cluster.config_maps[("seldon-system", "seldon-config")] = _config(DEFAULT_IMAGE)
    cluster.secrets[("models", "minio")] = _secret(rclone())
    _deploy(kube, cluster)
    assert len(cluster.requests("GET", "configmaps/seldon-config$")) == 1
    assert len(cluster.requests("GET", "secrets/minio$")) == 1


def test_secret_create_output_passes_preflight(
    kube: Kube,
    cluster: FakeCluster,
    kubeconfig: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in {**AWS, "AWS_ENDPOINT_URL": "minio:9000", "USE_SSL": "false"}.items():
        monkeypatch.setenv(key, value)
    argv = ["secret", "create", "minio", "-n", "models", "--kubeconfig", str(kubeconfig)]
    assert cli([*argv, "--from-env", ",".join([*AWS, "AWS_ENDPOINT_URL", "USE_SSL"])]) == 0
    assert SECRET not in "".join(capsys.readouterr())
    _deploy(kube, cluster)
    assert ("models", "income") in cluster.sdeps
