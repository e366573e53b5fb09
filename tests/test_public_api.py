"""The public API is what `seldon_graphs` exports; changing it must be deliberate."""

from __future__ import annotations

from pathlib import Path

import pytest

import seldon_graphs

ROOT = Path(__file__).resolve().parent.parent


def test_exports_are_pinned() -> None:
    assert sorted(seldon_graphs.__all__) == sorted(
        [
            "Analysis",
            "Deployment",
            "Diagnostic",
            "Graph",
            "GraphError",
            "GraphSpec",
            "NodeSpec",
            "Role",
            "Severity",
            "TreeNode",
            "__version__",
            "analyze",
            "analyze_deployment",
            "analyze_text",
            "load",
            "load_deployment",
        ]
    )
    for name in seldon_graphs.__all__:
        assert hasattr(seldon_graphs, name), name


def test_load_returns_a_graph_with_roles_and_manifest() -> None:
    graph = seldon_graphs.load(ROOT / "graphs" / "income.yaml")
    assert graph.roles()["vote"] == "COMBINER"
    sdep = graph.manifest()
    assert sdep["apiVersion"] == "machinelearning.seldon.io/v1"
    assert sdep["spec"]["predictors"][0]["graph"]["name"] == "label"
    assert "label" in graph.explain()


def test_load_raises_with_every_problem() -> None:
    with pytest.raises(seldon_graphs.GraphError) as info:
        seldon_graphs.load(ROOT / "tests" / "bad_graphs" / "injection.yaml")
    assert len([d for d in info.value.diagnostics if d.is_error]) == 4
    assert "bad-requirement" in info.value.render()
    assert '"rule": "bad-image"' in info.value.render("json")


def test_analyze_never_raises_for_a_missing_file(tmp_path: Path) -> None:
    result = seldon_graphs.analyze(tmp_path / "absent.yaml")
    assert not result.ok
    assert result.diagnostics[0].rule == "io"


def test_with_nodes_rejects_unknown_names() -> None:
    graph = seldon_graphs.load(ROOT / "graphs" / "iris.yaml")
    with pytest.raises(KeyError, match="nope"):
        graph.with_nodes(nope=object())
