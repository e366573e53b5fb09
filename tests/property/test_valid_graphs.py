"""Random valid graphs compile to SeldonDeployments the cluster would accept.

Each example is a random series-parallel flow (graphgen.py) written into a fresh project
directory. The compiler must accept it without errors, and its manifest must pass the CRD's
openAPIV3Schema and our port of Seldon's webhook (seldon_graphs.manifest).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings

from seldon_graphs import api
from seldon_graphs.lower import MAX_DEPTH
from seldon_graphs.tree import TreeNode
from tests.flow_semantics import flow_result, tree_result

from .conftest import examples
from .graphgen import GeneratedGraph, valid_graphs


def _analyze(graph: GeneratedGraph, root: Path) -> api.Graph:
    path = graph.write(root)
    result = api.analyze_text(path.read_text(encoding="utf-8"), path)
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors and result.ok, f"{graph.text}\n{result.render()}"
    assert result.spec is not None and result.tree is not None
    return api.Graph(result.spec, result.tree, result)


def _units(unit: dict[str, Any]) -> list[dict[str, Any]]:
    out, stack = [], [unit]
    while stack:
        u = stack.pop()
        out.append(u)
        stack.extend(reversed(u.get("children", [])))
    return out


def _depth(unit: dict[str, Any]) -> int:
    return 1 + max((_depth(c) for c in unit.get("children", [])), default=0)


@settings(max_examples=examples(60))
@given(graph=valid_graphs())
def test_valid_graphs_compile_to_manifests_the_cluster_accepts(
    graph: GeneratedGraph, crd_schema: dict[str, Any]
) -> None:
    from seldon_graphs.manifest import check_object

    with tempfile.TemporaryDirectory() as tmp:
        compiled = _analyze(graph, Path(tmp))
        sdep = compiled.manifest()
    findings = [f for f in check_object(sdep, crd_schema=crd_schema) if f.is_error]
    assert not findings, f"{graph.text}\n" + "\n".join(
        f"{f.rule} at {f.path}: {f.message}" for f in findings
    )


@settings(max_examples=examples(25))
@given(graph=valid_graphs())
def test_emitted_yaml_passes_check_manifest(
    graph: GeneratedGraph, crd_schema: dict[str, Any]
) -> None:
    """The YAML text we write (not just the dict) reads back as the same, valid object."""
    import yaml

    from seldon_graphs.manifest import check_text

    with tempfile.TemporaryDirectory() as tmp:
        compiled = _analyze(graph, Path(tmp))
        text = compiled.manifest_yaml()
        sdep = compiled.manifest()
    assert yaml.safe_load(text) == sdep
    errors = [d for d in check_text(text, "sdep.yaml", crd_schema=crd_schema) if d.is_error]
    assert not errors, f"{graph.text}\n{text}\n" + "\n".join(
        f"{d.line}:{d.col} {d.rule}: {d.message}" for d in errors
    )


@settings(max_examples=examples(60))
@given(graph=valid_graphs())
def test_every_flow_node_appears_once_and_depth_is_capped(graph: GeneratedGraph) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        compiled = _analyze(graph, Path(tmp))
        sdep = compiled.manifest()
    tree: TreeNode = compiled.tree
    in_tree = Counter(t.name for t in tree.walk())
    assert in_tree == Counter(graph.node_names), graph.text
    assert tree.depth() <= MAX_DEPTH
    assert tree.depth() == graph.flow.depth(), f"{graph.text}\n{tree}"

    predictor = sdep["spec"]["predictors"][0]
    units = _units(predictor["graph"])
    assert Counter(u["name"] for u in units) == in_tree
    assert _depth(predictor["graph"]) <= MAX_DEPTH
    # componentSpecs[0] holds a container that is a graph node (the operator injects the
    # executor next to it); no container is listed twice, and every container is a node.
    first = predictor["componentSpecs"][0]["spec"]["containers"]
    assert any(c["name"] in in_tree for c in first), graph.text
    containers = [c["name"] for cs in predictor["componentSpecs"] for c in cs["spec"]["containers"]]
    assert len(containers) == len(set(containers))
    assert set(containers) <= set(in_tree)
    builtins = {u["name"] for u in units if u["implementation"] == "RANDOM_ABTEST"}
    assert set(containers) == set(in_tree) - builtins
    # `explain` and `graph` show every node too.
    from seldon_graphs.explain import explain_lines
    from seldon_graphs.picture import flow_picture, tree_picture

    assert len(explain_lines(tree)) >= len(in_tree)
    for fmt in ("mermaid", "dot"):
        for picture in (flow_picture, tree_picture):
            text = picture(compiled.spec, tree, fmt)
            assert all(name in text for name in in_tree), (fmt, picture.__name__, text)


@settings(max_examples=examples(60))
@given(graph=valid_graphs())
def test_the_tree_computes_what_the_flow_says(graph: GeneratedGraph) -> None:
    """Walked as Seldon's executor walks it (§3.4), the lowered tree gives the data flow's
    answer for every routing choice, children in the order the flow was written."""
    with tempfile.TemporaryDirectory() as tmp:
        compiled = _analyze(graph, Path(tmp))
    for choice in range(4):
        expected = flow_result(compiled.spec, choice)
        assert tree_result(compiled.tree, choice) == expected, f"{graph.text}\n{choice}"


@settings(max_examples=examples(60))
@given(graph=valid_graphs())
def test_every_name_in_the_flow_is_located_where_it_was_written(graph: GeneratedGraph) -> None:
    """Whatever the spelling, each reference's line:col..end_col covers the name as written
    (escapes included: read as a double-quoted YAML string, the span is the name)."""
    import yaml

    from seldon_graphs.scalarpos import LINE_BREAK

    with tempfile.TemporaryDirectory() as tmp:
        compiled = _analyze(graph, Path(tmp))
    lines = LINE_BREAK.split(graph.text)
    for name, pos in compiled.spec.refs:
        written = lines[pos.line - 1][pos.col - 1 : pos.end_col - 1]
        assert yaml.safe_load(f'"{written}"') == name, f"{graph.text}\n{name} at {pos}"


@settings(max_examples=examples(25))
@given(graph=valid_graphs())
def test_compile_is_deterministic_and_independent_of_the_checkout_path(
    graph: GeneratedGraph,
) -> None:
    outputs = []
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        for root in (Path(a), Path(a), Path(b) / "elsewhere" / "deeper"):
            root.mkdir(parents=True, exist_ok=True)
            outputs.append(_analyze(graph, root).manifest_yaml())
    assert outputs[0] == outputs[1], "two runs on the same files differ"
    assert outputs[0] == outputs[2], "the same project in another directory compiles differently"


@settings(max_examples=examples(25))
@given(graph=valid_graphs())
def test_long_name_warnings_match_the_manifest_check(
    graph: GeneratedGraph, crd_schema: dict[str, Any]
) -> None:
    """The compiler warns about >63-character derived names exactly when check-manifest does."""
    from seldon_graphs.manifest import check_object

    with tempfile.TemporaryDirectory() as tmp:
        compiled = _analyze(graph, Path(tmp))
        sdep = compiled.manifest()
    ours = any(d.rule == "long-name" for d in compiled.warnings)
    theirs = any(
        f.rule in ("service-name-length", "deployment-name-length")
        for f in check_object(sdep, crd_schema=crd_schema)
    )
    assert ours == theirs, graph.text


def test_generator_reaches_every_shape() -> None:
    """Guard against a generator that silently stopped producing routers or combiners."""
    needles = {
        "random-abtest",
        "ab-router",
        "epsilon-greedy",
        "kind: router",
        "mean-combiner",
        "weighted-combiner",
        "kind: combiner",
        "output_transformer",
        "per-node",
        "stock: identity",
        "image:",
        "flow:\n-",
        "protocol: v2",
        "protocol: tensorflow",
        "[[",  # a branch that starts with its own bracket group
        "flow: >",
        "flow: |",
        "\\x2d>",
        "flow: '",
    }
    seen: set[str] = set()

    @settings(max_examples=1000, database=None, phases=[Phase.generate], derandomize=True)
    @given(valid_graphs())
    def collect(graph: GeneratedGraph) -> None:
        seen.update(n for n in needles if n in graph.text)

    collect()
    assert seen == needles, f"never generated: {sorted(needles - seen)}"


def test_graph_of_only_builtins_is_rejected_or_compiles_to_a_valid_manifest(
    tmp_path: Path, crd_schema: dict[str, Any]
) -> None:
    from seldon_graphs.manifest import check_object

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    path = tmp_path / "g.yaml"
    path.write_text(
        "name: only-builtins\n"
        "nodes:\n"
        "  split: {builtin: random-abtest, params: {ratioA: 0.5}}\n"
        "  a: {builtin: simple-model}\n"
        "  b: {builtin: simple-model}\n"
        "flow: split -> [a, b]\n",
        encoding="utf-8",
    )
    result = api.analyze(path)
    if not result.ok:
        return  # rejecting the graph with a diagnostic is a fine answer
    graph = api.Graph(result.spec, result.tree, result)  # type: ignore[arg-type]
    errors = [f for f in check_object(graph.manifest(), crd_schema=crd_schema) if f.is_error]
    assert not errors, [f.message for f in errors]


@pytest.mark.parametrize("image", ["registry.local/team/a--b:2", "team/my__model:1.0"])
def test_image_names_docker_accepts_are_accepted(tmp_path: Path, image: str) -> None:
    """Found by the generator: `--` and `__` are valid separators in Docker image names."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    path = tmp_path / "g.yaml"
    path.write_text(f"name: img\nnodes:\n  a: {{image: '{image}'}}\n", encoding="utf-8")
    result = api.analyze(path)
    assert result.ok, result.render()


@settings(max_examples=examples(20))
@given(graph=valid_graphs())
def test_node_declaration_order_does_not_change_the_manifest(graph: GeneratedGraph) -> None:
    """The flow, not the order of `nodes:`, decides the tree and the manifest."""
    import dataclasses

    flipped_doc = dict(graph.doc)
    flipped_doc["nodes"] = dict(reversed(list(graph.doc["nodes"].items())))
    flipped = dataclasses.replace(graph, doc=flipped_doc)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        first = _analyze(graph, Path(a)).manifest_yaml()
        second = _analyze(flipped, Path(b)).manifest_yaml()
    assert first == second, graph.text
