"""`deploy --wait` against the real Deployment controller, scheduler and kwok's simulated kubelet,
with the operator's part played by played_operator.py (it cannot run here; see there). It
leaves the SeldonDeployment Available across a re-deploy, as 1.17.1 does: the rolling update
the real controllers then do is what the freshness check must wait for.
"""

from __future__ import annotations

import copy

import pytest
from kubernetes import client

from seldon_graphs import api
from seldon_graphs.deploy import connect
from seldon_graphs.deploy.flow import DeployOptions, deploy
from seldon_graphs.deploy.target import Target, load_target
from seldon_graphs.deploy.wait import Progress

from .conftest import ADMIN, KUBECONFIG
from .played_operator import reconcile
from .test_commands import ROOT

pytestmark = pytest.mark.controlplane


def _target(namespace: str, image: str | None = None) -> Target:
    target = load_target(ROOT / "graphs" / "abtest.yaml", api.load).placed(namespace, "default")
    if image:
        manifest = copy.deepcopy(target.manifest)
        manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0]["image"] = (
            image
        )
        target = Target(target.file, manifest, target.graph)
    return target


def test_redeploy_waits_for_the_new_rollout(plane: client.ApiClient, namespace: str) -> None:
    kube = connect(ADMIN, str(KUBECONFIG))
    seen: list[Progress] = []

    def operator_acts_once_polled(progress: Progress) -> None:
        """Reconcile only after --wait has looked once: a wait that trusted the old Available
        would have returned before this ever ran."""
        if not seen:
            reconcile(plane, namespace, "abtest")
        seen.append(progress)

    first = _target(namespace)
    options = DeployOptions(wait=120, build=False)
    deploy(kube, first, options, lambda *_: None, lambda _s: None, operator_acts_once_polled)
    assert seen  # the first deploy waited for the operator

    seen.clear()
    second = _target(namespace, image="seldon-graphs/abtest-current:new")
    deploy(kube, second, options, lambda *_: None, lambda _s: None, operator_acts_once_polled)
    assert seen, "the re-deploy returned on the old Available without waiting"
    assert any("still runs image" in p.note or "pods updated" in p.note for p in seen)

    (dep,) = client.AppsV1Api(plane).list_namespaced_deployment(namespace).items
    images = [c.image for c in dep.spec.template.spec.containers]
    assert images[0] == "seldon-graphs/abtest-current:new"
    assert dep.status.observed_generation == dep.metadata.generation == 2
    assert (dep.status.updated_replicas, dep.status.available_replicas) == (1, 1)
    assert (dep.status.replicas or 0) == 1  # no old pod left serving
