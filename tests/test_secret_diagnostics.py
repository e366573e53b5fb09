"""Secrets in graph files: flagged where they would reach a manifest, never shown back.

`params` and `env` go into the SeldonDeployment in plain text, so names that say they hold a
secret are errors; and whatever a diagnostic is about, values under such names are starred
out of the quoted source line and of the message, in text and JSON output alike.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seldon_graphs import safety
from seldon_graphs.diagnostics import Reporter, Secret
from seldon_graphs.spec import Pos
from tests.helpers import analyze, project, rules


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "DB_PASSWORD",
        "dbPassword",
        "passwd",
        "ssh_passphrase",
        "api_token",
        "HF_TOKEN",
        "HFToken",
        "authToken",
        "secret",
        "client_secret",
        "AWS_SECRET_ACCESS_KEY",
        "awsSecretAccessKey",
        "api_key",
        "apiKey",
        "APIKEY",
        "access-key",
        "private_key",
        "credentials",
        "MYSECRET",
    ],
)
def test_names_that_say_secret(name: str) -> None:
    assert safety.secret_name(name) == "certain"


@pytest.mark.parametrize("name", ["key", "ssh_key", "signing-key", "sortKey"])
def test_names_that_may_be_secrets(name: str) -> None:
    assert safety.secret_name(name) == "maybe"


@pytest.mark.parametrize(
    "name",
    [
        "max_tokens",
        "TOKENIZERS_PARALLELISM",
        "tokenizer",
        "PWD",
        "keys",
        "key_column",
        "threshold",
        "LOG_LEVEL",
        "monkey",
        "PRIVATE_REGISTRY",
    ],
)
def test_names_that_are_not_secrets(name: str) -> None:
    assert safety.secret_name(name) is None


def test_secret_looking_params_are_errors_at_the_name(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        nodes:
          m:
            python: models.py:Model
            params:
              threshold: 0.5
              api_token: tok-1
              dbPassword: {value: pw-2, type: STRING}
              sort_key: name
              max_tokens: 256
        """,
    )
    found = [(d.rule, d.severity.value, d.line, d.col, d.end_col) for d in result.diagnostics]
    assert found == [
        ("secret-in-params", "error", 7, 7, 16),
        ("secret-in-params", "error", 8, 7, 17),
        ("secret-in-params", "warning", 9, 7, 15),
    ]
    assert result.diagnostics[0].help == (
        "use `secret_env: {API_TOKEN: secret-name/key}` and read it from the environment; "
        "create the Secret with `seldon-graphs secret create`"
    )


def test_env_names_are_read_as_words(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        nodes:
          m:
            python: models.py:Model
            env: {TOKENIZERS_PARALLELISM: "false", PWD: /app, HF_TOKEN: hf_x, GPG_KEY: k}
        """,
    )
    found = [(d.rule, d.severity.value, d.col) for d in result.diagnostics]
    assert found == [("secret-in-env", "error", 55), ("secret-in-env", "warning", 71)]


LEAKY = """\
name: g
nodes:
  m:
    python: models.py:Modle
    secret_env: {DB_PASSWORD: "hunter2"}
    env: {API_TOKEN: xyzzy-42, LOG: debug, "bad-name": 1}
    params:
      password: {value: sesame-9, type: INT}
      client_secret: |
        line-one-9f8e
        line-two-7d6c
      creds: &creds {token: tok-5b4a}
      again: *creds
"""
CLI = str(Path(sys.executable).parent / "seldon-graphs")
SECRETS = ("hunter2", "xyzzy-42", "sesame-9", "line-one-9f8e", "line-two-7d6c", "tok-5b4a")


def test_secret_values_are_masked_in_text_output(tmp_path: Path) -> None:
    result = analyze(tmp_path, LEAKY)
    text = result.render()
    assert [s for s in SECRETS if s in text] == []
    # Every kind of diagnostic is there: on the secret's own line, beside it, about it.
    assert set(rules(result)) >= {"bad-value", "secret-in-env", "bad-env", "bad-param"}
    assert "5 |     secret_env: {DB_PASSWORD: *********}" in text
    assert '6 |     env: {API_TOKEN: ********, LOG: debug, "bad-name": 1}' in text
    assert "parameter `password`: `*****` can't be parsed as a INT" in text


def test_masking_keeps_carets_under_their_token(tmp_path: Path) -> None:
    result = analyze(tmp_path, LEAKY)
    [bad_env] = [d for d in result.diagnostics if d.rule == "bad-env"]
    line = result.text.splitlines()[bad_env.line - 1]
    assert line[bad_env.col - 1 : bad_env.end_col - 1] == '"bad-name"'


def test_secret_values_are_masked_in_json_output(tmp_path: Path) -> None:
    result = analyze(tmp_path, LEAKY)
    records = json.loads(result.render("json"))
    assert records and all(r["message"] for r in records)
    assert [s for s in SECRETS if s in result.render("json")] == []


def test_block_scalar_secrets_are_masked_on_every_line(tmp_path: Path) -> None:
    result = analyze(tmp_path, LEAKY)
    lines = result.text.splitlines()
    assert lines[8:11] == [
        "      client_secret: *",
        "        *************",
        "        *************",
    ]
    assert lines[11] == "      creds: &creds {token: ********}"


def test_the_cli_never_prints_a_secret(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "graph.yaml").write_text(LEAKY)
    for fmt in ("text", "json"):
        done = subprocess.run(
            [CLI, "validate", "--format", fmt, "graph.yaml"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert "secret-in-env" in done.stdout
        assert [s for s in SECRETS if s in done.stdout + done.stderr] == []


def test_secret_names_and_references_are_not_masked(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        nodes:
          lr: {server: sklearn, model_uri: s3://m/lr, secret: Minio_Creds}
        """,
    )
    [d] = result.diagnostics
    assert "`Minio_Creds`" in d.message
    assert "secret: Minio_Creds" in result.render()


