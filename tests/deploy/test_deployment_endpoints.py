"""The printed endpoint of a SeldonDeployment with several predictors covers every one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import load_deployment
from seldon_graphs.deploy import endpoint
from seldon_graphs.deploy.endpoint import endpoint_of

REPO = Path(__file__).resolve().parents[2]
SAMPLE = "-H 'Content-Type: application/json' -d '" + endpoint.SAMPLE + "'"


@pytest.fixture
def canary() -> dict[str, Any]:
    sdep = load_deployment(REPO / "graphs" / "iris-canary.yaml").manifest()
    return sdep


def test_port_forwards_each_predictor_and_its_explainer(canary: dict[str, Any]) -> None:
    text = endpoint_of(canary, "kind-seldon").render()
    forward = "kubectl --context kind-seldon -n seldon-deploy port-forward"
    assert text.splitlines() == [
        "endpoint: http://localhost:8000/api/v1.0/predictions",
        "  predictor main (traffic 90%):",
        f"    {forward} svc/iris-main 8000:8000 &",
        f"    curl -s -X POST http://localhost:8000/api/v1.0/predictions {SAMPLE}",
        f"    explain: {forward} svc/iris-main-explainer 9000:9000 &",
        f"      curl -s -X POST http://localhost:9000/api/v1.0/explain {SAMPLE}",
        "  predictor canary (traffic 10%):",
        f"    {forward} svc/iris-canary 8001:8000 &",
        f"    curl -s -X POST http://localhost:8001/api/v1.0/predictions {SAMPLE}",
        "  predictor mirror (shadow):",
        f"    {forward} svc/iris-mirror 8002:8000 &",
        f"    curl -s -X POST http://localhost:8002/api/v1.0/predictions {SAMPLE}",
    ]


def test_through_the_ingress_the_split_and_the_explainer_url(canary: dict[str, Any]) -> None:
    text = endpoint_of(canary, None, "http://localhost:8080/").render()
    base = "http://localhost:8080/seldon/seldon-deploy"
    assert text.splitlines() == [
        f"endpoint: {base}/iris/api/v1.0/predictions",
        "  the ingress splits requests: main traffic 90%, canary traffic 10%, mirror shadow",
        f"  curl -s -X POST {base}/iris/api/v1.0/predictions {SAMPLE}",
        "  predictor main (traffic 90%):",
        f"    explain: curl -s -X POST {base}/iris-explainer/main/api/v1.0/explain {SAMPLE}",
    ]


def test_the_endpoint_is_the_main_predictors_never_the_shadows(canary: dict[str, Any]) -> None:
    predictors = canary["spec"]["predictors"]
    # The shadow first, then a small canary: the main predictor still answers the curl.
    canary["spec"]["predictors"] = [predictors[2], predictors[1], predictors[0]]
    endpoint = endpoint_of(canary, None)
    assert (endpoint.service, endpoint.port) == ("iris-main", 8000)


def test_one_plain_predictor_prints_as_before(canary: dict[str, Any]) -> None:
    main = dict(canary["spec"]["predictors"][0])
    del main["explainer"]
    canary["spec"]["predictors"] = [main]
    assert endpoint_of(canary, None).render().splitlines() == [
        "endpoint: http://localhost:8000/api/v1.0/predictions",
        "  kubectl -n seldon-deploy port-forward svc/iris-main 8000:8000 &",
        f"  curl -s -X POST http://localhost:8000/api/v1.0/predictions {SAMPLE}",
    ]


def test_a_lone_predictor_with_an_explainer_lists_the_explain_endpoint(
    canary: dict[str, Any],
) -> None:
    canary["spec"]["predictors"] = canary["spec"]["predictors"][:1]
    lines = endpoint_of(canary, None).render().splitlines()
    assert lines[-2:] == [
        "    explain: kubectl -n seldon-deploy port-forward svc/iris-main-explainer 9000:9000 &",
        f"      curl -s -X POST http://localhost:9000/api/v1.0/explain {SAMPLE}",
    ]
