"""YAML features a graph file may use (merge keys) and abuse (alias bombs)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seldon_graphs.yamlpos import MAX_ALIAS_EXPANSION
from tests.helpers import analyze, rules

HEAD = (
    "name: g\nnodes:\n"
    "  a: &base {server: sklearn, model_uri: s3://m/a, params: {method: predict}}\n"
)


def _node(tmp_path: Path, text: str, name: str = "b") -> tuple[str | None, dict[str, object]]:
    result = analyze(tmp_path, text)
    assert [d for d in result.diagnostics if d.is_error] == [], result.render()
    assert result.spec is not None
    node = result.spec.node(name)
    return node.model_uri, {p.name: p.value for p in node.params}


@pytest.mark.parametrize(
    ("body", "uri", "params"),
    [
        ("{<<: *base}", "s3://m/a", {"method": "predict"}),
        ("{<<: *base, params: {tag: 2}}", "s3://m/a", {"tag": 2}),
        ("{params: {tag: 2}, <<: *base}", "s3://m/a", {"tag": 2}),
        ("{<<: *base, model_uri: s3://m/b}", "s3://m/b", {"method": "predict"}),
        ("{model_uri: s3://m/b, <<: *base}", "s3://m/b", {"method": "predict"}),
        ("\n    <<: *base\n    model_uri: s3://m/b\n", "s3://m/b", {"method": "predict"}),
    ],
)
def test_merge_keys_merge_and_explicit_keys_win(
    tmp_path: Path, body: str, uri: str, params: dict[str, object]
) -> None:
    text = HEAD + f"  b: {body}\n" + "flow: a -> b\n"
    assert _node(tmp_path, text) == (uri, params)


def test_a_list_of_merges_lets_the_earlier_mapping_win(tmp_path: Path) -> None:
    text = (
        "name: g\nnodes:\n"
        "  a: &one {server: sklearn, model_uri: s3://m/one}\n"
        "  c: &two {server: sklearn, model_uri: s3://m/two, params: {method: predict}}\n"
        "  b: {<<: [*one, *two]}\n"
        "flow: a -> c -> b\n"
    )
    assert _node(tmp_path, text) == ("s3://m/one", {"method": "predict"})


def test_a_merge_of_a_merge_carries_both(tmp_path: Path) -> None:
    text = (
        HEAD + "  c: &more {<<: *base, secret: creds}\n"
        "  b: {<<: *more, model_uri: s3://m/b}\n"
        "flow: a -> c -> b\n"
    )
    result = analyze(tmp_path, text)
    assert result.spec is not None, result.render()
    b = result.spec.node("b")
    assert (b.model_uri, b.secret, b.implementation) == ("s3://m/b", "creds", "SKLEARN_SERVER")


def test_explicit_duplicates_are_still_reported_beside_a_merge(tmp_path: Path) -> None:
    text = HEAD + "  b: {<<: *base, model_uri: s3://m/b, model_uri: s3://m/c}\nflow: a -> b\n"
    result = analyze(tmp_path, text)
    (dup,) = [d for d in result.diagnostics if d.rule == "duplicate-key"]
    assert (dup.line, dup.col) == (4, 39)


@pytest.mark.parametrize("value", ["3", "[*base, 3]", "hello"])
def test_merging_a_non_mapping_is_an_error_with_help(tmp_path: Path, value: str) -> None:
    result = analyze(tmp_path, HEAD + f"  b: {{<<: {value}}}\nflow: a -> b\n")
    merge = [d for d in result.diagnostics if d.rule == "yaml-merge"]
    assert len(merge) == 1 and merge[0].line == 4 and merge[0].help


BOMB = """name: bomb
nodes:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
flow: a
"""
MEMORY_LIMIT = 512 * 2**20


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (30, 30))


def test_an_alias_bomb_is_one_diagnostic_under_bounded_memory_and_time(tmp_path: Path) -> None:
    """The real CLI in a process limited to 512 MiB and 30 s of CPU (the bomb expands to
    387 million values; expanded, it needs far more than a gigabyte)."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    graph = tmp_path / "bomb.yaml"
    graph.write_text(BOMB, encoding="utf-8")
    cli = Path(sys.executable).with_name("seldon-graphs")
    started = time.monotonic()
    done = subprocess.run(
        [str(cli), "validate", str(graph)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited,
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    out = done.stdout + done.stderr
    assert "bomb.yaml:8:6: error: the aliases here repeat values into more than 100,000" in out
    assert "[yaml-aliases]" in out and "help: " in out
    assert out.count("[yaml-aliases]") == 1 and "1 error, 0 warnings" in out
    assert elapsed < 30


def test_aliases_within_the_budget_are_fine(tmp_path: Path) -> None:
    """A big but honest use of anchors: every node merges one shared body."""
    count = MAX_ALIAS_EXPANSION // 20
    nodes = "".join(f"  n{i}: {{<<: *base}}\n" for i in range(count))
    flow = 'flow: "[a, ' + ", ".join(f"n{i}" for i in range(count)) + '] -> k"\n'
    text = HEAD + "  k: {stock: mean-combiner}\n" + nodes + flow
    result = analyze(tmp_path, text)
    assert "yaml-aliases" not in rules(result)
