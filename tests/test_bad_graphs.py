"""Every file in tests/bad_graphs/ gives exactly the committed diagnostics (`make golden`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.goldens import bad_graph_output

CORPUS = sorted((Path(__file__).parent / "bad_graphs").glob("*.yaml"))


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_graph_reports_exactly_the_expected_diagnostics(path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8")
    assert bad_graph_output(path) == expected


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_only_warning_files_pass(path: Path) -> None:
    output = bad_graph_output(path)
    assert output.endswith("[ok]\n") == path.name.startswith("warn-")


def test_corpus_covers_every_rule_it_claims() -> None:
    rules = " ".join(bad_graph_output(p) for p in CORPUS)
    for rule in (
        "yaml-syntax",
        "duplicate-key",
        "unknown-key",
        "wrong-type",
        "bad-value",
        "undefined-node",
        "cycle",
        "unused-node",
        "unjoined-branches",
        "join-not-combiner",
        "not-series-parallel",
        "skip-edge",
        "bad-name",
        "too-deep",
        "protocol-server",
        "protocol-role",
        "missing-model-uri",
        "missing-class",
        "missing-file",
        "path-escape",
        "bad-requirement",
        "bad-image",
        "secret-in-env",
        "webhook",
        "needs-output-transformer",
        "unknown-stock",
        "flow-syntax",
        "many-sources",
        "no-source",
        "router-arms",
        "long-name",
        "unimplemented-builtin",
        "router-without-children",
        "yaml-documents",
        "bad-env",
        "bad-kind",
        "bad-label",
        "bad-annotation",
        "reserved-name",
        "tfserving-shared",
        "secret-in-params",
        "role-method",
    ):
        assert f"[{rule}]" in rules, rule
