"""Answers of the real kube-apiserver that the fake cannot produce, translated: the bodies are
copied in shape from kube-apiserver 1.30 (NamespaceLifecycle admission, server-side apply's
type check). tests/controlplane/ shows the same against the real server."""

from __future__ import annotations

import json

from kubernetes.client.exceptions import ApiException

from seldon_graphs.deploy.errors import Cause, ForbiddenError, RejectedError
from seldon_graphs.deploy.translate import from_api


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
