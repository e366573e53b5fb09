"""Seldon's own manifests as the oracle (../shared/seldon/examples, see SOURCES.tsv there).

valid/ and more/ are admitted by Seldon: no errors (warnings are allowed, and some expected).
invalid/ is rejected by Seldon: each must fail with Seldon's own message for that rule.
local/ runs only with `executor --file`: the webhook rejects it for its missing containers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.diagnostics import Diagnostic
from seldon_graphs.manifest import check_text

from .conftest import examples


def check(path: Path, schema: dict[str, Any]) -> list[Diagnostic]:
    return check_text(path.read_text(encoding="utf-8"), path.name, crd_schema=schema)


@pytest.mark.parametrize("path", examples("valid") + examples("more"))
def test_seldon_admits_it_so_do_we(path: Path, crd_schema: dict[str, Any]) -> None:
    errors = [d for d in check(path, crd_schema) if d.is_error]
    assert errors == []


def test_expected_warnings_on_valid_examples(crd_schema: dict[str, Any]) -> None:
    (ensemble,) = [p for p in examples("valid") if p.values[0] and "ensemble" in str(p.values[0])]
    found = check(ensemble.values[0], crd_schema)
    assert "unimplemented-builtin" in {d.rule for d in found}
    assert all(not d.is_error for d in found)


# Seldon's message (and rule) expected for each file in invalid/, as the operator reports it.
INVALID = {
    "notebooks__resources__complex_graph_with_canary.json": [
        ("webhook-traffic-sum", "Traffic must sum to 100 for multiple predictors"),
    ],
    "testing__resources__bad_duplicate_predictor_name.json": [
        ("webhook-traffic-sum", "Traffic must sum to 100 for multiple predictors"),
        ("webhook-duplicate-predictor", "Duplicate predictor name"),
    ],
    "testing__resources__bad_name_mismatch.json": [
        ("webhook-container", "Can't find container for Predictive Unit"),
    ],
    "testing__resources__bad_no_graph.yaml": [
        ("crd-required", "spec.predictors[0].graph: Required value"),
    ],
}


@pytest.mark.parametrize("path", examples("invalid"))
def test_seldon_rejects_it_with_its_message(path: Path, crd_schema: dict[str, Any]) -> None:
    expected = INVALID[path.name]
    errors = [d for d in check(path, crd_schema) if d.is_error]
    for rule, message in expected:
        assert any(d.rule == rule and message in d.message for d in errors), (rule, errors)


def test_every_invalid_example_has_an_expectation() -> None:
    names = {p.values[0].name for p in examples("invalid") if p.values[0] is not None}
    assert names <= set(INVALID)


@pytest.mark.parametrize("path", examples("local"))
def test_executor_only_graph_has_no_containers(path: Path, crd_schema: dict[str, Any]) -> None:
    errors = [d for d in check(path, crd_schema) if d.is_error]
    assert [d.message.split(": ")[-1] for d in errors] == [
        "Can't find container for Predictive Unit"
    ] * 3
    assert [d.message.split(":")[0] for d in errors] == [
        "spec.predictors[0].graph",
        "spec.predictors[0].graph[0]",
        "spec.predictors[0].graph[1]",
    ]
