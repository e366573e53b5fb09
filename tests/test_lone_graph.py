"""A graph of one node and no flow is lowered without building its data-flow DAG (so
`validate` of it imports no networkx): what comes out is what the DAG path gives, tree and
diagnostics alike, for every kind of node, good or bad."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from seldon_graphs import api, dataflow, lower
from seldon_graphs.catalog import BUILTINS, SERVERS
from tests.helpers import project
from wrappers.stock import CATALOG

REPO = Path(__file__).resolve().parents[1]
PY = "python: models.py:Model"
NODES = [
    *(f"{{server: {s}, model_uri: s3://m/x}}" for s in SERVERS),
    "{server: sklearn, server_image: generated, model_uri: s3://m/x, local_uri: models/m}",
    f"{{{PY}}}",
    *(f"{{{PY}, kind: {k}}}" for k in ("model", "transformer", "output_transformer")),
    *(f"{{{PY}, kind: {k}}}" for k in ("router", "combiner")),
    *(f"{{stock: {name}}}" for name in CATALOG),
    "{stock: epsilon-greedy, params: {n_branches: 1}}",
    *(f"{{builtin: {name}}}" for name in BUILTINS),
    "{image: example.com/team/node:1.0}",
    "{image: example.com/team/node:1.0, kind: router}",
    "{python: missing.py:Model}",
    "{server: sklearn}",
]
# What the node runs is misspelt: its role is unknown, so neither path lowers it.
UNSURE = ["{pyhton: models.py:Model}", f"{{{PY}, kind: modle}}"]


def _both_ways(tmp: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> list[api.Analysis]:
    """The analysis as `validate` makes it, then with the DAG built even for a lone node."""
    root = project(tmp)
    file = root / "graph.yaml"
    file.write_text(text)
    first = api.analyze_text(text, file, display="graph.yaml", root=root)
    with monkeypatch.context() as m:
        m.setattr(dataflow, "is_lone", lambda spec, r: False)
        second = api.analyze_text(text, file, display="graph.yaml", root=root)
    return [first, second]


def _lone_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = lower.lower_lone

    def spy(spec: api.GraphSpec, r: object) -> object:
        calls.append(spec.nodes[0].name)
        return real(spec, r)  # type: ignore[arg-type]

    monkeypatch.setattr(lower, "lower_lone", spy)
    return calls


def _lowered_alike(tmp: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The nodes lowered without a DAG while analysing `text`, once both paths were seen to
    give the same tree and diagnostics."""
    calls = _lone_calls(monkeypatch)
    lone, dag = _both_ways(tmp, text, monkeypatch)
    assert (lone.tree, lone.diagnostics) == (dag.tree, dag.diagnostics)
    return calls


@pytest.mark.parametrize("node", NODES + UNSURE)
def test_a_lone_node_lowers_as_its_one_node_dag_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, node: str
) -> None:
    calls = _lowered_alike(tmp_path, f"name: one\nnodes:\n  m: {node}\n", monkeypatch)
    assert calls == ([] if node in UNSURE else ["m"])


@pytest.mark.parametrize(
    "flow",
    ["m", "m -> m", "m ->", "-> m", "[m, m]", "[m]", "m -> n", "n"],
)
def test_a_lone_node_with_a_flow_takes_the_dag_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flow: str
) -> None:
    text = f"name: one\nnodes:\n  m: {{{PY}}}\nflow: {flow!r}\n"
    assert _lowered_alike(tmp_path, text, monkeypatch) == []


def test_every_one_node_example_and_bad_graph_lowers_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(REPO.glob("graphs/*.yaml")) + sorted(REPO.glob("tests/bad_graphs/*.yaml"))
    compared = 0
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        first = api.analyze_text(text, file, root=REPO)
        if first.spec is None or len(first.spec.nodes) != 1:
            continue
        with monkeypatch.context() as m:
            m.setattr(dataflow, "is_lone", lambda spec, r: False)
            second = api.analyze_text(text, file, root=REPO)
        assert (first.tree, first.diagnostics) == (second.tree, second.diagnostics), file
        compared += 1
    assert compared >= 10  # the corpus has many one-node graphs; a glob gone wrong fails


def test_a_graph_of_two_nodes_and_no_flow_is_not_lone(tmp_path: Path) -> None:
    text = textwrap.dedent(
        f"""\
        name: two
        nodes:
          a: {{{PY}}}
          b: {{{PY}}}
        """
    )
    root = project(tmp_path)
    result = api.analyze_text(text, root / "graph.yaml", display="graph.yaml", root=root)
    assert [d.rule for d in result.diagnostics] == ["missing-flow"]
    assert result.tree is None
