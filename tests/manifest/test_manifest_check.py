"""check_text: positions on the exact token, several documents, other kinds, the public API."""

from __future__ import annotations

import textwrap
from typing import Any

import seldon_graphs.manifest as manifest
from seldon_graphs.manifest import check_text

GOOD = """\
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata:
  name: mydep
spec:
  predictors:
  - name: default
    graph:
      name: classifier
      type: MODEL
    componentSpecs:
    - spec:
        containers:
        - name: classifier
          image: seldonio/mock:1.0
"""


def at(text: str, **kw: Any) -> list[tuple[int, int, str]]:
    return [(d.line, d.col, d.rule) for d in check_text(text, "f.yaml", **kw)]


def test_public_api_is_pinned() -> None:
    assert sorted(manifest.__all__) == [
        "CrdError",
        "Finding",
        "check_object",
        "check_text",
        "load_crd_schema",
        "webhook_error",
    ]


def test_good_manifest() -> None:
    assert check_text(GOOD, "f.yaml") == []


def test_position_is_the_offending_value() -> None:
    text = GOOD.replace("name: classifier\n      type", "name: classifer\n      type")
    (d,) = check_text(text, "f.yaml")
    assert (d.line, d.col, d.end_col) == (9, 13, 13 + len("classifer"))
    assert d.rule == "webhook-container"
    assert d.message == (
        'spec.predictors[0].graph: Invalid value: "classifer": '
        "Can't find container for Predictive Unit"
    )
    assert d.help is not None and d.help.startswith("did you mean `classifier`?")


def test_position_of_a_value_deep_in_the_graph() -> None:
    text = GOOD.replace("      type: MODEL\n", "      type: MODELL\n")
    assert at(text) == [(10, 13, "unknown-type")]


def test_position_of_a_missing_field_is_its_parent() -> None:
    text = GOOD + "  - name: canary\n    traffic: 10\n"
    found = at(text)
    assert (16, 5, "missing-graph") in found


def test_several_documents_and_other_kinds() -> None:
    other = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n"
    bad = GOOD.replace("protocol", "x").replace(
        "spec:\n  predictors", "spec:\n  protocol: v3\n  predictors"
    )
    text = other + "---\n" + GOOD + "---\n" + bad
    found = at(text)
    offset = len((other + "---\n" + GOOD + "---\n").splitlines())
    assert found == [(offset + 6, 13, "webhook-protocol")]


def test_a_list_of_objects() -> None:
    item = textwrap.indent(
        GOOD.replace("name: classifier\n      type", "name: x\n      type"), "  "
    )
    text = "apiVersion: v1\nkind: List\nitems:\n-" + item[1:]
    found = at(text)
    assert [rule for _, _, rule in found] == ["webhook-container"]
    assert found[0][0] == 3 + 9


def test_no_seldondeployment_at_all() -> None:
    found = check_text("apiVersion: v1\nkind: Service\n", "f.yaml")
    assert [(d.rule, d.message) for d in found] == [
        ("not-a-seldondeployment", "no SeldonDeployment in this file (found: Service)")
    ]


def test_a_misspelt_kind_is_pointed_at() -> None:
    found = at(GOOD.replace("kind: SeldonDeployment", "kind: SeldonDeploymnet"))
    assert found == [(2, 7, "kind")]


def test_api_version() -> None:
    found = at(GOOD.replace("machinelearning.seldon.io/v1", "machinelearning.seldon.io/v2"))
    assert found == [(1, 13, "api-version")]


def test_yaml_syntax_error_is_a_diagnostic() -> None:
    found = check_text(GOOD + "  bad: [\n", "f.yaml")
    assert [d.rule for d in found] == ["yaml-syntax"]


def test_duplicate_keys_are_reported_by_the_loader() -> None:
    text = GOOD.replace("      type: MODEL\n", "      type: MODEL\n      type: ROUTER\n")
    assert "duplicate-key" in {d.rule for d in check_text(text, "f.yaml")}


def test_json_with_tabs() -> None:
    text = (
        '{\n\t"apiVersion": "machinelearning.seldon.io/v1",\n\t"kind": "SeldonDeployment",\n'
        '\t"metadata": {"name": "x"},\n\t"spec": {"predictors": []}\n}\n'
    )
    found = check_text(text, "f.json")
    assert [(d.line, d.rule) for d in found] == [(5, "webhook-no-predictors")]


def test_all_problems_in_one_run_sorted_by_position() -> None:
    text = GOOD.replace("name: mydep", "name: My_Dep").replace("type: MODEL", "type: MODELL")
    text = text.replace("  - name: default\n", "  - name: default\n    traffic: 50\n")
    found = at(text)
    assert [r for _, _, r in found] == ["dns-1123-name", "webhook-traffic-single", "unknown-type"]
    assert found == sorted(found)


def test_self_referring_anchor_is_a_diagnostic() -> None:
    found = check_text("a: &x\n  b: *x\n", "f.yaml")
    assert [(d.line, d.rule) for d in found] == [(1, "yaml-recursive")]
