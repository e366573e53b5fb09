"""docs/dsl.md: a stated `kind` is honoured, or an error says why it cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import analyze, roles

KINDS = ("model", "transformer", "output_transformer", "router", "combiner")


@pytest.mark.parametrize("builtin", ["random-abtest", "average-combiner", "simple-router"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_kind_on_a_builtin_is_an_error_at_the_kind(
    tmp_path: Path, builtin: str, kind: str
) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        nodes:
          u: {{builtin: {builtin}, kind: {kind}}}
          a: {{python: models.py:Model}}
        flow: u -> a
        """,
    )
    [bad] = [d for d in result.diagnostics if d.rule == "bad-kind"]
    assert (bad.line, bad.col, bad.help) == (3, 24 + len(builtin), "remove `kind`")


@pytest.mark.parametrize(
    ("flow", "kind", "expected"),
    [
        ("k -> a", "model", [("k", "MODEL", ["a"]), ("a", "MODEL", [])]),
        ("k -> a", "transformer", [("k", "TRANSFORMER", ["a"]), ("a", "MODEL", [])]),
        ("a -> k", "transformer", [("a", "TRANSFORMER", ["k"]), ("k", "TRANSFORMER", [])]),
        (
            "k -> a",
            "output_transformer",
            [("a", "OUTPUT_TRANSFORMER", ["k"]), ("k", "OUTPUT_TRANSFORMER", [])],
        ),
        ("k -> a", "router", [("k", "ROUTER", ["a"]), ("a", "MODEL", [])]),
        ("a -> k", "combiner", [("k", "COMBINER", ["a"]), ("a", "MODEL", [])]),
    ],
)
def test_a_kind_on_a_python_node_is_its_role(
    tmp_path: Path, flow: str, kind: str, expected: list[tuple[str, str, list[str]]]
) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        nodes:
          k: {{python: models.py:Model, kind: {kind}}}
          a: {{python: models.py:Model}}
        flow: {flow}
        """,
    )
    assert roles(result) == expected
