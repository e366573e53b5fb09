"""One mistake, one error: what follows from an already-reported mistake is not reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import analyze, rules

M = "{python: models.py:Model}"


@pytest.mark.parametrize(
    ("vote", "expected"),
    [
        ("{stock: mean-combinr}", ["unknown-stock"]),
        ("{stock: nope}", ["unknown-stock"]),
        ("{builtin: average-combinr}", ["bad-value"]),
        ("{python: models.py:Model, kind: combinr}", ["bad-value"]),
        ("{pythn: models.py:Model}", ["unknown-key"]),
        ("{stok: mean-combiner}", ["unknown-key"]),
        ("{sever: sklearn, model_uri: s3://m/v}", ["unknown-key"]),
    ],
)
def test_a_misspelt_node_is_not_lowered_into_a_second_error(
    tmp_path: Path, vote: str, expected: list[str]
) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        nodes:
          a: {M}
          b: {M}
          vote: {vote}
        flow: "[a, b] -> vote"
        """,
    )
    assert rules(result) == expected
    assert result.tree is None


def test_a_node_with_no_source_at_all_is_still_reported(tmp_path: Path) -> None:
    result = analyze(tmp_path, "name: g\nnodes:\n  m: {replicas: 2}\n")
    assert rules(result) == ["no-source", "replicas-single-pod"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{requirements: [numpy], files: [models.py]}", ["no-source"]),
        ("{pythn: models.py:Model, requirements: [numpy], secret: minio}", ["unknown-key"]),
        ("{pyhton: models.py:Model, files: [models.py]}", ["unknown-key"]),
    ],
)
def test_keys_of_a_node_that_runs_nothing_known_are_not_judged(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    """Whether `requirements` or `secret` fit depends on what the node runs."""
    assert rules(analyze(tmp_path, f"name: g\nnodes:\n  m: {body}\n")) == expected


def test_flow_errors_independent_of_roles_are_still_reported(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        nodes:
          a: {M}
          vote: {{stock: mean-combinr}}
          spare: {M}
        flow: a -> vote -> ghost
        """,
    )
    assert rules(result) == ["unknown-stock", "unused-node", "undefined-node"]


@pytest.mark.parametrize("protocol", ["V2", "grpc", "kfserving2"])
def test_a_misspelt_protocol_says_nothing_about_servers_or_roles(
    tmp_path: Path, protocol: str
) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        protocol: {protocol}
        nodes:
          pre: {M}
          gpt2: {{server: triton, model_uri: gs://m/gpt2}}
        flow: pre -> gpt2
        """,
    )
    assert rules(result) == ["bad-value"]


def test_a_misspelt_pods_value_says_nothing_about_replicas(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        pods: per_node
        nodes:
          m: {python: models.py:Model, replicas: 2}
        """,
    )
    assert rules(result) == ["bad-value"]


@pytest.mark.parametrize(
    ("name", "predictor", "node"),
    [("Bad_Name-" + "x" * 60, "default", "m"), ("g", "P" * 70, "m"), ("g", "default", "M" * 70)],
)
def test_invalid_names_are_not_also_reported_as_long_derived_names(
    tmp_path: Path, name: str, predictor: str, node: str
) -> None:
    result = analyze(tmp_path, f"name: {name}\npredictor: {predictor}\nnodes:\n  {node}: {M}\n")
    assert rules(result) == ["bad-name"]


def test_a_stated_transformer_is_called_a_transformer(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        nodes:
          a: {M}
          b: {M}
          mean: {{stock: mean-combiner}}
          post: {{python: models.py:Model, kind: transformer}}
        flow: "[a, b] -> mean -> post"
        """,
    )
    [d] = result.diagnostics
    assert d.message.startswith(
        "`post` consumes the result of `mean`, but it is a transformer (`kind: transformer`)"
    )


@pytest.mark.parametrize(
    "params",
    ["{weights: [0.9, 0.1]}", "{weights: {a: 1}}", "{weights: null}", "{weights: {value: [1]}}"],
)
def test_a_required_parameter_of_the_wrong_shape_is_not_also_missing(
    tmp_path: Path, params: str
) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        nodes:
          a: {M}
          b: {M}
          vote: {{stock: weighted-combiner, params: {params}}}
        flow: "[a, b] -> vote"
        """,
    )
    assert rules(result) == ["bad-value"]
