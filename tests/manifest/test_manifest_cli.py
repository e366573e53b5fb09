"""`seldon-graphs check-manifest`: output, exit codes (0 ok, 1 problems, 2 usage), --crd."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from seldon_graphs import cli

from .conftest import CRD_FILE, needs_crd
from .test_manifest_check import GOOD


def run(*argv: str) -> int:
    try:
        return cli.main(["check-manifest", *argv])
    except SystemExit as exc:  # argparse's usage errors
        return int(exc.code or 0)


@pytest.fixture(autouse=True)
def no_env_crd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SELDON_GRAPHS_CRD", raising=False)
    monkeypatch.setenv("SELDON_GRAPHS_CACHE_DIR", str(tmp_path / "cache"))


def write(tmp_path: Path, text: str, name: str = "sdep.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_ok_is_silent_and_notes_the_skipped_crd_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(write(tmp_path, GOOD)) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "CRD schema check is skipped" in err


def test_errors_exit_1_with_position_source_caret_and_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write(tmp_path, GOOD.replace("name: classifier\n      type", "name: clf\n      type"))
    assert run(file) == 1
    out = capsys.readouterr().out
    assert f'{file}:9:13: error: spec.predictors[0].graph: Invalid value: "clf": ' in out
    assert "9 |       name: clf\n  |             ^~~\n  help: " in out
    assert out.rstrip().endswith("1 error, 0 warnings")


def test_warnings_pass_unless_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("type: MODEL", "type: ROUTER")  # a router without children
    file = write(tmp_path, text)
    assert run(file) == 0
    assert "[pass-through]" in capsys.readouterr().out
    assert run(file, "--strict") == 1


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write(tmp_path, GOOD.replace("type: MODEL", "type: MODELL"))
    assert run(file, "--format", "json") == 1
    (item,) = json.loads(capsys.readouterr().out)
    assert item["rule"] == "unknown-type" and item["line"] == 10 and item["column"] == 13
    assert item["severity"] == "error" and item["help"] == "did you mean `MODEL`?"


def test_several_files_all_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, GOOD.replace("type: MODEL", "type: MODELL"), "a.yaml")
    b = write(tmp_path, GOOD.replace("name: mydep", "name: My_Dep"), "b.yaml")
    assert run(a, b) == 1
    out = capsys.readouterr().out
    assert f"{a}:10:13" in out and f"{b}:4:9" in out


def test_unreadable_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(str(tmp_path / "missing.yaml")) == 2
    assert "cannot read" in capsys.readouterr().err


def test_no_files_is_a_usage_error() -> None:
    assert run() == 2


def test_a_crd_that_is_not_the_seldondeployment_crd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crd = write(tmp_path, "apiVersion: v1\nkind: ConfigMap\n", "crd.yaml")
    assert run(write(tmp_path, GOOD), "--crd", crd) == 2
    assert "is not a CustomResourceDefinition (kind: ConfigMap)" in capsys.readouterr().err


@needs_crd
def test_crd_from_flag_or_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = GOOD.replace("  - name: default\n", "  - name: default\n    traffic: '100'\n")
    file = write(tmp_path, bad)
    assert run(file, "--crd", str(CRD_FILE)) == 1
    out, err = capsys.readouterr()
    assert "[crd-type]" in out and err == ""
    monkeypatch.setenv("SELDON_GRAPHS_CRD", str(CRD_FILE))
    assert run(file) == 1
    assert "[crd-type]" in capsys.readouterr().out


def test_custom_servers(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      type: MODEL\n", "      implementation: MY_SERVER\n      modelUri: s3://b/m\n"
    ).replace("          image: seldonio/mock:1.0\n", "")
    file = write(tmp_path, text)
    assert run(file) == 1
    assert run(file, "--server", "MY_SERVER") == 0


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Like a real stdin: text on top of the bytes it came as."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, GOOD.replace("type: MODEL", "type: MODELL").encode())
    assert run("-") == 1
    assert "-:10:13: error" in capsys.readouterr().out


def test_stdin_that_is_not_utf8(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, b"\xff\xfe kind: SeldonDeployment")
    assert run("-") == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == (
        "seldon-graphs check-manifest: cannot read -: 'utf-8' codec can't decode byte 0xff "
        "in position 0: invalid start byte"
    )