def test_a_secret_is_masked_in_messages_raw_or_escaped() -> None:
    reporter = Reporter("g.yaml")
    reporter.conceal(Secret(Pos(2, 6, 15), 3, "pw\nab-77", single_line=True))
    reporter.error(Pos(2, 6, 15), "`pw\\nab-77` is not valid", "bad-value", "not `pw\nab-77`")
    reporter.error(Pos(1, 1, 2), "`pw` is a different value", "bad-value")
    messages = [(d.message, d.help) for d in reporter.finished()]
    assert messages == [
        ("`pw` is a different value", None),
        ("`*****` is not valid", "not `*****`"),
    ]
    source = "name: g\n  k: pw-secret  # note\n"
    assert reporter.masked_source(source) == "name: g\n  k: *********  # note\n"


def test_secrets_are_masked_in_the_kept_source_when_yaml_rejects_the_whole_file(
    tmp_path: Path,
) -> None:
    # A control character makes the reader give up before any structure is known.
    text = 'name: g  # \x0c\nnodes:\n  m: {env: {API_TOKEN: "s3cr3t-v4lue"}}\n'
    result = analyze(tmp_path, text)
    assert rules(result) == ["yaml-syntax"]
    assert "s3cr3t-v4lue" not in result.text


@pytest.mark.parametrize(
    "text",
    [
        'name: g\nnodes:\n  m: {env: {API_TOKEN: "hunter2-x"} ]\n',
        "name: g\nnodes:\n  m:\n    env:\n      DB_PASSWORD: hunter2-x: more\n",
        "name: g\nnodes:\n  m:\n    params: {api_key: hunter2-x, x: [}\n",
        "name: g\nnodes:\n  m: {params: {'client secret': &s hunter2-x, x: }}}\n",
    ],
)
def test_a_secret_on_the_line_yaml_cannot_read_is_masked(tmp_path: Path, text: str) -> None:
    result = analyze(tmp_path, text)
    [d] = result.diagnostics
    assert d.rule == "yaml-syntax"
    assert "hunter2" in text.splitlines()[d.line - 1]  # the error quotes the secret's line
    assert "hunter2" not in result.render() + result.render("json")


@pytest.mark.parametrize(
    "line",
    [
        "a" * 200_000,
        "a b " * 50_000,
        "a: " * 60_000,
        "password: " + "x, " * 60_000,
        "password: '" * 20_000,
        'password: "' + '\\"' * 100_000,
        "{" + "k: v, " * 30_000,
    ],
    ids=["plain", "words", "colons", "commas", "quotes", "escapes", "flow"],
)
def test_masking_a_hostile_line_takes_linear_time(line: str) -> None:
    """One forward pass: quadratic scanning took minutes on the first two lines.

    CPU time, not wall time: other processes on a busy machine must not fail it.
    """
    started = time.process_time()
    Reporter("g.yaml").masked_source(f"name: g\n{line}\n")
    assert time.process_time() - started < 2.0


def test_masking_nested_block_values_takes_linear_time() -> None:
    text = "".join(" " * i + "password: |\n" for i in range(3000))
    started = time.process_time()
    masked = Reporter("g.yaml").masked_source(text)
    assert time.process_time() - started < 2.0
    assert masked.splitlines()[:2] == ["password: *", " " + "*" * 11]
