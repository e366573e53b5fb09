"""`seldon-graphs import` on the command line: the spellings a manifest comes in, bad input
(exit 1 with the place, 2 for usage and files in the way, 3 for a bug), and outputs that
are complete or absent."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from seldon_graphs import cli
from seldon_graphs.importer import compose

from .builders import sdep, unit

SDEP = sdep(unit("t", "TRANSFORMER", unit("m", "MODEL")))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(path: Path, obj: Any) -> Path:
    path.write_text(yaml.safe_dump(obj, sort_keys=False) if path.suffix == ".yaml" else obj)
    return path


def _copy() -> dict[str, Any]:
    return copy.deepcopy(SDEP)


def _named(name: str, api: str = "machinelearning.seldon.io/v1") -> dict[str, Any]:
    obj = _copy()
    obj["metadata"]["name"], obj["apiVersion"] = name, api
    return obj


def test_json_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "sdep.json"
    src.write_text(json.dumps(SDEP, indent=2))
    code, out, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "g"))
    assert (code, out, err) == (0, f"wrote {tmp_path / 'g' / 'demo.yaml'}\n", "")
    assert yaml.safe_load((tmp_path / "g" / "demo.yaml").read_text())["flow"] == "t -> m"


@pytest.mark.parametrize("version", ["v1alpha2", "v1alpha3"])
def test_older_api_versions(
    version: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _write(tmp_path / "sdep.yaml", _named("old", f"machinelearning.seldon.io/{version}"))
    assert _run(capsys, "import", str(src), "-o", str(tmp_path / "g"))[0] == 0
    assert (tmp_path / "g" / "old.yaml").is_file()


def test_several_documents_and_other_kinds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    text = "---\n".join(
        yaml.safe_dump(d, sort_keys=False) for d in (_named("a"), service, _named("b"))
    )
    src = tmp_path / "all.yaml"
    src.write_text(text)
    code, out, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "g"))
    assert code == 0
    assert out.splitlines() == [f"wrote {tmp_path / 'g' / n}" for n in ("a.yaml", "b.yaml")]
    line = text.splitlines().index("kind: Service") + 1
    assert (
        f"{src}:{line}:7: warning: a Service is not a SeldonDeployment: skipped [import-skipped]"
        in err
    )


def test_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = {"apiVersion": "v1", "kind": "List", "items": [_named("a"), _named("b")]}
    src = tmp_path / "list.json"
    src.write_text(json.dumps(listed))
    assert _run(capsys, "import", str(src), "-o", str(tmp_path / "g"))[0] == 0
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["a.yaml", "b.yaml"]


def test_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = io.TextIOWrapper(io.BytesIO(json.dumps(SDEP).encode()))
    monkeypatch.setattr(sys, "stdin", fake)
    assert _run(capsys, "import", "-", "-o", str(tmp_path / "g"))[0] == 0
    assert (tmp_path / "g" / "demo.yaml").is_file()


BAD = {
    "not a SeldonDeployment": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        [
            "x.yaml:1:1: error: no SeldonDeployment in this file (found: ConfigMap) "
            "[not-a-seldondeployment]",
            "x.yaml:2:7: warning: a ConfigMap is not a SeldonDeployment: skipped [import-skipped]",
        ],
    ),
    "broken YAML": (
        "apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nspec: [a, b\n",
        ["x.yaml:4:1: error:"],
    ),
    "an apiVersion that does not serve it": (
        "apiVersion: machinelearning.seldon.io/v2\nkind: SeldonDeployment\nmetadata: {name: a}\n",
        [
            "x.yaml:1:13: error: apiVersion `machinelearning.seldon.io/v2` "
            "does not serve SeldonDeployment"
        ],
    ),
    "no name": (
        "apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nspec: {}\n",
        ["x.yaml:1:1: error: a SeldonDeployment without `metadata.name` [import-no-name]"],
    ),
    "empty": ("", ["x.yaml:1:1: error: no SeldonDeployment in this file [not-a-seldondeployment]"]),
}


@pytest.mark.parametrize("text,lines", BAD.values(), ids=BAD.keys())
def test_bad_input_is_reported_at_its_place(
    text: str,
    lines: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("x.yaml").write_text(text)
    code, out, err = _run(capsys, "import", "x.yaml", "-o", "g")
    assert (code, out) == (1, "")
    for line in lines:
        assert any(said.startswith(line) for said in err.splitlines()), err
    assert err.endswith("seldon-graphs import: there are errors above; nothing written\n")
    assert not Path("g").exists()


def test_unreadable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Seldon\xe9\n")
    assert _run(capsys, "import", str(tmp_path / "missing.yaml"))[0:2] == (1, "")
    code, _, err = _run(capsys, "import", str(tmp_path / "latin1.yaml"))
    assert code == 1 and "cannot read" in err and "utf-8" in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["import"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["import", "x.yaml", "--lossless"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --lossless" in capsys.readouterr().err


def test_a_bug_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault injected where no input can reach: the CLI's one handler for bugs."""

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(compose, "flow_of", broken, raising=False)
    monkeypatch.setattr("seldon_graphs.importer.predictor.flow.flow_of", broken)
    src = _write(tmp_path / "sdep.yaml", SDEP)
    code, _, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "g"))
    assert code == 3 and "RuntimeError: boom" in err and "internal error" in err
    assert not (tmp_path / "g").exists()


