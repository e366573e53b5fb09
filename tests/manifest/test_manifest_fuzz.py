"""Property tests: whatever the manifest holds, the checks report, never crash."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seldon_graphs.manifest import check_object, check_text

from .conftest import predictor, sdep

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.floats(allow_nan=False),
    st.sampled_from(["", "MODEL", "ROUTER", "UNKNOWN_TYPE", "SKLEARN_SERVER", "RANDOM_ABTEST"]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _base() -> dict[str, Any]:
    graph = {
        "name": "c",
        "type": "COMBINER",
        "logger": {"mode": "all"},
        "children": [
            {"name": "a", "parameters": [{"name": "n", "value": "1", "type": "INT"}]},
            {"name": "b", "implementation": "SKLEARN_SERVER", "modelUri": "s3://m"},
        ],
    }
    p = predictor(graph=graph, containers=("c", "a"))
    p["traffic"] = 100
    return sdep(p, protocol="seldon", transport="rest")


BASE = _base()
PATHS = _paths(BASE)[1:]


def mutate(mutations: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    """BASE with each (path, value) set, where the path still leads somewhere."""
    obj = copy.deepcopy(BASE)
    for path, value in mutations:
        target: Any = obj
        with contextlib.suppress(KeyError, IndexError, TypeError):
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
    return obj


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=4))
def test_mutated_objects_never_crash(mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    for finding in check_object(mutate(mutations)):
        assert finding.severity in ("error", "warning") and finding.message


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_diagnostics_with_positions(text: str) -> None:
    for d in check_text(text, "f.yaml"):
        assert d.line >= 1 and d.col >= 1 and d.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
def test_mutated_objects_never_crash_the_crd_check(
    crd_schema: dict[str, Any], mutations: list[tuple[tuple[Any, ...], Any]]
) -> None:
    for finding in check_object(mutate(mutations), crd_schema=crd_schema):
        assert finding.message


EDITS = st.lists(
    st.tuples(
        st.integers(0, 10_000), st.integers(0, 3), st.sampled_from(list(" :-[]{}\"'\n\tab1&*"))
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(EDITS)
def test_mutated_yaml_gives_diagnostics_not_tracebacks(edits: list[tuple[int, int, str]]) -> None:
    from .test_manifest_check import GOOD

    text = GOOD
    for at, cut, char in edits:
        at %= len(text) + 1
        text = text[:at] + char + text[at + cut :]
    for d in check_text(text, "f.yaml"):
        assert d.line >= 1 and d.col >= 1 and d.message
