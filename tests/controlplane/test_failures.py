"""`deploy --wait` failing for the reasons pods give, on the real scheduler and kwok: a crash loop
and an image that cannot be pulled (kwok Stages picked by the componentSpec label
`seldon-graphs-sim`, tests/controlplane/kwok-stages.yaml), and requests no Node can meet (the
real scheduler's FailedScheduling). The operator's part is played (played_operator.py): it
makes the Deployment and, like the real one for a rollout that never becomes ready, never
says Available."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes import client

from seldon_graphs import api
from seldon_graphs.deploy import connect
from seldon_graphs.deploy.errors import DeployError, RolloutError, WaitTimeout
from seldon_graphs.deploy.flow import DeployOptions, deploy
from seldon_graphs.deploy.target import Target, load_target
from seldon_graphs.deploy.wait import Progress

from .conftest import ADMIN, KUBECONFIG
from .played_operator import reconcile, set_state
from .test_commands import ROOT

pytestmark = pytest.mark.controlplane


def _abtest(namespace: str, change: Any) -> Target:
    target = load_target(ROOT / "graphs" / "abtest.yaml", api.load).placed(namespace, "default")
    manifest = copy.deepcopy(target.manifest)
    change(manifest["spec"]["predictors"][0]["componentSpecs"][0])
    return Target(target.file, manifest, target.graph)


def _deploy_failing(
    plane: client.ApiClient, namespace: str, target: Target, wait: float
) -> DeployError:
    kube = connect(ADMIN, str(KUBECONFIG))
    reconciled: list[bool] = []

    def operator(_progress: Progress) -> None:
        if not reconciled:
            reconcile(plane, namespace, target.name, available=False)
            reconciled.append(True)

    with pytest.raises(DeployError) as err:
        deploy(
            kube, target, DeployOptions(wait=wait, build=False), lambda *_: None, print, operator
        )
    return err.value


def _simulate(failure: str) -> Any:
    def change(component: dict[str, Any]) -> None:
        component.setdefault("metadata", {}).setdefault("labels", {})["seldon-graphs-sim"] = failure

    return change


def test_crash_loop_stops_the_wait(plane: client.ApiClient, namespace: str) -> None:
    err = _deploy_failing(plane, namespace, _abtest(namespace, _simulate("crash")), wait=60)
    assert isinstance(err, RolloutError)
    text = str(err)
    assert text.startswith(f"SeldonDeployment {namespace}/abtest cannot become Available:\n")
    assert ", container current keeps crashing (CrashLoopBackOff)" in text
    assert ", container candidate keeps crashing (CrashLoopBackOff)" in text


def test_image_pull_back_off_stops_the_wait(plane: client.ApiClient, namespace: str) -> None:
    target = _abtest(namespace, _simulate("pull"))
    image = target.manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0][
        "image"
    ]
    err = _deploy_failing(plane, namespace, target, wait=60)
    assert isinstance(err, RolloutError)
    assert f", container current: cannot pull image {image!r} (ImagePullBackOff)" in str(err)


def test_unschedulable_is_named_at_the_deadline(plane: client.ApiClient, namespace: str) -> None:
    def too_big(component: dict[str, Any]) -> None:
        for container in component["spec"]["containers"]:
            container["resources"] = {"requests": {"cpu": "500"}}  # the Node has 64

    err = _deploy_failing(plane, namespace, _abtest(namespace, too_big), wait=8)
    assert isinstance(err, WaitTimeout)
    text = str(err)
    assert text.startswith(f"{namespace}/abtest is not Available after 8s (state: none yet):\n")
    assert "Insufficient cpu" in text, text


def test_a_passing_failed_state_is_waited_out(plane: client.ApiClient, namespace: str) -> None:
    """The operator writes Failed with the error on any failed reconcile and retries (Seldon
    #2044); played here as: Failed first, Available on the pass after --wait has seen it."""
    kube = connect(ADMIN, str(KUBECONFIG))
    target = load_target(ROOT / "graphs" / "abtest.yaml", api.load).placed(namespace, "default")
    why = 'Operation cannot be fulfilled on deployments.apps "abtest-default-0-graph"'
    seen: list[Progress] = []

    def operator(progress: Progress) -> None:
        if not seen:
            reconcile(plane, namespace, "abtest", available=False)
            set_state(plane, namespace, "abtest", "Failed", why)
        elif progress.state == "Failed":
            set_state(plane, namespace, "abtest", "Available")
        seen.append(progress)

    deploy(kube, target, DeployOptions(wait=60, build=False), lambda *_: None, print, operator)
    failed = [p for p in seen if p.state == "Failed"]
    assert failed and failed[0].note == f"the operator reports: {why}; it retries"
