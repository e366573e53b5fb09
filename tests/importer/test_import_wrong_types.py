"""A value of the wrong type anywhere in a manifest never makes import crash: each case
ends in files or in an error diagnostic (the CRD check is where such manifests are judged;
`check-manifest` says what is wrong with them)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.importer import import_text

from .builders import sdep, unit

BASE = sdep(
    unit(
        "t",
        "TRANSFORMER",
        unit("m", "MODEL", parameters=[{"name": "a", "value": "1", "type": "INT"}]),
    ),
    containers={
        "m": {"env": [{"name": "A", "value": "1"}], "resources": {"requests": {"cpu": "1"}}}
    },
)
JUNK: list[Any] = [None, 1, "x", [], {}, [1], {"a": 1}, True, 1.5, [None], [{"x": []}]]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at] if at else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


def _replaced(path: tuple[Any, ...], junk: Any) -> dict[str, Any]:
    obj = copy.deepcopy(BASE)
    parent: Any = obj
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = junk
    return obj


@pytest.mark.parametrize("path", _paths(BASE), ids=lambda p: ".".join(map(str, p)))
def test_wrong_types_never_crash(path: tuple[Any, ...], tmp_path: Path) -> None:
    for junk in JUNK:
        outcome = import_text(json.dumps(_replaced(path, junk)), "x.json", tmp_path)
        assert outcome.files or outcome.failed, (junk, outcome.diagnostics)
