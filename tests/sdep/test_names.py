"""One rule for the names the operator derives, shared by compile checks and check-manifest."""

from __future__ import annotations

import hashlib

from seldon_graphs import catalog, sdep
from seldon_graphs.sdep.names import derived_names

LONG = "a" * 60


def _model(pred: str, annotations: dict[str, str] | None = None) -> sdep.SeldonDeployment:
    return sdep.read(
        {
            "metadata": {"name": "dep"},
            "spec": {
                "predictors": [
                    {"name": "p", "graph": {"name": "m"}, "componentSpecs": []},
                    {
                        "name": pred,
                        **({"annotations": annotations} if annotations else {}),
                        "componentSpecs": [
                            {"spec": {"containers": [{"name": "m"}, {"name": "x"}]}}
                        ],
                        "graph": {
                            "name": "r",
                            "implementation": "RANDOM_ABTEST",
                            "children": [
                                {"name": "m"},
                                {"name": "s", "implementation": "SKLEARN_SERVER"},
                            ],
                        },
                    },
                ]
            },
        }
    )


def test_every_predictor_service_node_service_and_deployment_is_named() -> None:
    found = [(d.kind, d.name, d.path) for d in derived_names(_model("q"))]
    assert found == [
        ("predictor Service", "dep-p", ("spec", "predictors", 0, "name")),
        ("predictor Service", "dep-q", ("spec", "predictors", 1, "name")),
        ("Service", "dep-q-m", ("spec", "predictors", 1, "graph", "children", 0, "name")),
        ("Service", "dep-q-s", ("spec", "predictors", 1, "graph", "children", 1, "name")),
        ("Deployment", "dep-q-0-m-x", ("spec", "predictors", 1, "componentSpecs", 0)),
    ]


def test_a_named_service_replaces_the_derived_one() -> None:
    kinds = [d.kind for d in derived_names(_model("q", {catalog.SVC_NAME: "own"}))]
    assert kinds.count("predictor Service") == 1


def test_over_63_characters_the_operator_uses_an_md5_name() -> None:
    long = [d for d in derived_names(_model(LONG)) if d.too_long]
    assert [d.name for d in long] == [
        f"dep-{LONG}",
        f"dep-{LONG}-m",
        f"dep-{LONG}-s",
        f"dep-{LONG}-0-m-x",
    ]
    assert long[0].replacement == "seldon-" + hashlib.md5(long[0].name.encode()).hexdigest()
    assert catalog.hashed("b" * 63) == "b" * 63
