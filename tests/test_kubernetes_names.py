"""Names and values Kubernetes would reject are errors at validate, at the exact token.

The rules are Kubernetes' own (k8s.io/apimachinery/pkg/util/validation): qualified names for
label and annotation keys, label values, DNS-1123 subdomains for Secret and ServiceAccount
names, the 256 KiB annotation budget; plus the container names Seldon's operator reserves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seldon_graphs import safety
from tests.helpers import analyze, rules


@pytest.mark.parametrize(
    "key",
    [
        "team",
        "a",
        "A1",
        "x_y.z-w",
        "app.kubernetes.io/name",
        "example.com/" + "n" * 63,
        "a" * 63,
        "sub.domain-1.example/Name_1",
        ("p" * 63 + ".") * 3 + "q" * 61 + "/name",  # a 253-character prefix
    ],
)
def test_valid_qualified_names(key: str) -> None:
    assert safety.qualified_name(key) is None


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "`` has an empty name"),
        ("bad key", "`bad key`: its name part must be"),
        ("-start", "`-start`: its name part must be"),
        ("end-", "`end-`: its name part must be"),
        ("_x", "`_x`: its name part must be"),
        ("a" * 64, "its name part is 64 characters; at most 63"),
        ("a/b/c", "`a/b/c` has more than one `/`"),
        ("/name", "`/name` has an empty prefix before `/`"),
        ("example.com/", "`example.com/` has an empty name"),
        ("Example.com/x", "`Example.com` is not a DNS-1123 subdomain"),
        ("under_score.com/x", "`under_score.com` is not a DNS-1123 subdomain"),
        ("-x.com/x", "`-x.com` is not a DNS-1123 subdomain"),
        ("p" * 254 + "/x", "is 254 characters; Kubernetes allows at most 253"),
        ("ünï/x", "is not a DNS-1123 subdomain"),
        ("tab\tkey", "`tab\\tkey`: its name part must be"),
    ],
)
def test_invalid_qualified_names(key: str, why: str) -> None:
    message = safety.qualified_name(key)
    assert message is not None and why in message


def test_annotation_keys_are_checked_in_lower_case_as_kubernetes_does() -> None:
    assert safety.qualified_name("Seldon.IO/Engine-Log", fold_case=True) is None
    assert safety.qualified_name("Seldon.IO/Engine-Log") is not None


@pytest.mark.parametrize("value", ["", "a", "ml-ops", "v1.2_3", "A" * 63, "0"])
def test_valid_label_values(value: str) -> None:
    assert safety.label_value(value) is None


@pytest.mark.parametrize(
    "value", ["ml ops", "-a", "a-", ".a", "a/b", "a:b", "x" * 64, "é", "a\nb", "true!"]
)
def test_invalid_label_values(value: str) -> None:
    assert safety.label_value(value) is not None


@pytest.mark.parametrize("name", ["minio", "a", "s3-creds.v2", "a" * 253, "0x"])
def test_valid_dns_subdomains(name: str) -> None:
    assert safety.dns_subdomain(name) is None


@pytest.mark.parametrize(
    "name", ["Minio", "a_b", "a b", "-a", "a-", "a..b", ".a", "a" * 254, "", "a/b"]
)
def test_invalid_dns_subdomains(name: str) -> None:
    assert safety.dns_subdomain(name) is not None


def test_annotation_size_limit_counts_keys_and_values_in_bytes() -> None:
    limit = safety.ANNOTATIONS_MAX_BYTES
    assert safety.annotations_size([("k", "v" * (limit - 1))]) is None
    assert safety.annotations_size([("k", "v" * limit)]) == (
        f"the annotations take {limit + 1} bytes; Kubernetes allows {limit}"
    )
    assert safety.annotations_size([("k", "é" * (limit // 2))]) is not None  # 2 bytes each


def _at(result: object, rule: str) -> list[tuple[int, int, int]]:
    return [(d.line, d.col, d.end_col) for d in result.diagnostics if d.rule == rule]  # type: ignore[attr-defined]


def test_each_label_problem_is_reported_at_its_key_or_value(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        labels:
          ok: fine
          team: ml ops
          "bad key": x
          Example.com/tier: gold
          long: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv
          empty: ""
        nodes:
          m: {python: models.py:Model}
        """,
    )
    assert _at(result, "bad-label") == [(4, 9, 15), (5, 3, 12), (6, 3, 19), (7, 9, 74)]
    assert rules(result) == ["bad-label"] * 4


