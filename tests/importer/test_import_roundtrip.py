"""Round trip over every Seldon example manifest the webhook accepts: import, compile, and
the compiled manifest is the original as the operator sees it (defaults applied).

EXCEPTIONS lists the files that do not come back, each with why: the manifest fields a graph
file cannot say (import reports exactly these, and nothing else, as dropped). For them the
test still proves the rest: with --lossy, the compiled manifest is the original without the
reported fields. An exception that starts coming back fails, so the table stays true; the
table in docs/import.md must be this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.importer import operator_view
from seldon_graphs.manifest.webhook import validate
from tests.helpers import NO_SHARED, SELDON_EXAMPLES, missing_param

from .roundtrip import Trip, dropped_paths, load_objects, round_trip, without

# Fields a graph file cannot say, by the name import reports them under.
GRACE = "terminationGracePeriodSeconds"  # pod spec: graph files write containers only
MEMORY = "memory"  # a memory request without the same limit: graph files set both
PULL = "imagePullPolicy"  # other than IfNotPresent
ORCH = "svcOrchSpec"  # the executor's env and resources
POD_LABELS = "labels"  # componentSpecs[].metadata.labels
PODS = "componentSpecs"  # containers grouped into pods other than one or one each

EXCEPTIONS: dict[str, list[str]] = {
    "components__routers__case_study__assets__eg_deployment.json": [ORCH, GRACE],
    "components__routers__case_study__assets__ts_deployment.json": [ORCH, GRACE],
    "examples__output_transformers__output_transformer.json": [MEMORY, GRACE],
    "notebooks__resources__complex_graph.json": [MEMORY, GRACE],
    "notebooks__resources__ensemble.json": [MEMORY, GRACE],
    "notebooks__resources__epsilon_greedy.json": [GRACE],
    "notebooks__resources__feature_transform.json": [MEMORY, GRACE],
    "notebooks__resources__outlier_detector.json": [PODS, MEMORY, GRACE],
    "notebooks__resources__random_ab_test.json": [POD_LABELS, MEMORY, GRACE],
    "notebooks__resources__random_ab_test_1pod.json": [MEMORY, GRACE],
    "testing__resources__graph6.json": [ORCH, MEMORY, GRACE],
    "testing__resources__s2i_python_combiner.json": [PULL, GRACE],
    "testing__resources__s2i_python_output_transformer.json": [PULL, GRACE],
    "testing__resources__s2i_python_router.json": [PULL, GRACE],
    "testing__resources__s2i_python_transformer.json": [PULL, GRACE],
    "testing__resources__tags_combiner_rest.json": [PULL, GRACE],
    "testing__resources__tags_graph_rest.json": [PULL, GRACE],
}


def _manifests() -> list[Any]:
    files = sorted(
        p
        for folder in ("valid", "more")
        for p in (SELDON_EXAMPLES / folder).glob("*")
        if p.suffix in (".json", ".yaml")
    )
    if not files:
        return [missing_param(f"{SELDON_EXAMPLES} has no examples: {NO_SHARED}")]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in files]


@pytest.mark.parametrize("source", _manifests())
def test_round_trip(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (sdep,) = load_objects(source)
    assert [f.message for f in validate(sdep) if f.is_error] == []  # acceptable: all of them
    trip = round_trip(source, tmp_path / "strict", capsys)
    reasons = EXCEPTIONS.get(source.name)
    if reasons is None:
        assert trip.import_code == 0, trip.import_output
        assert trip.compile_code == 0, trip.compile_output
        assert trip.compiled == trip.original
        return
    assert not trip.equivalent, f"{source.name} comes back now: remove it from EXCEPTIONS"
    dropped = dropped_paths(source, tmp_path / "strict" / "graphs")
    assert sorted({str(p[-1]) for p in dropped}) == sorted(reasons)
    assert trip.import_code == (1 if dropped else 0), trip.import_output
    lossy = round_trip(source, tmp_path / "lossy", capsys, "--lossy")
    _check_lossy(lossy, reasons, operator_view(without(sdep, dropped)))


def _check_lossy(lossy: Trip, reasons: list[str], expected: dict[str, Any]) -> None:
    """What import did not report as dropped comes back exactly (once compiled)."""
    assert lossy.import_code == 0, lossy.import_output
    assert lossy.compile_code == 0, lossy.compile_output
    if PODS not in reasons:  # pods regrouped: `without` cannot say the expected manifest
        assert lossy.compiled == expected


def test_exceptions_name_existing_files() -> None:
    names = {p.name for folder in ("valid", "more") for p in (SELDON_EXAMPLES / folder).glob("*")}
    assert set(EXCEPTIONS) <= names


def test_the_docs_list_exactly_these_exceptions() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text()
    table = text.split("<!-- round-trip exceptions:", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| `")]
    listed = {
        name.strip("| `"): [reason.strip("` |") for reason in reasons.split(", ")]
        for name, reasons in rows
    }
    assert listed == EXCEPTIONS


@pytest.mark.parametrize("source", _manifests())
def test_importing_the_compiled_manifest_gives_the_same_files(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Import is the inverse of compile on what it writes: its provenance labels and
    annotation, pod names and pull policy are read back as what compile writes again."""
    first = round_trip(source, tmp_path / "first", capsys, "--lossy")
    assert first.compile_code == 0, first.compile_output
    (compiled,) = (tmp_path / "first" / "build").glob("*/seldondeployment.yaml")
    again = round_trip(compiled, tmp_path / "again", capsys)
    assert again.import_code == 0, again.import_output
    assert again.files == first.files
