"""Every user mistake on the command line exits 1 (problems) or 2 (usage) with a message
naming the cause, never 3 with a traceback: bad paths, folders where files are expected,
non-UTF-8 files, bad JSON, bad numbers, unknown nodes, unusable kubeconfigs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seldon_graphs.cli import main
from tests.helpers import MODELS

ROOT = Path(__file__).resolve().parent.parent
GRAPH_COMMANDS = ("validate", "explain", "graph", "compile", "build", "run", "predict")
KUBE_COMMANDS = ("deploy", "status", "diff", "delete")
NOT_UTF8 = b"\xff\xfe name: x\n"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the iris graph, and a file, a folder and a non-UTF-8 file beside it."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    shutil.copy(ROOT / "graphs" / "iris.yaml", tmp_path / "g.yaml")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    (tmp_path / "latin1.yaml").write_bytes(NOT_UTF8)
    (tmp_path / "bad.json").write_text('{"data": ')
    (tmp_path / "kubeconfig.list").write_text("[]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return tmp_path


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr (validate reports on stdout: then both)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse and the runtime's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err if argv[0] != "validate" else out + err


def _extra(command: str) -> list[str]:
    if command == "predict":
        return ["--data", "[[1, 2]]"]
    if command in KUBE_COMMANDS:
        return ["--kubeconfig", "kubeconfig.list"]
    return []


GRAPH_PATHS = [
    ("missing.yaml", "missing.yaml:1:1: error: cannot read the graph file: [Errno 2] No such"),
    ("adir", "adir:1:1: error: cannot read the graph file: [Errno 21] Is a directory"),
    (
        "latin1.yaml",
        "latin1.yaml:1:1: error: the graph file is not UTF-8: byte 0xff cannot be decoded "
        "[encoding]",
    ),
]


@pytest.mark.parametrize("command", GRAPH_COMMANDS + KUBE_COMMANDS)
@pytest.mark.parametrize(("path", "message"), GRAPH_PATHS, ids=[p for p, _ in GRAPH_PATHS])
def test_graph_file_that_cannot_be_read(
    here: Path, capsys: pytest.CaptureFixture[str], command: str, path: str, message: str
) -> None:
    code, err = cli([command, path, *_extra(command)], capsys)
    assert code == 1
    if command in KUBE_COMMANDS and path != "latin1.yaml":
        # deploy reads the file itself first (it may be a plain SeldonDeployment)
        reason = "No such file or directory" if path == "missing.yaml" else "Is a directory"
        assert err == f"error: cannot read {path}: {reason}\n"
    else:
        assert message in err


DATA = [
    ("@missing.json", "--data @missing.json: cannot read it: No such file or directory"),
    ("@adir", "--data @adir: cannot read it: Is a directory"),
    ("@latin1.yaml", "--data @latin1.yaml: not UTF-8 text (byte 0); JSON is UTF-8"),
    ("@", "--data @FILE needs a file name after the @"),
    ("@bad.json", "--data is not JSON: Expecting value: line 1 column 10 (char 9)"),
    ("[[1, 2", "--data is not JSON: Expecting ',' delimiter: line 1 column 7 (char 6)"),
    ("", "--data is not JSON: Expecting value: line 1 column 1 (char 0)"),
]


@pytest.mark.parametrize(("data", "message"), DATA, ids=[d or "empty" for d, _ in DATA])
def test_predict_data_mistakes(
    here: Path, capsys: pytest.CaptureFixture[str], data: str, message: str
) -> None:
    code, err = cli(["predict", "g.yaml", "--data", data], capsys)
    assert (code, err) == (2, f"seldon-graphs: error: {message}\n")


MODEL_URIS = [
    ("nosuch=adir", "`nosuch` is not a server node of graph `sklearn` (server nodes: classifier)"),
    ("classifier", "--model-uri expects NODE=PATH, got 'classifier'"),
    ("=adir", "--model-uri expects NODE=PATH, got '=adir'"),
]


@pytest.mark.parametrize("command", ["run", "predict"])
@pytest.mark.parametrize(("pair", "message"), MODEL_URIS, ids=[p for p, _ in MODEL_URIS])
def test_model_uri_mistakes(
    here: Path, capsys: pytest.CaptureFixture[str], command: str, pair: str, message: str
) -> None:
    extra = ["--data", "[[1, 2]]"] if command == "predict" else ["--port", "0"]
    code, err = cli([command, "g.yaml", *extra, "--model-uri", pair], capsys)
    assert code == 2
    assert message in err and err.startswith("seldon-graphs: error: ")


NUMBERS = [
    ("--port", "99999", "99999 is not a port (0-65535; 0 picks a free one)"),
    ("--port", "-1", "-1 is not a port (0-65535; 0 picks a free one)"),
    ("--port", "http", "'http' is not a whole number"),
    ("--max-concurrency", "0", "0 is not a positive whole number"),
    ("--max-concurrency", "-3", "-3 is not a positive whole number"),
]


@pytest.mark.parametrize(("flag", "value", "message"), NUMBERS)
def test_run_number_mistakes(
    here: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    code, err = cli(["run", "g.yaml", flag, value], capsys)
    assert code == 2
    assert err.splitlines()[-1] == f"seldon-graphs run: error: argument {flag}: {message}"


def test_run_on_a_host_that_does_not_resolve(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "models.py").write_text(MODELS)
    (here / "m.yaml").write_text("name: m\nnodes:\n  m: {python: models.py:Model}\n")
    argv = ["run", "m.yaml", "--runtime", "inprocess", "--port", "0", "--host", "no.such.invalid"]
    code, err = cli(argv, capsys)
    assert code == 2
    assert err.startswith("seldon-graphs: error: --host no.such.invalid: ")


KUBECONFIGS = [
    ("latin1.yaml", "is not UTF-8 text (byte 0)"),
    ("bad.json", "is not valid YAML (line 1)"),
    ("afile", "is not a kubeconfig (expected a mapping with clusters, contexts and users)"),
    (
        "kubeconfig.list",
        "is not a kubeconfig (expected a mapping with clusters, contexts and users)",
    ),
    ("missing", None),
    ("adir", None),
]


@pytest.mark.parametrize("command", KUBE_COMMANDS)
@pytest.mark.parametrize(("config", "why"), KUBECONFIGS, ids=[c for c, _ in KUBECONFIGS])
def test_unusable_kubeconfig(
    here: Path, capsys: pytest.CaptureFixture[str], command: str, config: str, why: str | None
) -> None:
    code, err = cli([command, "g.yaml", "--kubeconfig", config], capsys)
    assert code == 1
    first = err.splitlines()[0]
    if why is None:
        assert first == f"error: no kubeconfig found at {config}"
    else:
        assert first == f"error: the kubeconfig at {config} {why}"


SECRET_FILES = [
    ("missing.env", "error: cannot read missing.env: No such file or directory"),
    ("adir", "error: cannot read adir: Is a directory"),
    ("latin1.yaml", "error: latin1.yaml is not UTF-8 text (byte 0)"),
]


@pytest.mark.parametrize(("file", "message"), SECRET_FILES, ids=[f for f, _ in SECRET_FILES])
def test_secret_from_a_file_that_cannot_be_read(
    here: Path, capsys: pytest.CaptureFixture[str], file: str, message: str
) -> None:
    argv = ["secret", "create", "s", "--from-file", file, "--kubeconfig", "kubeconfig.list"]
    code, err = cli(argv, capsys)
    assert code == 1
    assert err.splitlines()[0] == message


MANIFESTS = [
    (["missing.yaml"], "cannot read missing.yaml: No such file or directory"),
    (["adir"], "cannot read adir: Is a directory"),
    (
        ["latin1.yaml"],
        "cannot read latin1.yaml: 'utf-8' codec can't decode byte 0xff in position 0",
    ),
    (["g.yaml", "--crd", "missing.yaml"], "cannot read the CRD file missing.yaml: No such file"),
    (["g.yaml", "--crd", "adir"], "cannot read the CRD file adir: Is a directory"),
    (["g.yaml", "--crd", "latin1.yaml"], "latin1.yaml is not valid YAML or JSON: "),
]


@pytest.mark.parametrize(("args", "message"), MANIFESTS, ids=[" ".join(a) for a, _ in MANIFESTS])
def test_check_manifest_file_that_cannot_be_read(
    here: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, err = cli(["check-manifest", *args], capsys)
    assert code == 2
    (line,) = [line for line in err.splitlines() if line.startswith("seldon-graphs check-manifest")]
    assert line.startswith(f"seldon-graphs check-manifest: {message}")


def test_dockerfile_of_an_unknown_node(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = cli(["dockerfile", "g.yaml", "nosuch"], capsys)
    assert (code, err) == (
        2,
        "error: no node named 'nosuch' in g.yaml; nodes with images: classifier\n",
    )
    # the walkthrough's chapter-2 node: Seldon's own server image, nothing to build
    (here / "ch2.yaml").write_text(
        "name: sklearn\nnodes:\n  classifier: {server: sklearn, model_uri: gs://b/iris}\n"
    )
    code, err = cli(["dockerfile", "ch2.yaml", "nosuch"], capsys)
    assert (code, err) == (
        2,
        "error: no node named 'nosuch' in ch2.yaml; nodes with images: none\n",
    )
