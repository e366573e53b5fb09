"""Deployment files, mutated at random: the analysis never raises, every diagnostic points
into a file that exists, and whatever it accepts the cluster (CRD + webhook) accepts too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from seldon_graphs.deployment import Deployment, DeploymentAnalysis, analyze_deployment_text

from .conftest import REPO, examples
from .test_no_traceback import _edit

SEEDS = [
    p.read_text(encoding="utf-8")
    for p in [
        REPO / "graphs" / "iris-canary.yaml",
        *sorted((REPO / "tests" / "bad_graphs").glob("deploy-*.yaml")),
    ]
    if p.read_text(encoding="utf-8").find("predictors:") >= 0
]
# Analysed as if it lived in graphs/: graph paths resolve to the repository's graphs.
FILE = REPO / "graphs" / "fuzzed-deployment.yaml"
TOKENS = [
    "predictors:",
    "traffic: 50",
    "traffic: -1",
    "traffic: 100",
    "shadow: true",
    "shadow: no",
    "graph: graphs/iris.yaml",
    "graph: ../x.yaml",
    "graph: {nodes: {a: {server: sklearn}}}",
    "explainer: {type: AnchorTabular}",
    "replicas: 3",
    "labels: {a: b}",
    "  x:",
    "deployment: d",
]


@st.composite
def mutated(draw: st.DrawFn, max_edits: int = 5) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, max_edits))):
        if draw(st.booleans()):
            text = _edit(draw, text)
        else:
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
    return text


def analyzed(text: str) -> DeploymentAnalysis:
    return analyze_deployment_text(text, FILE, display="fuzzed-deployment.yaml", root=REPO)


@settings(max_examples=examples(150))
@given(mutated())
def test_mutated_deployments_never_raise(text: str) -> None:
    result = analyzed(text)
    for d in result.diagnostics:
        assert d.file in result.sources, f"{d.file}: no such source\n{text}"
        assert d.line >= 1 and d.col >= 1 and d.message and d.rule, text
    if not result.ok:
        assert any(d.is_error for d in result.diagnostics), f"not ok, no error says why\n{text}"
    assert len(json.loads(result.render("json"))) == len(result.diagnostics)
    result.render()


@settings(max_examples=examples(40))
@given(text=mutated(max_edits=1))
def test_mutants_accepted_compile_to_what_the_cluster_accepts(
    text: str, crd_schema: dict[str, Any]
) -> None:
    from seldon_graphs.manifest import check_object

    result = analyzed(text)
    assume(result.ok and result.spec is not None)
    assert result.spec is not None
    sdep = Deployment(result.spec, result).manifest()
    errors = [f for f in check_object(sdep, crd_schema=crd_schema) if f.is_error]
    assert not errors, f"{text}\n" + "\n".join(f"{f.rule} at {f.path}: {f.message}" for f in errors)


def test_the_seeds_are_deployment_files() -> None:
    assert len(SEEDS) >= 10
    assert Path(FILE).parent.is_dir()