def _lossy() -> dict[str, Any]:
    obj = _copy()
    obj["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["volumes"] = [{"name": "v"}]
    return obj


def test_dropped_fields_need_lossy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "sdep.yaml", _lossy())
    code, out, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "g"))
    assert (code, out) == (1, "")
    assert (
        f"{src}:21:9: warning: spec.predictors[0].componentSpecs[0].spec.volumes: "
        "not expressible, dropped [import-dropped]"
    ) in err
    assert err.endswith(
        "1 field could not be expressed (--lossy writes the files without them); nothing written\n"
    )
    assert not (tmp_path / "g").exists()
    assert _run(capsys, "import", str(src), "-o", str(tmp_path / "g"), "--lossy")[0] == 0
    assert (tmp_path / "g" / "demo.yaml").is_file()


def test_json_diagnostics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "sdep.yaml", _lossy())
    code, out, _ = _run(capsys, "import", str(src), "--format", "json", "-o", str(tmp_path / "g"))
    assert code == 1
    (record,) = json.loads(out)
    assert (record["line"], record["column"], record["rule"]) == (21, 9, "import-dropped")
    args = ("import", str(src), "--format", "json", "-o", str(tmp_path / "g"), "--lossy")
    code, out, err = _run(capsys, *args)
    assert (code, [r["rule"] for r in json.loads(out)]) == (0, ["import-dropped"])
    assert err == f"wrote {tmp_path / 'g' / 'demo.yaml'}\n"


def test_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "sdep.yaml", SDEP)
    out = tmp_path / "g"
    out.mkdir()
    (out / "demo.yaml").write_text("mine\n")
    code, _, err = _run(capsys, "import", str(src), "-o", str(out))
    assert code == 2 and f"{out / 'demo.yaml'} already exist(s): nothing written" in err
    assert (out / "demo.yaml").read_text() == "mine\n"
    assert _run(capsys, "import", str(src), "-o", str(out), "--force")[0] == 0
    assert yaml.safe_load((out / "demo.yaml").read_text())["name"] == "demo"
    assert sorted(p.name for p in out.iterdir()) == ["demo.yaml"]


def test_output_folder_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "sdep.yaml", SDEP)
    (tmp_path / "g").write_text("a file\n")
    code, _, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "g"))
    assert code == 2 and "is a file, not a folder" in err


def test_a_failed_rename_leaves_every_file_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk failing between two renames is simulated: no real disk fails on demand."""
    obj = _named("two")
    obj["spec"]["predictors"].append({**obj["spec"]["predictors"][0], "name": "b"})
    obj["spec"]["predictors"][0].update(traffic=50)
    obj["spec"]["predictors"][1].update(traffic=50)
    src = _write(tmp_path / "sdep.yaml", obj)
    out = tmp_path / "g"
    out.mkdir()
    (out / "two-default.yaml").write_text("old\n")
    real, calls = os.replace, []

    def failing(a: Any, b: Any) -> None:
        calls.append(b)
        if len(calls) == 3:  # backup of two-default.yaml, its rename, then the next file
            raise OSError(28, "No space left on device", str(b))
        real(a, b)

    monkeypatch.setattr(os, "replace", failing)
    code, _, err = _run(capsys, "import", str(src), "-o", str(out), "--force")
    assert code == 1 and "No space left on device" in err
    assert sorted(p.name for p in out.iterdir()) == ["two-default.yaml"]
    assert (out / "two-default.yaml").read_text() == "old\n"


def test_the_installed_command(tmp_path: Path) -> None:
    src = _write(tmp_path / "sdep.yaml", SDEP)
    exe = Path(sys.executable).parent / "seldon-graphs"
    done = subprocess.run(
        [str(exe), "import", str(src), "-o", str(tmp_path / "g")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, f"wrote {tmp_path / 'g' / 'demo.yaml'}\n")
