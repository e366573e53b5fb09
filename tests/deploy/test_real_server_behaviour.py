"""What the real kube-apiserver does that the fake did not: its answers (NamespaceLifecycle's
403, server-side apply's 500 for a wrong type), copied in shape from kube-apiserver 1.30, and
foreground deletion. tests/controlplane/ shows each against the real server; these keep them
covered where it is not running."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kubernetes.client.exceptions import ApiException

from seldon_graphs.deploy import Kube
from seldon_graphs.deploy.errors import (
    Cause,
    DeployError,
    ForbiddenError,
    RejectedError,
    WaitTimeout,
)
from seldon_graphs.deploy.flow import DeployOptions, deploy
from seldon_graphs.deploy.target import Target
from seldon_graphs.deploy.translate import from_api
from seldon_graphs.deploy.wait import wait_gone

from .conftest import FakeClock, sdep
from .fakeapi import FakeCluster


def _exc(code: int, body: dict[str, object]) -> ApiException:
    exc = ApiException(status=code, reason="x")
    exc.body = json.dumps(body)
    return exc


TERMINATING = {
    "kind": "Status",
    "status": "Failure",
    "message": 'seldondeployments.machinelearning.seldon.io "s" is forbidden: unable to create '
    "new content in namespace models because it is being terminated",
    "reason": "Forbidden",
    "details": {
        "name": "s",
        "group": "machinelearning.seldon.io",
        "kind": "seldondeployments",
        "causes": [
            {
                "reason": "NamespaceTerminating",
                "message": "namespace models is being terminated",
                "field": "metadata.namespace",
            }
        ],
    },
    "code": 403,
}


def test_terminating_namespace_is_not_forbidden() -> None:
    err = from_api(_exc(403, TERMINATING), "apply SeldonDeployment models/s", "https://x")
    assert not isinstance(err, ForbiddenError)
    assert err.message == (
        "cannot apply SeldonDeployment models/s: namespace models is being deleted, and nothing "
        "new may be created in it until it is gone"
    )
    assert err.hint is not None and "Role" not in err.hint


def test_plain_403_keeps_the_rbac_hint() -> None:
    body = {**TERMINATING, "details": {"name": "s"}, "message": 'User "dev" cannot patch'}
    err = from_api(_exc(403, body), "apply x", "https://x")
    assert isinstance(err, ForbiddenError)
    assert err.hint is not None and "Role" in err.hint


def test_typed_patch_500_becomes_field_causes() -> None:
    message = (
        "failed to create typed patch object (models/s; machinelearning.seldon.io/v1, "
        "Kind=SeldonDeployment): errors:\n  .spec.replicas: expected numeric (int or float), "
        "got string\n  .spec.predictors[0].graph.name: expected string, got number"
    )
    body = {"kind": "Status", "message": message, "code": 500}
    err = from_api(_exc(500, body), "apply SeldonDeployment models/s", "https://x")
    assert isinstance(err, RejectedError)
    assert err.causes == (
        Cause("spec.replicas", None, "expected numeric (int or float), got string"),
        Cause("spec.predictors[0].graph.name", None, "expected string, got number"),
    )


def test_other_500_stays_a_server_error() -> None:
    body = {"kind": "Status", "message": "etcdserver: request timed out", "code": 500}
    err = from_api(_exc(500, body), "apply x", "https://x")
    assert not isinstance(err, RejectedError)
    assert err.message == (
        "the API server at https://x answered 500 while trying to apply x: "
        "etcdserver: request timed out"
    )


def test_deploy_refuses_a_seldondeployment_being_deleted(kube: Kube, cluster: FakeCluster) -> None:
    """A foreground delete leaves the object, marked, until its dependents are gone; an apply
    then would update it and vanish with it (seen on the real control plane)."""
    live = sdep()
    live["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.sdeps[("models", "test")] = live
    with pytest.raises(DeployError) as err:
        deploy(kube, Target(Path("x.yaml"), sdep()), DeployOptions(), _no_images, print)
    assert err.value.message == (
        "SeldonDeployment models/test is being deleted; deploying now would update the object "
        "that is about to disappear"
    )
    assert err.value.hint == (
        "wait until `kubectl -n models get sdep test` says NotFound, then deploy again"
    )


def _no_images(*_: object) -> None:
    raise AssertionError("no image step after a failed check")


def test_wait_gone_times_out_naming_the_finalizers(kube: Kube, cluster: FakeCluster) -> None:
    cluster.sdeps[("models", "test")] = sdep()
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as err:
        wait_gone(kube, "models", "test", timeout=5, clock=clock)
    assert err.value.message == "models/test is still being deleted after 5s"
    assert err.value.hint == (
        "`kubectl -n models get sdep test -o yaml` shows what holds it (metadata.finalizers)"
    )
    assert clock.now == 5.0
    del cluster.sdeps[("models", "test")]
    wait_gone(kube, "models", "test", timeout=5, clock=clock)  # returns at once
    assert clock.now == 5.0


def test_wait_gone_polls_every_half_second_for_a_minute(kube: Kube, cluster: FakeCluster) -> None:
    cluster.sdeps[("models", "test")] = sdep()
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as err:
        wait_gone(kube, "models", "test", clock=clock)
    assert err.value.message == "models/test is still being deleted after 60s"
    assert clock.sleeps == [0.5] * 120
