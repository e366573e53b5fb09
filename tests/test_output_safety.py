"""compile never destroys what it did not write: `<out>/<name>/` is replaced only if it holds
the marker file every compile writes; a file, a link, a foreign folder or a path below a file
is refused with the folder named and nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seldon_graphs import api, emit
from seldon_graphs.cli import main
from tests.helpers import MODELS

GRAPH = """\
name: nodes
nodes:
  m: {python: models.py:Model}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's project whose own code lives in ./nodes/, as in the report."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "g.yaml").write_text(GRAPH)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every path under root: file bytes, or the link target, or "dir"."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = f"-> {path.readlink()}"
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = path.read_bytes()
    return out


def compile_(out: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["compile", "g.yaml", "-o", out])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def test_compile_writes_the_marker_and_replaces_its_own_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compile_(".", capsys) == (0, "")
    out = project / "nodes"
    assert sorted(p.name for p in out.iterdir()) == [emit.MARKER, "m", "seldondeployment.yaml"]
    assert "never replaced" in (out / emit.MARKER).read_text()
    (out / "stale.txt").write_text("from an older compile")
    assert compile_(".", capsys) == (0, "")
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


def test_an_empty_folder_is_used(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "nodes").mkdir()
    assert compile_(".", capsys) == (0, "")
    assert (project / "nodes" / emit.MARKER).is_file()


FOREIGN = {
    "the user's modules": {"nodes/model.py": "class Mine: ...\n", "nodes/data/x.csv": "1,2\n"},
    "an old output without a marker": {"nodes/seldondeployment.yaml": "kind: x\n"},
    "only a hidden file": {"nodes/.keep": ""},
}


@pytest.mark.parametrize("files", FOREIGN.values(), ids=FOREIGN.keys())
def test_a_folder_we_did_not_write_is_never_replaced(
    project: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    for rel, text in files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    before = snapshot(project)
    code, err = compile_(".", capsys)
    assert code == 2
    assert err == (
        f"seldon-graphs: error: nodes exists and was not written by seldon-graphs (it has no "
        f"{emit.MARKER} file), so it is not replaced: move it away or choose another output "
        "folder (-o)\n"
    )
    assert snapshot(project) == before


def _file_at_dest(project: Path) -> str:
    (project / "nodes").write_text("precious")
    return "nodes exists and is a file, not a folder written by seldon-graphs"


def _link_at_dest(project: Path) -> str:
    (project / "elsewhere").mkdir()
    (project / "elsewhere" / emit.MARKER).write_text("")  # even a marked target: not ours
    (project / "nodes").symlink_to("elsewhere")
    return "nodes exists and is a symbolic link, not a folder written by seldon-graphs"


@pytest.mark.parametrize("arrange", [_file_at_dest, _link_at_dest], ids=["file", "link"])
def test_a_file_or_link_where_the_folder_goes_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], arrange: object
) -> None:
    assert callable(arrange)
    message = arrange(project)
    before = snapshot(project)
    code, err = compile_(".", capsys)
    assert code == 2
    assert err == (
        f"seldon-graphs: error: {message}: move it away or choose another output folder (-o)\n"
    )
    assert snapshot(project) == before


@pytest.mark.parametrize("out", ["afile", "afile/sub", "afile/sub/deeper"])
def test_an_output_folder_at_or_below_a_file_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], out: str
) -> None:
    (project / "afile").write_text("precious")
    before = snapshot(project)
    code, err = compile_(out, capsys)
    assert code == 2
    assert err == (
        f"seldon-graphs: error: cannot write {out}/nodes: afile is a file, not a folder; "
        "choose another output folder (-o)\n"
    )
    assert snapshot(project) == before


def test_an_unwritable_place_is_a_problem_not_a_crash(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = compile_("/proc/no-such-dir", capsys)
    assert code == 1
    assert (
        err == "seldon-graphs: error: cannot write /proc/no-such-dir: No such file or directory\n"
    )


def test_the_api_refuses_the_same_way(project: Path) -> None:
    (project / "nodes").mkdir()
    (project / "nodes" / "model.py").write_text("mine")
    graph = api.load(project / "g.yaml")
    with pytest.raises(emit.OutputError, match="not written by seldon-graphs"):
        graph.compile(project)
    assert (project / "nodes" / "model.py").read_text() == "mine"
    shutil.rmtree(project / "nodes")
    assert graph.compile(project) == project / "nodes"
    assert graph.compile(project) == project / "nodes"  # its own output: replaced


def test_staged_dir_refuses_a_file_before_writing(tmp_path: Path) -> None:
    (tmp_path / "dest").write_text("precious")
    with pytest.raises(emit.OutputError, match="is a file"), emit.staged_dir(tmp_path / "dest"):
        pytest.fail("the block must not run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]
