"""The CRD check: loading and caching the schema, and applying it as the API server does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from seldon_graphs.manifest import CrdError, check_object, load_crd_schema
from seldon_graphs.manifest import crd as crd_module

from .conftest import CRD_FILE, needs_crd, predictor, sdep


def chain(depth: int) -> dict[str, Any]:
    graph: dict[str, Any] = {"name": f"n{depth}", "type": "MODEL"}
    for i in range(depth - 1, 0, -1):
        graph = {"name": f"n{i}", "type": "TRANSFORMER", "children": [graph]}
    return graph


def schema_findings(obj: dict[str, Any], schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (f.rule, f.seldon_text or f.message)
        for f in check_object(obj, crd_schema=schema)
        if f.rule.startswith("crd-")
    ]


@needs_crd
def test_the_schema_is_the_v1_openapi_schema(crd_schema: dict[str, Any]) -> None:
    spec = crd_schema["properties"]["spec"]
    assert spec["required"] == ["predictors"]
    assert spec["properties"]["predictors"]["items"]["required"] == ["graph", "name"]


@needs_crd
def test_cached_on_disk_by_content_and_in_process(tmp_path: Path) -> None:
    crd_module._MEMORY.clear()
    first = load_crd_schema(CRD_FILE, cache_dir=tmp_path)
    cached = list(tmp_path.glob("crd-*.json"))
    assert len(cached) == 1 and len(cached[0].stem) == len("crd-") + 64
    assert load_crd_schema(CRD_FILE, cache_dir=tmp_path) is first  # in-process
    crd_module._MEMORY.clear()
    assert load_crd_schema(CRD_FILE, cache_dir=tmp_path) == first  # from the disk cache


def test_a_read_only_cache_directory_is_not_an_error(tmp_path: Path) -> None:
    crd_file = tmp_path / "crd.yaml"
    crd_file.write_text(yaml.safe_dump(_tiny_crd()))
    blocker = tmp_path / "file"
    blocker.write_text("")
    schema = load_crd_schema(crd_file, cache_dir=blocker / "cache")  # cannot mkdir under a file
    assert schema["properties"]["spec"]["required"] == ["predictors"]


def _tiny_crd(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "machinelearning.seldon.io",
            "names": {"kind": "SeldonDeployment"},
            "versions": [
                {
                    "name": "v1",
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "kind": {"type": "string"},
                                "spec": {"type": "object", "required": ["predictors"]},
                            },
                        }
                    },
                }
            ],
        },
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: Deployment\napiVersion: apps/v1\n", "is not a CustomResourceDefinition"),
        ("- a\n- b\n", "is not a CustomResourceDefinition"),
        ("a: [\n", "is not valid YAML or JSON"),
        (
            yaml.safe_dump(
                _tiny_crd(
                    spec={"group": "serving.kserve.io", "names": {"kind": "InferenceService"}}
                )
            ),
            "is the CRD of InferenceService.serving.kserve.io, not of SeldonDeployment",
        ),
        (
            yaml.safe_dump(
                _tiny_crd(
                    spec={
                        "group": "machinelearning.seldon.io",
                        "names": {"kind": "SeldonDeployment"},
                        "versions": [{"name": "v2"}],
                    }
                )
            ),
            "has no openAPIV3Schema for version v1",
        ),
    ],
)
def test_a_file_that_is_not_the_seldondeployment_crd(
    tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "crd.yaml"
    bad.write_text(content)
    with pytest.raises(CrdError, match=message):
        load_crd_schema(bad, cache_dir=tmp_path)


def test_missing_crd_file(tmp_path: Path) -> None:
    with pytest.raises(CrdError, match="cannot read the CRD file"):
        load_crd_schema(tmp_path / "nope.yaml", cache_dir=tmp_path)


def test_a_bare_schema_is_accepted(tmp_path: Path) -> None:
    bare = _tiny_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    file = tmp_path / "schema.json"
    file.write_text(json.dumps(bare))
    assert load_crd_schema(file, cache_dir=tmp_path) == bare


@needs_crd
def test_valid_object_passes(crd_schema: dict[str, Any]) -> None:
    assert check_object(sdep(), crd_schema=crd_schema) == []


@needs_crd
def test_depth_12_is_reported_though_jsonschema_alone_misses_it(
    crd_schema: dict[str, Any],
) -> None:
    obj = sdep(predictor(graph=chain(12)))
    assert list(jsonschema.Draft7Validator(crd_schema).iter_errors(obj)) == []
    found = check_object(obj, crd_schema=crd_schema)
    assert [(f.rule, f.severity) for f in found] == [("graph-depth", "error")]
    assert check_object(sdep(predictor(graph=chain(11))), crd_schema=crd_schema) == []


@needs_crd
def test_required_fields_read_like_the_api_server(crd_schema: dict[str, Any]) -> None:
    p = predictor()
    del p["graph"]
    assert schema_findings(sdep(p), crd_schema) == [
        ("crd-required", "spec.predictors[0].graph: Required value")
    ]
    p = predictor()
    del p["graph"]["name"]
    assert ("crd-required", "spec.predictors[0].graph.name: Required value") in schema_findings(
        sdep(p), crd_schema
    )


@needs_crd
def test_wrong_types_read_like_the_api_server(crd_schema: dict[str, Any]) -> None:
    p = predictor(
        graph={"name": "classifier", "parameters": [{"name": "n", "value": 3, "type": "INT"}]}
    )
    p["traffic"] = "100"
    found = check_object(sdep(p), crd_schema=crd_schema)
    by_rule = [(f.rule, f.seldon_text, f.help) for f in found]
    assert by_rule == [
        (
            "crd-type",
            'spec.predictors[0].graph.parameters[0].value: Invalid value: "integer": '
            "spec.predictors[0].graph.parameters[0].value in body must be of type string: "
            '"integer"',
            'quote it: "3" (the field is a string; unquoted, YAML reads 3 as a number)',
        ),
        (
            "crd-type",
            'spec.predictors[0].traffic: Invalid value: "string": spec.predictors[0].traffic '
            'in body must be of type integer: "string"',
            "write it without quotes: 100",
        ),
    ]  # and no second report of the unquoted parameter from the extra rules


@needs_crd
def test_int_or_string(crd_schema: dict[str, Any]) -> None:
    p = predictor()
    p["componentSpecs"][0]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": True}}
    found = schema_findings(sdep(p), crd_schema)
    assert len(found) == 1 and "must be of type integer,string" in found[0][1]


@needs_crd
def test_nulls_are_pruned_not_rejected(crd_schema: dict[str, Any]) -> None:
    p = predictor()
    p["componentSpecs"][0]["metadata"] = {"creationTimestamp": None}
    p["replicas"] = None
    assert check_object(sdep(p), crd_schema=crd_schema) == []


@needs_crd
def test_unknown_fields_are_reported_with_a_suggestion(crd_schema: dict[str, Any]) -> None:
    p = predictor()
    p["graph"]["modelURI"] = "s3://x"
    p["componentSpecs"][0]["spec"]["containers"][0]["imagePolicy"] = "Always"
    obj = sdep(p)
    obj["metadata"]["label"] = {"a": "b"}
    found = [f for f in check_object(obj, crd_schema=crd_schema)]
    assert [(f.rule, f.path[-1], f.help, f.on_key) for f in found] == [
        ("crd-unknown-field", "label", "did you mean `labels`?", True),
        ("crd-unknown-field", "imagePolicy", "did you mean `imagePullPolicy`?", True),
        ("crd-unknown-field", "modelURI", "did you mean `modelUri`?", True),
    ]


@needs_crd
def test_maps_and_preserved_fields_are_open(crd_schema: dict[str, Any]) -> None:
    p = predictor()
    p["annotations"] = {"anything": "goes"}
    p["labels"] = {"team": "a"}
    obj = sdep(p)
    obj["metadata"]["annotations"] = {"x": "y"}
    assert check_object(obj, crd_schema=crd_schema) == []
