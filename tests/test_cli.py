"""The command line: exit codes 0/1/2, formats, and outputs that are whole or absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from seldon_graphs.cli import main

ROOT = Path(__file__).resolve().parent.parent
INCOME = str(ROOT / "graphs" / "income.yaml")
BAD = str(ROOT / "tests" / "bad_graphs" / "undefined-node.yaml")


def test_validate_ok_and_problems(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", INCOME]) == 0
    assert "ok (5 nodes)" in capsys.readouterr().out
    assert main(["validate", BAD]) == 1
    out = capsys.readouterr().out
    assert "undefined-node.yaml:7:24: error: undefined node `xgbb` in flow" in out
    assert "help: did you mean `xgb`?" in out


def test_validate_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", BAD]) == 1
    records = json.loads(capsys.readouterr().out)
    assert records[0]["line"] == 7 and records[0]["column"] == 24
    assert records[0]["rule"] == "undefined-node"


def test_strict_turns_warnings_into_failure(capsys: pytest.CaptureFixture[str]) -> None:
    warn = str(ROOT / "tests" / "bad_graphs" / "warn-passthrough.yaml")
    assert main(["validate", warn]) == 0
    assert main(["validate", "--strict", warn]) == 1


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2


def test_compile_writes_manifest_and_contexts_deterministically(tmp_path: Path) -> None:
    assert main(["compile", INCOME, "-o", str(tmp_path / "a")]) == 0
    assert main(["compile", INCOME, "-o", str(tmp_path / "b")]) == 0
    a, b = tmp_path / "a" / "income", tmp_path / "b" / "income"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert Path("seldondeployment.yaml") in files
    assert Path("features/Dockerfile") in files and Path("vote/Dockerfile") in files
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    # nothing left behind but the output folder itself
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["income"]


def test_compile_of_a_bad_graph_writes_nothing(tmp_path: Path) -> None:
    assert main(["compile", BAD, "-o", str(tmp_path)]) == 1
    assert list(tmp_path.iterdir()) == []


def test_compile_stdout_is_one_sdep(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", INCOME, "--stdout"]) == 0
    sdep = yaml.safe_load(capsys.readouterr().out)
    assert sdep["kind"] == "SeldonDeployment"


def test_graph_pictures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", INCOME]) == 0
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart LR") and "n_features --> n_lr" in mermaid
    assert main(["graph", INCOME, "--format", "dot", "--tree"]) == 0
    dot = capsys.readouterr().out
    assert "n_label -> n_features;" in dot


def test_schema_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "seldon-graphs graph file"


def test_console_script_runs_from_another_directory(tmp_path: Path) -> None:
    """The graph's paths resolve against its project, not the caller's directory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "seldon_graphs.cli", "validate", INCOME],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
