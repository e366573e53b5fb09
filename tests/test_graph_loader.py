"""Every command that reads a graph file loads it through `cli.graphs.load_graph`, so a graph
with errors, a graph with warnings and `--strict`/`--format json` read the same everywhere.
Runs the real commands: the graph is judged before anything needs Docker or a cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seldon_graphs import api
from seldon_graphs.cli import main
from seldon_graphs.cli.graphs import load_graph
from seldon_graphs.deploy.target import load_target

MODEL = """class Model:
    def predict(self, X, features_names=None):
        return X


class Combiner:
    def aggregate(self, Xs, features_names):
        return Xs[0]
"""
BROKEN = "name: Broken_Name\nnodes:\n  n: {python: nope.py:Model}\n"
# A router without children: valid, with one warning (router-without-children).
WARNED = "name: passthrough\nnodes:\n  idle: {python: model.py:Model, kind: router}\n"
CLEAN = "name: clean\nnodes:\n  m: {python: model.py:Model}\n"
NO_CLUSTER = ["--kubeconfig", "missing-kubeconfig"]
# Every command that reads one graph file, with what else it needs to get that far.
COMMANDS = {
    "compile": ["compile", "{g}", "-o", "out"],
    "explain": ["explain", "{g}"],
    "graph": ["graph", "{g}"],
    "build": ["build", "{g}"],
    "dockerfile": ["dockerfile", "{g}", "m"],
    "run": ["run", "{g}", "--port", "0"],
    "predict": ["predict", "{g}", "--data", '{{"data": {{"ndarray": [[1]]}}}}'],
    "deploy": ["deploy", "{g}", *NO_CLUSTER],
    "status": ["status", "{g}", *NO_CLUSTER],
    "diff": ["diff", "{g}", *NO_CLUSTER],
    "delete": ["delete", "{g}", *NO_CLUSTER],
    "models push": ["models", "push", "{g}", "--from-env", "HOME"],
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "model.py").write_text(MODEL)
    for name, text in (("broken", BROKEN), ("warned", WARNED), ("clean", CLEAN)):
        (tmp_path / f"{name}.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return tmp_path


def _argv(command: str, graph: str) -> list[str]:
    return [a.format(g=graph) for a in COMMANDS[command]]


def _rendered(graph: str, fmt: str = "text") -> str:
    return api.analyze(graph).render(fmt) + "\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_graph_with_errors_reads_the_same_in_every_command(
    project: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(command, "broken.yaml")) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", _rendered("broken.yaml"))
    assert "2 errors, 0 warnings" in err  # the bad name and the missing file, both at once
    assert not (project / "out").exists()


@pytest.mark.parametrize("command", ["deploy", "status", "models push"])
def test_warnings_are_shown_before_the_command_goes_on(
    project: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """deploy and models push used to drop the warnings of a graph that loads."""
    assert main(_argv(command, "warned.yaml")) == 1  # no cluster, no model_uri to push
    err = capsys.readouterr().err
    assert err.startswith(_rendered("warned.yaml"))
    assert "[router-without-children]" in err and "0 errors, 1 warning" in err
    assert len(err) > len(_rendered("warned.yaml"))  # then the command's own failure


@pytest.mark.parametrize("command", ["compile", "explain", "dockerfile"])
def test_a_clean_graph_prints_no_diagnostics(
    project: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(command, "clean.yaml")) == 0
    assert "error" not in capsys.readouterr().err


def test_strict_compile_fails_on_warnings_alone(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "warned.yaml", "-o", "out", "--strict"]) == 1
    assert capsys.readouterr() == ("", _rendered("warned.yaml"))
    assert not (project / "out").exists()
    assert main(["compile", "warned.yaml", "-o", "out"]) == 0


@pytest.mark.parametrize(("graph", "code"), [("broken.yaml", 1), ("warned.yaml", 0)])
def test_compile_json_reports_the_diagnostics_as_json(
    project: Path, graph: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", graph, "--stdout", "--format", "json"]) == code
    err = capsys.readouterr().err
    assert err == _rendered(graph, "json")
    rules = [d["rule"] for d in json.loads(err)]
    assert rules == (["bad-name", "missing-file"] if code else ["router-without-children"])


def test_compile_json_of_a_clean_graph_is_an_empty_list(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "clean.yaml", "--stdout", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "[]\n" and captured.out.startswith("apiVersion: machinelearning")


def test_an_unreadable_graph_reads_as_a_diagnostic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "/nonexistent/g.yaml"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("/nonexistent/g.yaml:1:1: error: cannot read the graph file")


def test_deploy_reads_a_missing_file_itself(capsys: pytest.CaptureFixture[str]) -> None:
    """deploy also takes SeldonDeployment files, so it reads the file before the loader."""
    assert main(["deploy", "/nonexistent/g.yaml", *NO_CLUSTER]) == 1
    err = capsys.readouterr().err
    assert err == "error: cannot read /nonexistent/g.yaml: No such file or directory\n"


def test_load_graph_returns_the_typed_graph(project: Path) -> None:
    graph = load_graph("warned.yaml")
    assert isinstance(graph, api.Graph)
    assert (graph.spec.name, [d.rule for d in graph.warnings]) == (
        "passthrough",
        ["router-without-children"],
    )
    with pytest.raises(api.GraphError) as caught:
        load_graph("warned.yaml", strict=True, fmt="json")
    assert caught.value.render() == api.analyze("warned.yaml").render("json")


def test_deploy_targets_carry_the_loaded_graph(project: Path) -> None:
    target = load_target("clean.yaml", api.load)
    assert isinstance(target.graph, api.Graph)
    assert target.spec is target.graph.spec and target.name == "clean"
    assert target.manifest == target.graph.manifest()


def test_a_seldondeployment_file_is_not_compiled(project: Path) -> None:
    (project / "sdep.yaml").write_text(
        "apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\n"
        "metadata: {name: plain}\nspec: {predictors: []}\n"
    )
    target = load_target(project / "sdep.yaml", _never)
    assert (target.graph, target.spec, target.name) == (None, None, "plain")


def _never(file: Path) -> api.Graph:
    raise AssertionError(f"a SeldonDeployment file is not compiled: {file}")
