"""Files of 1 MiB and more go to their own layer (docs/images.md), found at planning time:
the edge of that rule, without a Docker engine (the docker test builds the layers)."""

from __future__ import annotations

import json
from pathlib import Path

from seldon_graphs.spec import PythonRef, Role
from seldon_graphs.wrapper.context import plan_context

from .conftest import FIXTURE_PROJECT, graph_spec, python_node

MIB = 1024 * 1024


def test_files_from_one_mib_are_set_apart_and_copied_first(tmp_path: Path) -> None:
    source = (FIXTURE_PROJECT / "models" / "doubler.py").read_text()
    (tmp_path / "model.py").write_text(source)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "under.bin").write_bytes(b"u" * (MIB - 1))
    (tmp_path / "data" / "exact.bin").write_bytes(b"e" * MIB)
    node = python_node("big", python=PythonRef("model.py", "Doubler"), files=("data",))
    plan = plan_context(graph_spec(node, root=tmp_path), node, Role.MODEL)
    data = sorted(rel for rel in plan.files if "data/" in rel)
    assert data == [".seldon-graphs-data/data/exact.bin", "data/under.bin"]
    copies = [ln for ln in plan.dockerfile.splitlines() if ln.startswith("COPY")]
    data_layer = copies.index("COPY " + json.dumps([".seldon-graphs-data/", "/app/"]))
    code_layer = next(i for i, ln in enumerate(copies) if '"model.py"' in ln)
    assert data_layer < code_layer
