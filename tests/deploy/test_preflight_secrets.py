"""Every way a SeldonDeployment's pods name a Secret is checked before anything is built or
applied: imagePullSecrets, env secretKeyRef (containers and initContainers), envFrom
secretRef and secret volumes; `optional: true` references are not required."""

from __future__ import annotations

from typing import Any

import pytest

from seldon_graphs.deploy import DeployError, DeployOptions, ImageTarget, Kube, Target, deploy
from seldon_graphs.deploy.preflight import referenced_secrets

from .conftest import sdep
from .fakeapi import FakeCluster
from .test_flow import graph_target


def _pull(pod: dict[str, Any], name: str) -> None:
    pod["imagePullSecrets"] = [{"name": name}]


def _env(pod: dict[str, Any], name: str, optional: bool = False) -> None:
    ref = {"name": name, "key": "token", **({"optional": True} if optional else {})}
    pod["containers"][1].setdefault("env", []).append(
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": ref}}
    )


def _init_env(pod: dict[str, Any], name: str) -> None:
    ref = {"name": name, "key": "token"}
    pod["initContainers"] = [
        {
            "name": "fetch",
            "image": "busybox",
            "env": [{"name": "T", "valueFrom": {"secretKeyRef": ref}}],
        }
    ]


def _env_from(pod: dict[str, Any], name: str, optional: bool = False) -> None:
    ref = {"name": name, **({"optional": True} if optional else {})}
    pod["containers"][0]["envFrom"] = [{"configMapRef": {"name": "cm"}}, {"secretRef": ref}]


def _volume(pod: dict[str, Any], name: str, optional: bool = False) -> None:
    ref = {"secretName": name, **({"optional": True} if optional else {})}
    pod["volumes"] = [
        {"name": "cfg", "configMap": {"name": "cm"}},
        {"name": "creds", "secret": ref},
    ]


REQUIRED = {
    "imagePullSecrets": _pull,
    "env secretKeyRef": _env,
    "initContainer env secretKeyRef": _init_env,
    "envFrom secretRef": _env_from,
    "secret volume": _volume,
}
OPTIONAL = {"env secretKeyRef": _env, "envFrom secretRef": _env_from, "secret volume": _volume}


def manifest_with(add: Any, name: str, **kw: Any) -> dict[str, Any]:
    manifest = sdep()
    add(manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"], name, **kw)
    return manifest


@pytest.mark.parametrize("add", REQUIRED.values(), ids=REQUIRED.keys())
def test_each_pod_reference_is_found(add: Any) -> None:
    assert list(referenced_secrets(manifest_with(add, "creds"))) == ["creds"]


@pytest.mark.parametrize("add", OPTIONAL.values(), ids=OPTIONAL.keys())
def test_optional_references_are_not_required(add: Any) -> None:
    assert list(referenced_secrets(manifest_with(add, "creds", optional=True))) == []


def test_all_at_once_with_the_graphs_own() -> None:
    manifest = sdep()
    pod = manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    for i, add in enumerate(REQUIRED.values()):
        add(pod, f"s{i}")
    manifest["spec"]["predictors"][0]["graph"]["children"][0]["envSecretRefName"] = "minio"
    assert sorted(referenced_secrets(manifest)) == ["minio", "s0", "s1", "s2", "s3", "s4"]


def _no_images(target: Target, dest: ImageTarget) -> None:
    raise AssertionError("the image step must not run when a secret is missing")


@pytest.mark.parametrize("add", REQUIRED.values(), ids=REQUIRED.keys())
def test_deploy_stops_before_anything_when_a_pod_secret_is_missing(
    kube: Kube, cluster: FakeCluster, add: Any
) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    target = graph_target(manifest_with(add, "creds"))
    with pytest.raises(DeployError) as err:
        deploy(kube, target, DeployOptions(), _no_images, print)
    assert err.value.message == (
        "the graph needs secret(s) 'creds' in namespace 'models', which do not exist"
    )
    assert len(cluster.requests("GET", "/api/v1/namespaces/models/secrets/creds$")) == 1
    assert cluster.requests("PATCH") == []
