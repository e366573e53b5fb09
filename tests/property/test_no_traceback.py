"""Random and mutated graph files never produce a traceback, only positioned diagnostics.

Inputs: random text, YAML-looking random text, and the graphs in graphs/ (plus generated valid
graphs) mutated line by line and character by character: flips, deletions, duplicated and
swapped lines, indentation changes, tabs, unicode, YAML syntax (anchors, tags, documents).
`api.analyze_text` must return; a failed analysis must say why with at least one diagnostic
that has a rule and a position inside the text; rendering never raises; and a graph that
passes must also compile.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from seldon_graphs import api
from seldon_graphs.deployment import is_deployment_file
from seldon_graphs.diagnostics import Severity

from .conftest import REPO, examples
from .graphgen import valid_graphs

GRAPHS = sorted((REPO / "graphs").glob("*.yaml"))
BAD_GRAPHS = sorted((REPO / "tests" / "bad_graphs").rglob("*.yaml"))
SEEDS = [p.read_text(encoding="utf-8") for p in [*GRAPHS, *BAD_GRAPHS]]
# Analyzed as if it lived in graphs/: the project root is the repository, so `python:` paths
# in the seeds resolve to the real example modules (analysis only reads files).
FILE = REPO / "graphs" / "fuzzed.yaml"
# Line breaks Python's str.splitlines() knows beyond YAML's (\n, \r, \x85, \u2028, \u2029).
_EXOTIC_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

TOKENS = [
    "\t",
    "  ",
    "    ",
    "- ",
    ": ",
    ":",
    "[",
    "]",
    "{",
    "}",
    ",",
    " -> ",
    "->",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!int ",
    "!!python/object:os.system ",
    "!custom ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "'",
    '"',
    "\\",
    "\x00",
    "\ufeff",
    "é",
    "日本語",
    "\U0001f642",
    "\u2028",
    "\r",
    "\r\n",
    "\x85",
    "\x0c",
    "null",
    "~",
    "true",
    "no",
    "0x1F",
    "1e400",
    ".nan",
    "-1",
    "9" * 30,
    "name: ",
    "nodes:",
    "flow: ",
    "kind: router",
    "kind: combiner",
    "python: ",
    "server: sklearn",
    "stock: mean-combiner",
    "builtin: random-abtest",
    "params: ",
    "model_uri: s3://x",
    "examples/income/labels.py:Labels",
    "../../etc/passwd.py:X",
    "/abs.py:A",
    "requirements: [numpy]",
    "image: x:1",
    "replicas: -1",
    "protocol: v2",
    "pods: per-node",
    "resources: {cpu: 1}",
    "env: {A_TOKEN: x}",
]


# --- strategies ----------------------------------------------------------------------------

_any_text = st.text(max_size=300)
_yamlish_text = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.sampled_from(TOKENS),
        st.text(alphabet="abcxyz-_.01:[]{}, >#&*!|", max_size=12),
    ).map(lambda t: " " * t[0] + t[1] + t[2]),
    max_size=25,
).map("\n".join)


@st.composite
def mutated(draw: st.DrawFn, max_edits: int = 6) -> str:
    """A seed graph with a few random edits."""
    if draw(st.integers(0, 4)) == 0:
        text = draw(valid_graphs(max_nesting=2)).text
    else:
        text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, max_edits))):
        text = _edit(draw, text)
    return text


def _edit(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    n = len(lines)
    i = draw(st.integers(0, max(n - 1, 0)))
    at = draw(st.integers(0, len(text)))
    op = draw(
        st.sampled_from(
            [
                "flip",
                "delete",
                "insert",
                "token",
                "drop-line",
                "dup-line",
                "swap-lines",
                "indent",
                "dedent",
                "tabify",
                "truncate",
                "unicode",
                "rename-key",
            ]
        )
    )
    if op == "flip" and text:
        at = min(at, len(text) - 1)
        return text[:at] + draw(st.characters()) + text[at + 1 :]
    if op == "delete":
        end = at + draw(st.integers(1, 20))
        return text[:at] + text[end:]
    if op == "insert":
        return text[:at] + draw(st.text(alphabet=" \t\n-:[]{},'\"&*!#|>a1", max_size=8)) + text[at:]
    if op == "token":
        return text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
    if op == "drop-line" and n > 1:
        return "\n".join(lines[:i] + lines[i + 1 :])
    if op == "dup-line":
        return "\n".join(lines[: i + 1] + lines[i:])
    if op == "swap-lines" and n > 1:
        j = draw(st.integers(0, n - 1))
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    if op == "indent":
        lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
        return "\n".join(lines)
    if op == "dedent":
        lines[i] = lines[i][draw(st.integers(1, 4)) :]
        return "\n".join(lines)
    if op == "tabify":
        stripped = lines[i].lstrip(" ")
        lines[i] = "\t" * draw(st.integers(1, 2)) + stripped
        return "\n".join(lines)
    if op == "truncate":
        return text[:at]
    if op == "rename-key":  # a key YAML reads as a non-string: 1, on, null, a date
        keyed = [j for j, line in enumerate(lines) if re.match(r"\s+[\w.-]+:", line)]
        if keyed:
            j = draw(st.sampled_from(keyed))
            new = draw(st.sampled_from(["1", "on", "no", "null", "~", "2024-01-01", "1.5", "0x1F"]))
            lines[j] = re.sub(r"^(\s+)[\w.-]+:", lambda m: m.group(1) + new + ":", lines[j])
        return "\n".join(lines)
    if op == "unicode":
        return text[:at] + draw(st.text(min_size=1, max_size=4)) + text[at:]
    return text


# --- the property --------------------------------------------------------------------------


def analyze(text: str) -> api.Analysis:
    return api.analyze_text(text, FILE)


def check_never_raises(text: str) -> None:
    result = analyze(text)
    lines = text.splitlines()
    exact_lines = not _EXOTIC_BREAKS.search(text)
    for d in result.diagnostics:
        where = f"{d.line}:{d.col} [{d.rule}] {d.message}\n--- text ---\n{text}"
        assert d.rule and isinstance(d.rule, str), where
        assert d.message, where
        assert d.severity in (Severity.ERROR, Severity.WARNING), where
        assert d.line >= 1 and d.col >= 1, where
        assert d.line <= len(lines) + 1, where
        if exact_lines and d.line <= len(lines):
            assert d.col <= len(lines[d.line - 1]) + 1, where
        assert d.end_col > d.col or d.end_col == 0, where
    if not result.ok and not any(d.is_error for d in result.diagnostics):
        raise AssertionError(f"not ok, but no error says why\n--- text ---\n{text}")
    result.render()
    parsed = json.loads(result.render("json"))
    assert len(parsed) == len(result.diagnostics)
    if result.ok:
        assert result.spec is not None and result.tree is not None
        graph = api.Graph(result.spec, result.tree, result)
        assert graph.manifest_yaml()


@settings(max_examples=examples(150))
@given(_any_text)
def test_random_text_never_raises(text: str) -> None:
    check_never_raises(text)


@settings(max_examples=examples(150))
@given(_yamlish_text)
def test_random_yaml_like_text_never_raises(text: str) -> None:
    check_never_raises(text)


@settings(max_examples=examples(250))
@given(mutated())
def test_mutated_graphs_never_raise(text: str) -> None:
    check_never_raises(text)


@settings(max_examples=examples(40))
@given(text=mutated(max_edits=1))
def test_mutants_the_compiler_accepts_compile_to_manifests_the_cluster_accepts(
    text: str, crd_schema: dict[str, Any]
) -> None:
    """Whatever a mutation turns a graph into: if `validate` passes, so does the cluster."""
    from seldon_graphs.manifest import check_object

    result = analyze(text)
    assume(result.ok)
    assert result.spec is not None and result.tree is not None
    sdep = api.Graph(result.spec, result.tree, result).manifest()
    errors = [f for f in check_object(sdep, crd_schema=crd_schema) if f.is_error]
    assert not errors, f"{text}\n" + "\n".join(f"{f.rule} at {f.path}: {f.message}" for f in errors)


@pytest.mark.parametrize(
    "path", [g for g in GRAPHS if not is_deployment_file(g)], ids=lambda p: p.name
)
def test_every_example_graph_is_clean(path: Path) -> None:
    """The seeds themselves: valid, and the check above holds for them."""
    assert api.analyze_text(path.read_text(encoding="utf-8"), path).ok
    check_never_raises(path.read_text(encoding="utf-8"))


# --- inputs that once crashed or were dropped: regression tests ---------------------------

NESTED_FLOW = (
    "name: deep\n"
    "nodes:\n"
    "  a: {server: sklearn, model_uri: s3://a}\n"
    "  b: {server: sklearn, model_uri: s3://b}\n"
    "flow: a -> " + "[" * 400 + "b" + "]" * 400 + "\n"
)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("name: rec\nnodes: &a\n  x: *a\n", id="anchor-in-itself-map"),
        pytest.param("name: x\nnodes: {a: &s [*s]}\n", id="anchor-in-itself-seq"),
        pytest.param("name: x\nnodes:\n  a: " + "[" * 600 + "]" * 600 + "\n", id="yaml-nested-600"),
        pytest.param(NESTED_FLOW, id="flow-brackets-nested-400"),
    ],
)
def test_self_referential_or_deeply_nested_input_is_a_diagnostic(text: str) -> None:
    result = api.analyze_text(text, FILE)
    assert not result.ok
    assert all(d.line >= 1 for d in result.diagnostics)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("name: x\nnodes:\n  1: {server: sklearn, model_uri: s3://a}\n", id="int-key"),
        pytest.param(
            "name: x\nnodes:\n  null: {server: sklearn, model_uri: s3://a}\n"
            "  b: {server: sklearn, model_uri: s3://b}\nflow: b\n",
            id="null-key",
        ),
        pytest.param(
            "name: x\nnodes:\n  on: {server: sklearn, model_uri: s3://a}\n"
            "  b: {server: sklearn, model_uri: s3://b}\nflow: on -> b\n",
            id="bool-key",
        ),
    ],
)
def test_node_key_that_is_not_a_string_is_reported_at_the_key(text: str) -> None:
    result = api.analyze_text(text, FILE)
    assert not result.ok
    at_key = [d for d in result.diagnostics if d.is_error and d.line == 3]
    assert at_key and "undefined" not in at_key[0].message, result.render()


@pytest.mark.parametrize(
    "text",
    [
        "name: !!int x\n",
        "name: !!int\n",
        "name: !!float x\n",
        "name: !!bool x\n",
        "name: !!timestamp x\n",
    ],
)
def test_malformed_tagged_scalar_is_a_diagnostic(text: str) -> None:
    result = api.analyze_text(text, FILE)
    assert any(d.line == 1 and d.rule == "yaml-syntax" for d in result.diagnostics)


@pytest.mark.parametrize("kind", ["modle", "0outer", "Routr", "output-transformer"])
def test_unknown_kind_is_a_diagnostic(kind: str) -> None:
    text = f"name: x\nnodes:\n  a: {{server: sklearn, model_uri: s3://a, kind: {kind}}}\n"
    result = api.analyze_text(text, FILE)
    assert [d.rule for d in result.diagnostics if d.is_error] == ["bad-value"]


def test_schema_errors_under_int_and_str_keys_are_reported() -> None:
    text = "name: x\nnodes:\n  1: {replicas: x}\n  b: {replicas: y}\n"
    result = api.analyze_text(text, FILE)
    assert {d.line for d in result.diagnostics if d.rule == "wrong-type"} == {3, 4}
