"""Round trip over every Seldon example manifest the webhook accepts: import, compile, and
the compiled manifest is the original as the operator sees it (defaults applied).

EXCEPTIONS lists the files that do not come back, each with why; the reason is checked
(it must appear in what import or compile said, or name the missing deployment-file
compile), and an exception that starts coming back fails, so the table stays true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.manifest.webhook import validate
from tests.helpers import NO_SHARED, SELDON_EXAMPLES, missing_param

from .roundtrip import load_objects, round_trip

DEPLOY = "deployment-file compile lands with branch deploy"
GRACE = "spec.terminationGracePeriodSeconds: not expressible, dropped"
MEMORY = "resources.requests.memory: not expressible exactly"
SVC_ORCH = "svcOrchSpec: not expressible, dropped"

EXCEPTIONS: dict[str, str] = {}


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
    trip = round_trip(source, tmp_path, capsys)
    reason = EXCEPTIONS.get(source.name)
    if reason is None:
        assert trip.import_code == 0, trip.import_output
        assert trip.compile_code == 0, trip.compile_output
        assert trip.compiled == trip.original
        return
    assert not trip.equivalent, f"{source.name} comes back now: remove it from EXCEPTIONS"
    if reason == DEPLOY:
        assert trip.deployment_file and trip.compile_code != 0, trip.compile_output
    else:
        assert reason in trip.import_output + trip.compile_output


def test_exceptions_name_existing_files() -> None:
    names = {p.name for folder in ("valid", "more") for p in (SELDON_EXAMPLES / folder).glob("*")}
    assert set(EXCEPTIONS) <= names
