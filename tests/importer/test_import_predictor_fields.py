"""A predictor's deployment-file fields are read as Seldon's CRD types them (the typed model,
`seldon_graphs.sdep`): a value of another type is reported where it is written, never read
as something else (a traffic of "50" is not 0, a shadow of "true" is not a main predictor
silently)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from seldon_graphs.importer.losses import dotted

from .builders import run_import, sdep, unit

WRONG = "not of the type Seldon reads it as: dropped"
DROPPED = "not expressible, dropped"
AT = "spec.predictors[1]"


def two_predictors(**canary: Any) -> dict[str, Any]:
    obj = sdep(unit("m", "MODEL"))
    main = obj["spec"]["predictors"][0]
    main.update(name="main", traffic=100)
    obj["spec"]["predictors"].append({**main, "name": "canary", "traffic": 0, **canary})
    return obj


@pytest.mark.parametrize(
    ("fields", "lost", "entry"),
    [
        ({"traffic": "50"}, [("traffic", WRONG)], {"traffic": 0}),
        ({"shadow": "true"}, [("shadow", WRONG)], {"traffic": 0}),
        ({"labels": {"track": 1}}, [("labels", WRONG)], {"traffic": 0}),
        ({"annotations": ["a"]}, [("annotations", WRONG)], {"traffic": 0}),
        (
            {"explainer": {"type": "AnchorTabular", "modelUri": 5, "replicas": 2}},
            [("explainer.modelUri", DROPPED), ("explainer.replicas", DROPPED)],
            {"traffic": 0, "explainer": {"type": "AnchorTabular"}},
        ),
        (
            {"shadow": True, "traffic": 0, "labels": {"version": "canary", "track": "next"}},
            [],
            {"shadow": True, "labels": {"track": "next"}},
        ),
    ],
)
def test_predictor_fields_of_the_wrong_type_are_reported(
    tmp_path: Path, fields: dict[str, Any], lost: list[tuple[str, str]], entry: dict[str, Any]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    outcome = run_import(two_predictors(**fields), tmp_path)
    assert [(dotted(loss.path), loss.message) for loss in outcome.losses] == [
        (f"{AT}.{path}", why) for path, why in lost
    ]
    listed = yaml.safe_load(outcome.files["demo.yaml"])["predictors"]["canary"]
    assert listed == {"graph": "demo-canary.yaml", **entry}
