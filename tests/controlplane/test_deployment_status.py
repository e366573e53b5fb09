"""`status` of a deployment with several predictors, against the real control plane: the
Deployments are the played operator's, the pods the real controllers' and kwok's."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from seldon_graphs.deploy import connect
from seldon_graphs.deploy.status import read_status

from .conftest import ADMIN, KUBECONFIG, cli, kube_args
from .played_operator import reconcile
from .test_promote import CANARY, NAME, deployed

pytestmark = pytest.mark.controlplane


def test_status_shows_each_predictors_nodes(plane: client.ApiClient, namespace: str) -> None:
    deployed(plane, namespace)
    reconcile(plane, namespace, NAME)
    kube = connect(ADMIN, str(KUBECONFIG))
    deadline = time.monotonic() + 120
    while True:  # bounded: until kwok has made every pod ready
        sdep = kube.get_sdep(namespace, NAME)
        assert sdep is not None
        status = read_status(kube, sdep)
        ready = [n.ready == n.total > 0 for p in status.predictors for n in p.nodes[:1]]
        if all(ready) and len(ready) == 3:
            break
        assert time.monotonic() < deadline, status.render()
        time.sleep(0.2)
    assert [(p.name, [(n.name, n.ready, n.total) for n in p.nodes]) for p in status.predictors] == [
        ("main", [("classifier", 2, 2), ("seldon-container-engine", 0, 0)]),  # replicas: 2
        ("canary", [("classifier", 1, 1), ("seldon-container-engine", 0, 0)]),
        ("mirror", [("classifier", 1, 1), ("seldon-container-engine", 0, 0)]),
    ]
    shown = cli("status", str(CANARY), "-n", namespace, *kube_args())
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == f"{namespace}/{NAME}: Available"
    assert [line for line in lines if line.startswith("predictor ")] == [
        "predictor main:",
        "predictor canary:",
        "predictor mirror (shadow):",
    ]
    assert "endpoint (predictor canary): http://localhost:8001/api/v1.0/predictions" in lines
