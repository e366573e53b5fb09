"""Every manifest we compile passes Seldon's CRD schema and our port of its webhook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import load
from seldon_graphs.deployment import is_deployment_file, load_deployment
from seldon_graphs.manifest import check_object

from .conftest import REPO

GRAPHS = sorted((REPO / "graphs").glob("*.yaml"))


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_compiled_graph_passes_crd_and_webhook(graph: Path, crd_schema: dict[str, Any]) -> None:
    loaded = load_deployment(graph) if is_deployment_file(graph) else load(graph)
    findings = check_object(loaded.manifest(), crd_schema=crd_schema)
    errors = [f for f in findings if f.severity == "error"]
    assert errors == [], [f.message for f in errors]
    assert [f.message for f in findings] == [], "our own manifests should not even warn"
