"""The checks deploy makes before building anything, case by case (they kill the mutants
`make mutation` found surviving in deploy/preflight.py): the exact refusal for each denied
verb, which denials matter when the namespace exists, secrets that may not be read, and
every secret a graph names in any position."""

from __future__ import annotations

from typing import Any

import pytest

from seldon_graphs.deploy import DeployError, DeployOptions, ForbiddenError, Kube, deploy
from seldon_graphs.deploy.preflight import referenced_secrets

from .conftest import FakeClock, sdep
from .fakeapi import FakeCluster
from .test_flow import Images, graph_target, run

ACCESS_HINT = (
    "ask a cluster admin for a Role and RoleBinding granting these verbs "
    "(or use another --context / --namespace)"
)


def _no_images(*_: Any) -> None:
    raise AssertionError("the image step must not run when a cheap check fails")


def _refusal(kube: Kube, manifest: dict[str, Any] | None = None) -> DeployError:
    with pytest.raises(DeployError) as err:
        deploy(kube, graph_target(manifest), DeployOptions(), _no_images, print)
    return err.value


@pytest.mark.parametrize(
    ("denied", "what"),
    [
        ({"get seldondeployments"}, "get seldondeployments.machinelearning.seldon.io"),
        ({"create seldondeployments"}, "create seldondeployments.machinelearning.seldon.io"),
        (
            {"get seldondeployments", "patch seldondeployments"},
            "get seldondeployments.machinelearning.seldon.io in namespace models, "
            "patch seldondeployments.machinelearning.seldon.io",
        ),
    ],
)
def test_each_denied_verb_is_named_exactly(
    kube: Kube, cluster: FakeCluster, denied: set[str], what: str
) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.deny = denied
    err = _refusal(kube)
    assert isinstance(err, ForbiddenError)
    assert err.message == (
        f"forbidden: with context 'kind-seldon' you may not {what} in namespace models"
    )
    assert err.hint == ACCESS_HINT
    assert cluster.requests("PATCH") == []


def test_creating_the_missing_namespace_is_asked_for_without_a_group(
    kube: Kube, cluster: FakeCluster
) -> None:
    cluster.deny = {"create namespaces"}
    err = _refusal(kube)
    assert err.message == "forbidden: with context 'kind-seldon' you may not create namespaces"


def test_creating_namespaces_is_not_needed_when_the_namespace_exists(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.deny = {"create namespaces"}
    endpoint, said, _ = run(kube, graph_target(), clock, Images())
    assert said[-1] == "models/test is Available" and endpoint.service == "test-test"
    assert cluster.requests("PATCH", "/api/v1/namespaces/models$") == []


def test_secrets_that_may_not_be_read_do_not_stop_the_deploy(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    manifest = sdep()
    manifest["spec"]["predictors"][0]["graph"]["envSecretRefName"] = "minio"
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.deny = {"get secrets"}
    _, said, _ = run(kube, graph_target(manifest), clock)
    assert len(cluster.requests("GET", "/api/v1/namespaces/models/secrets/minio$")) == 1
    assert said[-1] == "models/test is Available"


def test_in_a_new_namespace_every_secret_is_missing_without_asking(
    kube: Kube, cluster: FakeCluster
) -> None:
    manifest = sdep()
    graph = manifest["spec"]["predictors"][0]["graph"]
    graph["envSecretRefName"] = "zeta"
    graph["children"][0]["envSecretRefName"] = "alpha"
    graph["children"][0]["children"][0]["envSecretRefName"] = "zeta"
    err = _refusal(kube, manifest)
    assert err.message == (
        "the graph needs secret(s) 'alpha', 'zeta' in namespace 'models', which do not exist"
    )
    assert err.hint == (
        "create each with `seldon-graphs secret create alpha --namespace models "
        "--from-env AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_ENDPOINT_URL,USE_SSL` "
        "(or --from-file FILE)"
    )
    assert cluster.requests("GET", "/secrets/") == []


def test_only_the_missing_secrets_are_named(kube: Kube, cluster: FakeCluster) -> None:
    manifest = sdep()
    graph = manifest["spec"]["predictors"][0]["graph"]
    graph["envSecretRefName"] = "present"
    graph["children"][0]["envSecretRefName"] = "absent"
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.secrets[("models", "present")] = {"metadata": {"name": "present"}, "data": {}}
    err = _refusal(kube, manifest)
    assert err.message == (
        "the graph needs secret(s) 'absent' in namespace 'models', which do not exist"
    )


def test_references_without_a_name_or_explicitly_required_are_told_apart() -> None:
    manifest = sdep()
    pod = manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    pod["imagePullSecrets"] = [{"name": ""}, {}, {"name": "pull"}]
    pod["containers"][0]["env"] = [
        {"name": "A", "value": "plain"},
        {"name": "B", "valueFrom": {"secretKeyRef": {"name": "env", "optional": False}}},
        {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "cm"}}},
    ]
    pod["containers"][1]["envFrom"] = [{"secretRef": {"name": "from", "optional": False}}]
    pod["volumes"] = [{"name": "v", "secret": {"secretName": "vol", "optional": False}}]
    assert list(referenced_secrets(manifest)) == ["pull", "env", "from", "vol"]


def test_every_predictor_and_component_is_searched() -> None:
    manifest = sdep()
    predictor = manifest["spec"]["predictors"][0]
    second_component = {"spec": {"imagePullSecrets": [{"name": "second"}]}}
    predictor["componentSpecs"].append(second_component)
    canary = {"name": "canary", "graph": {"name": "m", "envSecretRefName": "canary"}}
    manifest["spec"]["predictors"].append(canary)
    assert sorted(referenced_secrets(manifest)) == ["canary", "second"]


def test_a_manifest_without_predictors_names_no_secret() -> None:
    assert list(referenced_secrets({"spec": {}})) == []
    assert list(referenced_secrets({})) == []
    assert list(referenced_secrets({"spec": {"predictors": [{"componentSpecs": [None]}]}})) == []


def test_access_is_asked_for_the_resources_deploy_will_touch(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    run(kube, graph_target(), clock, Images())
    asked = [
        s.body["spec"]["resourceAttributes"]
        for s in cluster.requests("POST", "selfsubjectaccessreviews$")
    ]
    sdeps = {"group": "machinelearning.seldon.io", "resource": "seldondeployments"}
    assert sorted(asked, key=lambda a: (a["resource"], a["verb"])) == [
        {"group": "", "verb": "create", "resource": "namespaces"},
        {"group": "", "verb": "patch", "resource": "namespaces"},  # server-side apply
        {**sdeps, "verb": "create", "namespace": "models"},
        {**sdeps, "verb": "get", "namespace": "models"},
        {**sdeps, "verb": "patch", "namespace": "models"},
    ]


def test_a_secret_that_may_not_be_read_does_not_hide_the_next_one(
    kube: Kube, cluster: FakeCluster
) -> None:
    """RBAC can name single secrets (resourceNames): only `a-hidden` is unreadable here."""
    cluster.deny.add("get secrets/a-hidden")
    manifest = sdep()
    graph = manifest["spec"]["predictors"][0]["graph"]
    graph["envSecretRefName"] = "a-hidden"
    graph["children"][0]["envSecretRefName"] = "b-missing"
    cluster.namespaces["models"] = cluster.namespaces["default"]
    err = _refusal(kube, manifest)
    assert err.message == (
        "the graph needs secret(s) 'b-missing' in namespace 'models', which do not exist"
    )
    assert len(cluster.requests("GET", "/secrets/a-hidden$")) == 1
