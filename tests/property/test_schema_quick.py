"""schema_quick.surely_valid never vouches for a file jsonschema faults, and vouches for the
valid graph files (so `validate` of a good file does not import jsonschema)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from seldon_graphs.schema_check import graph_schema
from seldon_graphs.schema_quick import surely_valid
from tests.property.conftest import REPO, examples
from tests.property.graphgen import GeneratedGraph, valid_graphs

VALIDATOR = jsonschema.Draft7Validator(graph_schema())
CORPUS = sorted((REPO / "tests" / "bad_graphs").glob("*.yaml"))
EXAMPLES = sorted((REPO / "graphs").glob("*.yaml")) + sorted((REPO / "examples").rglob("*.yaml"))

# Values a careless edit puts in a graph file: wrong types, integral floats, booleans where
# numbers go, near-miss enum words, negative counts, empty containers.
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([2.0, 0.5, -1.0, float("nan")]),
    st.sampled_from(["", "seldon", "v2", "rest", "grpc", "single", "per-node", "sklearn",
                     "model", "INT", "a.py:Model", "a.py", "docker.io/x/y:1", "x"]),
    st.lists(st.sampled_from(["a", 1, None]), max_size=2),
    st.dictionaries(st.sampled_from(["a", "image", "server", "kind"]), st.just("x"), max_size=2),
)  # fmt: skip


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in `doc` (the root excluded)."""
    out = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    )
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


@st.composite
def mutated(draw: Any) -> dict[str, Any]:
    """A valid graph file's document with one to three careless edits."""
    graph: GeneratedGraph = draw(valid_graphs())
    doc = copy.deepcopy(graph.doc)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        edit = draw(st.sampled_from(["replace", "delete", "add"]))
        if edit == "replace" or isinstance(parent, list):
            parent[path[-1]] = draw(_values)
        elif edit == "delete":
            del parent[path[-1]]
        else:
            parent[draw(st.sampled_from(["extra", "image", "kind", "params", "replicas"]))] = draw(
                _values
            )
    return doc


@settings(max_examples=examples(300))
@given(mutated())
def test_it_never_vouches_for_a_document_jsonschema_faults(doc: dict[str, Any]) -> None:
    if surely_valid(graph_schema(), doc):
        assert list(VALIDATOR.iter_errors(doc)) == []


@settings(max_examples=examples(100))
@given(valid_graphs())
def test_it_vouches_for_every_valid_generated_graph(graph: GeneratedGraph) -> None:
    doc = yaml.safe_load(graph.text)
    assert list(VALIDATOR.iter_errors(doc)) == []
    assert surely_valid(graph_schema(), doc)


@pytest.mark.parametrize("path", CORPUS + EXAMPLES, ids=lambda p: p.name)
def test_it_agrees_on_the_corpus_and_the_examples(path: Path) -> None:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        pytest.skip("not YAML: the parser reports it before any schema check")
    if surely_valid(graph_schema(), doc):
        assert list(VALIDATOR.iter_errors(doc)) == []
    elif isinstance(doc, dict) and path in EXAMPLES:
        assert list(VALIDATOR.iter_errors(doc)) != [], "a valid example took the slow path"


@pytest.mark.parametrize(
    ("schema", "instance", "expected"),
    [
        ({"type": "integer"}, 2.0, False),  # jsonschema 3.2 may accept it: ask it
        ({"type": "integer"}, True, False),
        ({"type": "number", "minimum": 0}, -1, False),
        ({"type": ["string", "null"]}, None, True),
        ({"enum": [1]}, True, False),
        ({"additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}, False),
        ({"additionalProperties": {"type": "string"}}, {"b": "x"}, True),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 3, True),
        ({"items": {"type": "string"}, "minItems": 1}, [], False),
        ({"$ref": "#/definitions/x"}, 1, False),  # a keyword it does not know
        ({"x-error": "help text", "description": "d"}, 1, True),
    ],
)
def test_keywords(schema: dict[str, Any], instance: Any, expected: bool) -> None:
    assert surely_valid(schema, instance) is expected


@pytest.mark.parametrize(
    ("graphs", "expected"),
    [
        (["graphs/iris.yaml", "graphs/income.yaml"], "0 False"),  # good files: never imported
        (["tests/bad_graphs/unknown-key.yaml"], "1 True"),  # a schema problem: reported by it
    ],
)
def test_validate_imports_jsonschema_only_for_a_file_that_needs_it(
    graphs: list[str], expected: str
) -> None:
    code = (
        f"import sys; from seldon_graphs import cli; code = cli.main(['validate', *{graphs!r}]); "
        "print(code, 'jsonschema' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] == expected, done.stderr
