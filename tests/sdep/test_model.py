"""The typed SeldonDeployment: reading any manifest and writing it back loses nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from seldon_graphs import emit, sdep
from tests.helpers import SHARED

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(
    p for p in (SHARED / "seldon" / "examples").glob("*/*") if p.suffix in (".json", ".yaml")
)
GOLDENS = sorted((ROOT / "tests" / "golden").glob("*.yaml"))


def _documents(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
    return [d for d in docs if isinstance(d, dict)]


def test_every_shared_example_is_read() -> None:
    assert len(EXAMPLES) == 39  # valid, more, invalid, local: all of them, not a few


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_round_trip_of_seldons_examples(path: Path) -> None:
    for doc in _documents(path):
        model = sdep.read(doc)
        # json.dumps compares the key order too, not only the content.
        assert json.dumps(model.to_dict()) == json.dumps(doc)
        assert model.kind == "SeldonDeployment" and model.predictors


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.name)
def test_round_trip_of_the_goldens_is_byte_identical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert emit.to_yaml(sdep.read(yaml.safe_load(text)).to_dict()) == text


def test_fields_are_typed_and_unknown_keys_kept() -> None:
    doc = {
        "spec": {
            "predictors": [
                {
                    "name": "main",
                    "traffic": 90,
                    "shadow": False,
                    "future": {"x": 1},
                    "componentSpecs": [
                        {"hpaSpec": {"maxReplicas": 3}, "pdbSpec": {"minAvailable": "50%"}}
                    ],
                    "explainer": {"type": "AnchorTabular", "modelUri": "s3://e"},
                    "graph": {
                        "name": "m",
                        "parameters": [{"name": "a", "type": "INT", "value": "1"}],
                        "children": [{"name": "c", "endpoint": {"type": "REST"}}],
                    },
                }
            ]
        }
    }
    p = sdep.read(doc).predictors[0]
    assert (p.name, p.traffic, p.shadow, p.extra) == ("main", 90, False, {"future": {"x": 1}})
    assert p.components[0].hpa_spec == sdep.HpaSpec(max_replicas=3, order=("maxReplicas",))
    assert p.components[0].pdb_spec is not None
    assert p.components[0].pdb_spec.min_available == "50%"
    assert p.explainer is not None and p.explainer.type == "AnchorTabular"
    assert p.graph is not None and p.graph.parameters is not None
    assert p.graph.parameters[0].value == "1"
    assert [u.name for u in p.units] == ["m", "c"]
    assert p.graph.kids[0].endpoint is not None and p.graph.kids[0].endpoint.type == "REST"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("traffic", "50"),
        ("traffic", True),  # a bool is not an int32
        ("shadow", "yes"),
        ("name", 7),
        ("labels", {"version": 1}),
        ("componentSpecs", [{"spec": {}}, "not a mapping"]),
        ("graph", ["a"]),
        ("replicas", None),
    ],
)
def test_a_value_of_the_wrong_type_reads_as_absent_and_is_kept(field: str, value: Any) -> None:
    doc = {"name": "p", field: value} if field != "name" else {field: value}
    p = sdep.Predictor.from_dict(doc)
    assert getattr(p, _attr(field)) is None
    assert p.extra[field] == value and p.has(field)
    assert p.to_dict() == doc


def _attr(field: str) -> str:
    return {"componentSpecs": "component_specs"}.get(field, field)


def test_children_that_are_not_all_units_are_kept_whole() -> None:
    doc = {"name": "r", "children": [{"name": "a"}, 5], "type": "ROUTER"}
    unit = sdep.PredictiveUnit.from_dict(doc)
    assert unit.kids == () and unit.extra == {"children": [{"name": "a"}, 5]}
    assert json.dumps(unit.to_dict()) == json.dumps(doc)


def test_deep_graphs_read_and_write_without_recursion() -> None:
    root: dict[str, Any] = {"name": "n0"}
    node = root
    for i in range(1, 5001):
        child = {"name": f"n{i}"}
        node["children"] = [child]
        node = child
    unit = sdep.PredictiveUnit.from_dict(root)
    assert sum(1 for _ in unit.walk()) == 5001
    out = unit.to_dict()
    depth = 0
    while "children" in out:
        out, depth = out["children"][0], depth + 1
    assert (depth, out) == (5000, {"name": "n5000"})


def test_built_objects_write_in_compiles_key_order() -> None:
    unit = sdep.PredictiveUnit(
        children=(),
        logger=sdep.Logger(url="http://l", mode="all"),
        name="n",
        implementation="SKLEARN_SERVER",
        type="MODEL",
        model_uri="s3://m",
    )
    assert list(unit.to_dict()) == [
        "name",
        "type",
        "implementation",
        "modelUri",
        "logger",
        "children",
    ]
    assert list(unit.to_dict()["logger"]) == ["mode", "url"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "name",
        "type",
        "implementation",
        "modelUri",
        "children",
        "parameters",
        "logger",
        "endpoint",
        "methods",
        "traffic",
        "graph",
        "componentSpecs",
        "hpaSpec",
        "spec",
        "x",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _json, max_size=6))
def test_any_mapping_round_trips(doc: dict[str, Any]) -> None:
    for cls in (sdep.SeldonDeployment, sdep.Predictor, sdep.PredictiveUnit, sdep.ComponentSpec):
        assert json.dumps(cls.from_dict(doc).to_dict()) == json.dumps(doc)
