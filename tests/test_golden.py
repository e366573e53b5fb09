"""The compiled output of every graph in graphs/ is committed; a change must be deliberate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.goldens import ROOT, compiled_outputs

GRAPHS = sorted((ROOT / "graphs").glob("*.yaml"))


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_compiled_output_matches_golden(graph: Path) -> None:
    for name, text in compiled_outputs(graph).items():
        golden = ROOT / "tests" / "golden" / name
        assert golden.exists(), f"no golden file {golden.name}: run `make golden`"
        assert text == golden.read_text(encoding="utf-8"), f"{name} differs: run `make golden`"


def test_every_golden_file_has_a_graph() -> None:
    stems = {g.stem for g in GRAPHS}
    for golden in (ROOT / "tests" / "golden").iterdir():
        assert golden.stem in stems, f"stale golden file {golden.name}"
