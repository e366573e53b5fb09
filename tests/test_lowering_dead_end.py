"""A dead end beside a join: a branch that ends (or whose flow text names an undefined node,
dropping its edges) makes the node after it look like a separate exit, so two groups of
branches each rejoin at the same node. That is not series-parallel, and must say so; the
decomposer walked the rejoin twice and crashed (StopIteration) instead. Found by
tests/property/test_no_traceback.py on a mutated graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import analyze

NODES = "".join(f"  {n}: {{python: models.py:Model}}\n" for n in "abcdefgmn")


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        (
            '["[a, c, d]", "a -> [b, e, g]", "e -> m", "g -> m", "c -> m", "d -> f -> m",'
            ' "m -> n"]',
            [("not-series-parallel", "`c -> m`: `m` also consumes `e`'s output")],
        ),
        (
            "a -> [b -> zz -> [c, d -> f], e, g] -> m -> n",
            [
                ("undefined-node", "undefined node `zz` in flow"),
                ("not-series-parallel", "`c -> m`: `m` also consumes `e`'s output"),
            ],
        ),
    ],
    ids=["written", "undefined-node"],
)
def test_a_rejoin_reached_from_two_groups_is_not_series_parallel(
    tmp_path: Path, flow: str, expected: list[tuple[str, str]]
) -> None:
    result = analyze(tmp_path, f"name: g\nnodes:\n{NODES}flow: {flow}\n")
    found = [(d.rule, d.message) for d in result.diagnostics]
    assert [rule for rule, _ in found] == [rule for rule, _ in expected], found
    for (_, message), (_, part) in zip(found, expected, strict=True):
        assert part in message
    assert result.tree is None