def test_each_annotation_key_problem_is_reported_at_the_key(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        annotations:
          seldon.io/rest-timeout: "100"
          Seldon.IO/Engine-Log-Level: debug
          "-x": y
          a/b/c: z
          {"x": "y"}: w
        nodes:
          m: {python: models.py:Model}
        """,
    )
    # A mapping as a key is YAML's problem, reported once as such.
    assert [d.rule for d in result.diagnostics] == ["bad-annotation", "bad-annotation", "yaml-key"]
    assert _at(result, "bad-annotation") == [(5, 3, 7), (6, 3, 8)]


def test_oversized_annotations_are_reported_at_the_annotations_key(tmp_path: Path) -> None:
    big = "x" * (safety.ANNOTATIONS_MAX_BYTES // 2)
    result = analyze(
        tmp_path,
        f"""\
        name: g
        annotations: {{a: {big}, b: {big}}}
        nodes:
          m: {{python: models.py:Model}}
        """,
    )
    assert _at(result, "bad-annotation") == [(2, 1, 12)]


@pytest.mark.parametrize(
    ("line", "col", "end"),
    [("secret: Minio_Creds", 13, 24), ("service_account: model reader", 22, 34)],
)
def test_secret_and_service_account_must_be_dns_subdomains(
    tmp_path: Path, line: str, col: int, end: int
) -> None:
    result = analyze(
        tmp_path,
        f"""\
        name: g
        nodes:
          lr:
            server: sklearn
            model_uri: s3://m/lr
            {line}
        """,
    )
    assert _at(result, "bad-name") == [(6, col, end)]


def test_dotted_secret_names_are_kubernetes_names(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        nodes:
          lr: {server: sklearn, model_uri: s3://m/lr, secret: minio.v2, service_account: sa.reader}
        """,
    )
    assert result.ok, result.render()


@pytest.mark.parametrize("length", [63, 64, 100])
def test_deployment_names_over_63_characters_are_one_error_at_the_name(
    tmp_path: Path, length: int
) -> None:
    result = analyze(tmp_path, f"name: {'a' * length}\nnodes:\n  m: {{python: models.py:Model}}\n")
    if length == 63:
        assert rules(result) == ["long-name"] * 3  # derived names: warnings only
    else:
        assert rules(result) == ["bad-name"]
        assert _at(result, "bad-name") == [(1, 7, 7 + length)]


def test_the_executor_container_name_is_reserved(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        nodes:
          seldon-container-engine: {python: models.py:Model}
        """,
    )
    assert rules(result) == ["reserved-name"]
    assert _at(result, "reserved-name") == [(3, 3, 26)]


def test_sidecar_and_initializer_names_are_reserved_only_beside_their_owner(
    tmp_path: Path,
) -> None:
    graph = """\
        name: g
        {pods}
        nodes:
          tf: {{server: tensorflow, model_uri: gs://m/tf}}
          tfserving: {{python: models.py:Model}}
          tf-model-initializer: {{python: models.py:Model}}
          m-model-initializer: {{python: models.py:Model}}
        flow: tfserving -> tf-model-initializer -> m-model-initializer -> tf
        """
    shared = analyze(tmp_path, graph.format(pods=""))
    assert _at(shared, "reserved-name") == [(5, 3, 12), (6, 3, 23)]
    own_pods = analyze(tmp_path, graph.format(pods="pods: per-node"))
    assert own_pods.ok, own_pods.render()
