"""`promote` against the real API server (the CRD's schema, server-side apply), with the
operator's part played by played_operator.py: it goes through Creating when the traffic
changes (set where promote announces a step) and reconciles to Available when deploy polls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from seldon_graphs.cli.graphs import load_graph_or_deployment
from seldon_graphs.deploy import DeployError, connect
from seldon_graphs.deploy.flow import DeployOptions, deploy
from seldon_graphs.deploy.promote import PromoteOptions, promote
from seldon_graphs.deploy.target import Target, load_target
from seldon_graphs.deploy.wait import Progress

from .conftest import ADMIN, KUBECONFIG, cli, get_sdep, kube_args
from .played_operator import reconcile, set_state
from .test_commands import create_secrets

pytestmark = pytest.mark.controlplane

CANARY = Path(__file__).resolve().parents[2] / "graphs" / "iris-canary.yaml"
NAME = "iris"


def traffic(plane: client.ApiClient, namespace: str) -> dict[str, Any]:
    sdep = get_sdep(plane, namespace, NAME)
    assert sdep is not None
    return {p["name"]: p.get("traffic", "shadow") for p in sdep["spec"]["predictors"]}


def deployed(plane: client.ApiClient, namespace: str) -> Target:
    target = load_target(CANARY, load_graph_or_deployment).placed(namespace, "default")
    create_secrets(CANARY, namespace)  # graphs/iris.yaml reads its model with the minio secret
    kube = connect(ADMIN, str(KUBECONFIG))
    options = DeployOptions(wait=120, build=False)
    deploy(kube, target, options, lambda *_: None, lambda _s: None, operator(plane, namespace))
    return target


def operator(plane: client.ApiClient, namespace: str) -> Callable[[Progress], None]:
    """Reconciles when deploy polls, unless the step was marked Failed."""

    def act(_progress: Progress) -> None:
        sdep = get_sdep(plane, namespace, NAME) or {}
        if (sdep.get("status") or {}).get("state") != "Failed":
            reconcile(plane, namespace, NAME)

    return act


def steps_that_fail_at(
    plane: client.ApiClient, namespace: str, failing: str, said: list[str]
) -> Callable[[str], None]:
    """promote's `say`: each step the operator starts over (Creating); the failing one it
    marks Failed and never reconciles."""

    def say(text: str) -> None:
        said.append(text)
        if text.startswith("step "):
            failed = text.startswith(failing)
            set_state(plane, namespace, NAME, "Failed" if failed else "Creating", "played")

    return say


def test_promote_moves_the_traffic_step_by_step(plane: client.ApiClient, namespace: str) -> None:
    target = deployed(plane, namespace)
    kube = connect(ADMIN, str(KUBECONFIG))
    said: list[str] = []
    seen: list[dict[str, Any]] = []

    def act(progress: Progress) -> None:
        seen.append(traffic(plane, namespace))
        operator(plane, namespace)(progress)

    say = steps_that_fail_at(plane, namespace, "never", said)
    final = promote(kube, target, "canary", PromoteOptions((50, 100), wait=60), say, act)
    assert final == {"canary": 100, "main": 0}
    assert said == [
        "step 50%: traffic canary 50%, main 50%",
        "step 100%: traffic canary 100%, main 0%",
    ]
    # Each step was waited for with its own traffic in the cluster.
    assert {"main": 50, "canary": 50, "mirror": "shadow"} in seen
    assert traffic(plane, namespace) == {"main": 0, "canary": 100, "mirror": "shadow"}


def test_a_failing_step_rolls_the_traffic_back(plane: client.ApiClient, namespace: str) -> None:
    target = deployed(plane, namespace)
    kube = connect(ADMIN, str(KUBECONFIG))
    said: list[str] = []
    say = steps_that_fail_at(plane, namespace, "step 100%", said)
    with pytest.raises(DeployError) as caught:
        promote(
            kube,
            target,
            "canary",
            PromoteOptions((50, 100), wait=3),
            say,
            operator(plane, namespace),
        )
    assert caught.value.message.startswith("step 100% failed: ")
    assert caught.value.message.endswith("; the traffic is back to main 90%, canary 10%")
    assert said[-1] == "step 100% failed; rolling back to main 90%, canary 10%"
    assert traffic(plane, namespace) == {"main": 90, "canary": 10, "mirror": "shadow"}


def test_promote_on_the_command_line(plane: client.ApiClient, namespace: str) -> None:
    """Without an operator to wait for: `--wait` of a step that never becomes Available."""
    deployed(plane, namespace)
    args = [str(CANARY), "canary", "-n", namespace, *kube_args()]
    shadow = cli("promote", str(CANARY), "mirror", "-n", namespace, *kube_args())
    assert shadow.code == 1
    assert "predictor 'mirror' is the shadow: it takes no traffic to promote" in shadow.err
    set_state(plane, namespace, NAME, "Creating", "played")
    failed = cli("promote", *args, "--steps", "30", "--wait", "2")
    assert failed.code == 1
    assert "step 30% failed: " in failed.err and "the traffic is back to main 90%" in failed.err
    assert traffic(plane, namespace) == {"main": 90, "canary": 10, "mirror": "shadow"}
