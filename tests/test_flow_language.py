"""The flow language in every YAML spelling: exact positions, order of writing, tokens, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seldon_graphs.explain import explain_lines
from tests.helpers import analyze, roles, rules

SK = "{server: sklearn, model_uri: s3://m/x}"
# Declared in the reverse of the flow's order: a fallback to `nodes:` order would show.
NODES = f"""name: g
nodes:
  w: {{stock: weighted-combiner, params: {{weights: "1,3"}}}}
  second: {SK}
  first: {SK}
  pre: {{python: models.py:Model}}
"""
WITH_PRE = [
    ("pre", "TRANSFORMER", ["w"]),
    ("w", "COMBINER", ["first", "second"]),
    ("first", "MODEL", []),
    ("second", "MODEL", []),
]
ENTRIES = [("w", "COMBINER", ["first", "second"]), ("first", "MODEL", []), ("second", "MODEL", [])]

# `{b}` is where the second model's name goes; each spelling means `[first, second] -> w`.
SPELLINGS = {
    "plain": ("flow: pre -> [first, {b}] -> w\n", WITH_PRE),
    "plain, no spaces": ("flow: pre->[first,{b}]->w\n", WITH_PRE),
    "plain, tabs": ("flow: pre\t->\t[first,\t{b}]\t-> w\n", WITH_PRE),
    "plain over lines": ("flow: pre ->\n  [first,\n   {b}]\n  -> w\n", WITH_PRE),
    "single-quoted": ("flow: '[first, {b}] -> w'\n", ENTRIES),
    "single-quoted over lines": ("flow: 'pre ->\n    [first,\n\n     {b}] -> w'\n", WITH_PRE),
    "double-quoted": ('flow: "[first, {b}] -> w"\n', ENTRIES),
    "double-quoted, escapes before": ('flow: "pre\\t->\\x20[first,\\u0020{b}] -> w"\n', WITH_PRE),
    "double-quoted, escaped break": ('flow: "pre -> [first,\\\n    {b}] -> w"\n', WITH_PRE),
    "literal": ("flow: |\n  [first, {b}]\n  -> w\n", ENTRIES),
    "literal, strip": ("flow: |-\n  [first, {b}] -> w\n", ENTRIES),
    "literal, keep": ("flow: |+\n  [first, {b}] -> w\n\n\n", ENTRIES),
    "literal, indent indicator": ("flow: |2-\n     [first,\n       {b}]\n    -> w\n", ENTRIES),
    "folded": ("flow: >\n  [first, {b}] -> w\n", ENTRIES),
    "folded, strip": ("flow: >-\n  [first, {b}] -> w\n", ENTRIES),
    "folded, header comment": ("flow: >- # ensemble\n  [first,\n     {b}]\n\n  -> w\n", ENTRIES),
    "folded, indicators": ("flow: >2+\n    pre\n   -> [first, {b}]\n  -> w\n", WITH_PRE),
    "folded, CRLF": ("flow: >-\r\n  pre -> [first,\r\n  {b}] -> w\r\n", WITH_PRE),
    "anchored and tagged": ("flow: &f !!str pre -> [first, {b}] -> w\n", WITH_PRE),
    "tagged block": ("flow: !!str >-\n  pre -> [first,\n  {b}] -> w\n", WITH_PRE),
    "anchored quote": ("flow: &f '[first, {b}] -> w'\n", ENTRIES),
    "flow sequence": ("flow: [pre -> first -> w, 'pre ->\n    {b} -> w']\n", WITH_PRE),
    "list of plain": ("flow:\n  - pre -> first -> w\n  - pre -> {b} -> w\n", WITH_PRE),
    "list of blocks": (
        "flow:\n  - >-\n    pre ->\n    [first, {b}]\n  - |\n     first -> w\n  - '{b} -> w'\n",
        WITH_PRE,
    ),
}


def _graph(spelling: str, b: str) -> str:
    template, _ = SPELLINGS[spelling]
    text = NODES if "pre" in template else NODES.replace("  pre: {python: models.py:Model}\n", "")
    text = text.replace("\n", "\r\n") if "CRLF" in spelling else text
    return text + template.format(b=b)


def _occurrences(text: str, token: str) -> set[tuple[int, int, int]]:
    """(line, col, end_col) of every time `token` is written, found by plain text search."""
    out = set()
    for n, line in enumerate(re.split(r"\r\n|\n", text), start=1):
        for m in re.finditer(rf"(?<![a-z-]){re.escape(token)}(?![\w-])", line):
            out.add((n, m.start() + 1, m.end() + 1))
    return out


WRITTEN = list(SPELLINGS)


@pytest.mark.parametrize("spelling", WRITTEN)
def test_branch_order_is_the_order_of_writing_in_every_spelling(
    tmp_path: Path, spelling: str
) -> None:
    result = analyze(tmp_path, _graph(spelling, "second"))
    assert rules(result) == [], result.render()
    assert roles(result) == SPELLINGS[spelling][1]


@pytest.mark.parametrize("spelling", WRITTEN)
def test_a_misspelt_name_is_reported_at_its_exact_line_and_column(
    tmp_path: Path, spelling: str
) -> None:
    text = _graph(spelling, "secnd")
    result = analyze(tmp_path, text)
    found = {(d.line, d.col, d.end_col) for d in result.diagnostics if d.rule == "undefined-node"}
    assert found == _occurrences(text, "secnd"), result.render()
    # and the rendered caret sits under the name
    shown = result.render()
    assert "^~~~~" in shown


def test_an_escaped_name_is_located_from_the_raw_text(tmp_path: Path) -> None:
    """`\\x73ecnd` is `secnd`: the caret covers the escape and the rest of the name."""
    result = analyze(tmp_path, NODES + 'flow: "pre -> [first, \\x73ecnd] -> w"\n')
    (diag,) = result.diagnostics
    assert (diag.rule, diag.line, diag.col, diag.end_col) == ("undefined-node", 7, 23, 31)


@pytest.mark.parametrize(
    ("flow", "line", "col", "end_col", "message"),
    [
        ("flow: >-\n  pre ->\n  => w\n", 9, 3, 4, "unexpected `=` in flow"),
        ("flow: |\n  pre ->\n", 8, 9, 10, "the flow ends where a node name was expected"),
        ("flow: |\n  pre -> [first,\n    second w]\n", 9, 12, 13, "expected `,` or `]`"),
        ("flow: 'pre ->\n  ->  w'\n", 8, 3, 5, "expected a node name before `->`"),
        ('flow: "pre\\t->\\n  [first second]"\n', 7, 26, 32, "expected `,` or `]`"),
    ],
)
def test_syntax_errors_inside_block_and_quoted_flows_point_at_the_token(
    tmp_path: Path, flow: str, line: int, col: int, end_col: int, message: str
) -> None:
    result = analyze(tmp_path, NODES + flow)
    syntax = [d for d in result.diagnostics if d.rule == "flow-syntax"]
    assert [(d.line, d.col, d.end_col) for d in syntax] == [(line, col, end_col)], result.render()
    assert syntax[0].message.startswith(message)


@pytest.mark.parametrize(
    ("flow", "edges"),
    [
        ("a->b", [("a", "b")]),
        ("a-b->c", [("a-b", "c")]),
        ("a-b -> c", [("a-b", "c")]),
        ("a ->b->  c", [("a", "b"), ("b", "c")]),
        ("a\t->\tb", [("a", "b")]),
        ("a->[b,c-d]->e", [("a", "b"), ("a", "c-d"), ("b", "e"), ("c-d", "e")]),
        ("a.1-x->b_2", [("a.1-x", "b_2")]),
    ],
)
def test_arrows_need_no_spaces_and_names_keep_their_dashes(
    tmp_path: Path, flow: str, edges: list[tuple[str, str]]
) -> None:
    names = sorted({n for e in edges for n in e})
    nodes = "".join(f"  {n}: {{python: models.py:Model}}\n" for n in names)
    result = analyze(tmp_path, f"name: g\nnodes:\n{nodes}flow: {flow}\n")
    assert result.spec is not None
    assert [(e.src, e.dst) for e in result.spec.edges] == edges
    assert "flow-syntax" not in rules(result)


@pytest.mark.parametrize(
    "flow",
    [
        "a -> -> b",
        "-> a",
        "a ->",
        "a -> []",
        "a -> [b c]",
        "a -> [b,",
        "a => b",
        "a -> b]",
        "a -> [, b]",
        "a -> [b] c",
        "'a -> ' ",
        '"a -> [b" ',
    ],
)
def test_every_flow_syntax_error_has_a_help_line(tmp_path: Path, flow: str) -> None:
    nodes = "".join(f"  {n}: {{python: models.py:Model}}\n" for n in "abc")
    result = analyze(tmp_path, f"name: g\nnodes:\n{nodes}flow: {flow}\n")
    syntax = [d for d in result.diagnostics if d.rule == "flow-syntax"]
    assert syntax, result.render()
    assert all(d.help for d in syntax), result.render()
    assert all(d.line == 6 for d in syntax)


@pytest.mark.parametrize(
    ("flow", "at"),
    [
        ("a -> [b, b] -> w", (9, 16)),
        ('"[b, b] -> w"', (9, 12)),
        ("a -> [b -> c, b -> d]", (9, 21)),
        ("a -> [[b, c] -> m, b] -> w", (9, 26)),
        ("a -> [b, [c, b] -> m] -> w", (9, 20)),
    ],
)
def test_a_node_that_starts_two_branches_of_one_group_is_an_error(
    tmp_path: Path, flow: str, at: tuple[int, int]
) -> None:
    nodes = "".join(
        f"  {n}: {{stock: mean-combiner}}\n" if n in "mw" else f"  {n}: {SK}\n" for n in "abcdmw"
    )
    result = analyze(tmp_path, f"name: g\nnodes:\n{nodes}flow: {flow}\n")
    repeats = [d for d in result.diagnostics if d.rule == "duplicate-branch"]
    assert [(d.line, d.col, d.end_col) for d in repeats] == [(*at, at[1] + 1)], result.render()
    assert repeats[0].help is not None


def test_the_same_edge_in_two_chains_of_a_list_is_not_a_repeat(tmp_path: Path) -> None:
    text = f"name: g\nnodes:\n  a: {{python: models.py:Model}}\n  b: {SK}\n"
    result = analyze(tmp_path, text + "flow:\n  - a -> b\n  - a -> b\n")
    assert rules(result) == []


def test_explain_shows_the_written_order_for_a_folded_flow(tmp_path: Path) -> None:
    result = analyze(tmp_path, _graph("folded, strip", "second"))
    assert result.tree is not None
    drawn = [line.lstrip("├└─│ ").split()[0] for line in explain_lines(result.tree)]
    assert drawn == ["w", "first", "second"]
