"""The printed endpoints of a SeldonDeployment with several predictors: every predictor, and
for one with an explainer its `/api/v1.0/explain`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import load_deployment
from seldon_graphs.deploy import endpoint
from seldon_graphs.deploy.endpoint import endpoint_of, endpoints_of, render_endpoints

REPO = Path(__file__).resolve().parents[2]
SAMPLE = "-H 'Content-Type: application/json' -d '" + endpoint.SAMPLE + "'"


@pytest.fixture
def canary() -> dict[str, Any]:
    sdep = load_deployment(REPO / "graphs" / "iris-canary.yaml").manifest()
    return sdep


def test_port_forwards_each_predictor_and_its_explainer(canary: dict[str, Any]) -> None:
    text = render_endpoints(endpoints_of(canary, "kind-seldon"))
    forward = "kubectl --context kind-seldon -n seldon-deploy port-forward"
    assert text.splitlines() == [
        "endpoint (predictor main): http://localhost:8000/api/v1.0/predictions",
        f"  {forward} svc/iris-main 8000:8000 &",
        f"  curl -s -X POST http://localhost:8000/api/v1.0/predictions {SAMPLE}",
        f"  {forward} svc/iris-main-explainer 9000:9000 &",
        f"  explain: curl -s -X POST http://localhost:9000/api/v1.0/explain {SAMPLE}",
        "endpoint (predictor canary): http://localhost:8001/api/v1.0/predictions",
        f"  {forward} svc/iris-canary 8001:8000 &",
        f"  curl -s -X POST http://localhost:8001/api/v1.0/predictions {SAMPLE}",
        "endpoint (predictor mirror, shadow): http://localhost:8002/api/v1.0/predictions",
        f"  {forward} svc/iris-mirror 8002:8000 &",
        f"  curl -s -X POST http://localhost:8002/api/v1.0/predictions {SAMPLE}",
    ]


def test_through_the_ingress_the_explainer_has_seldons_route(canary: dict[str, Any]) -> None:
    main = endpoints_of(canary, None, "http://localhost:8080/")[0]
    base = "http://localhost:8080/seldon/seldon-deploy"
    assert main.render().splitlines() == [
        f"endpoint: {base}/iris/api/v1.0/predictions",
        f"  curl -s -X POST {base}/iris/api/v1.0/predictions {SAMPLE}",
        f"  explain: curl -s -X POST {base}/iris-explainer/main/api/v1.0/explain {SAMPLE}",
    ]


def test_the_endpoint_is_a_main_predictors_never_the_shadows(canary: dict[str, Any]) -> None:
    predictors = canary["spec"]["predictors"]
    canary["spec"]["predictors"] = [predictors[2], predictors[0], predictors[1]]
    found = endpoint_of(canary, None)
    assert (found.service, found.port, found.shadow) == ("iris-main", 8000, False)


def test_one_plain_predictor_prints_as_before(canary: dict[str, Any]) -> None:
    main = dict(canary["spec"]["predictors"][0])
    del main["explainer"]
    canary["spec"]["predictors"] = [main]
    assert render_endpoints(endpoints_of(canary, None)).splitlines() == [
        "endpoint: http://localhost:8000/api/v1.0/predictions",
        "  kubectl -n seldon-deploy port-forward svc/iris-main 8000:8000 &",
        f"  curl -s -X POST http://localhost:8000/api/v1.0/predictions {SAMPLE}",
    ]


def test_a_lone_predictor_with_an_explainer_lists_the_explain_endpoint(
    canary: dict[str, Any],
) -> None:
    canary["spec"]["predictors"] = canary["spec"]["predictors"][:1]
    lines = render_endpoints(endpoints_of(canary, None)).splitlines()
    assert lines[-2:] == [
        "  kubectl -n seldon-deploy port-forward svc/iris-main-explainer 9000:9000 &",
        f"  explain: curl -s -X POST http://localhost:9000/api/v1.0/explain {SAMPLE}",
    ]
