"""Deployment files go through the same loader as graph files
(`cli.graphs.load_graph_or_deployment`): a deployment file with errors, one with warnings,
`--strict` and `--format json` read the same in every command that takes one, and the
commands that draw or call one graph refuse it as a usage error. Runs the real commands: the
file is judged before anything needs Docker or a cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from seldon_graphs import api, deployment
from seldon_graphs.cli import main
from seldon_graphs.cli.graphs import load_graph_or_deployment
from seldon_graphs.deploy.target import load_target
from tests.test_graph_loader import CLEAN, NO_CLUSTER, project
from tests.test_graph_loader import COMMANDS as GRAPH_COMMANDS

__all__ = ["project"]  # the graph files' project (clean, warned, broken), which these extend

DOUBLER = """

class Doubler:
    def predict(self, X, features_names=None):
        return X * 2
"""
# Errors in the deployment file (traffic adds up to 110) and in a predictor's graph.
BROKEN_DEP = (
    "deployment: dep\npredictors:\n"
    "  main: {graph: broken.yaml, traffic: 90}\n"
    "  canary: {graph: clean.yaml, traffic: 20}\n"
)
WARNED_DEP = (
    "deployment: dep\npredictors:\n"
    "  main: {graph: clean.yaml, traffic: 90}\n"
    "  canary: {graph: warned.yaml, traffic: 10}\n"
)
CLEAN_DEP = (
    "deployment: dep\npredictors:\n"
    "  main: {graph: clean.yaml, traffic: 90}\n"
    "  canary: {graph: clean.yaml, traffic: 10}\n"
)
TAKE_DEPLOYMENTS = ("compile", "explain", "run", "deploy", "status", "diff", "delete")
# Every command that takes a deployment file, with what else it needs to get that far.
COMMANDS = {
    **{name: GRAPH_COMMANDS[name] for name in TAKE_DEPLOYMENTS},
    "promote": ["promote", "{g}", "canary", *NO_CLUSTER],
}


@pytest.fixture
def deployments(project: Path) -> Path:
    with (project / "model.py").open("a") as model:
        model.write(DOUBLER)
    files = {"broken-dep": BROKEN_DEP, "warned-dep": WARNED_DEP, "clean-dep": CLEAN_DEP}
    for name, text in files.items():
        (project / f"{name}.yaml").write_text(text)
    return project


def _argv(command: str, file: str) -> list[str]:
    return [a.format(g=file) for a in COMMANDS[command]]


def _rendered(file: str, fmt: str = "text") -> str:
    return deployment.analyze_deployment(file).render(fmt) + "\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_deployment_file_with_errors_reads_the_same_in_every_command(
    deployments: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(command, "broken-dep.yaml")) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", _rendered("broken-dep.yaml"))
    # the predictor's graph (bad name, missing file) and the deployment file (traffic, and
    # the predictor whose graph has errors), all at once
    assert "broken.yaml:1:7: error:" in err and "broken-dep.yaml:" in err
    assert "4 errors, 0 warnings" in err
    assert not (deployments / "out").exists()


@pytest.mark.parametrize("command", ["deploy", "status", "promote"])
def test_a_deployment_files_warnings_are_shown_before_the_command_goes_on(
    deployments: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(command, "warned-dep.yaml")) == 1  # then: no cluster
    err = capsys.readouterr().err
    assert err.startswith(_rendered("warned-dep.yaml"))
    assert "[router-without-children]" in err and "0 errors, 1 warning" in err
    assert len(err) > len(_rendered("warned-dep.yaml"))  # then the command's own failure


def test_strict_compile_fails_on_a_deployment_files_warnings_alone(
    deployments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "warned-dep.yaml", "-o", "out", "--strict"]) == 1
    assert capsys.readouterr() == ("", _rendered("warned-dep.yaml"))
    assert not (deployments / "out").exists()
    assert main(["compile", "warned-dep.yaml", "-o", "out"]) == 0
    assert (deployments / "out" / "dep" / api.MANIFEST_FILE).is_file()


@pytest.mark.parametrize(("file", "code"), [("broken-dep.yaml", 1), ("warned-dep.yaml", 0)])
def test_compile_json_reports_a_deployment_files_diagnostics_as_json(
    deployments: Path, file: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", file, "--stdout", "--format", "json"]) == code
    err = capsys.readouterr().err
    assert err == _rendered(file, "json")
    rules = sorted(d["rule"] for d in json.loads(err))
    broken = ["bad-name", "deploy-traffic", "graph-errors", "missing-file"]
    assert rules == (broken if code else ["router-without-children"])


def test_compile_json_of_a_clean_deployment_file_is_an_empty_list(
    deployments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "clean-dep.yaml", "--stdout", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "[]\n" and captured.out.startswith("apiVersion: machinelearning")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["graph", "clean-dep.yaml"], "`graph` draws one graph"),
        (["predict", "clean-dep.yaml", "--data", "{}"], "`predict` sends a request"),
    ],
)
def test_one_graph_commands_refuse_a_deployment_file_as_usage(
    deployments: Path, argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("seldon-graphs: error: clean-dep.yaml is a deployment file")
    assert says in err


def test_the_loader_returns_a_deployment_for_a_deployment_file(deployments: Path) -> None:
    loaded = load_graph_or_deployment("warned-dep.yaml")
    assert isinstance(loaded, deployment.Deployment)
    assert [p.name for p, _ in loaded.predictors] == ["main", "canary"]
    assert [d.rule for d in loaded.warnings] == ["router-without-children"]
    assert isinstance(load_graph_or_deployment("clean.yaml"), api.Graph)
    with pytest.raises(api.GraphError) as caught:
        load_graph_or_deployment("warned-dep.yaml", strict=True, fmt="json")
    assert caught.value.render() == _rendered("warned-dep.yaml", "json").rstrip("\n")


def test_deploy_targets_carry_every_predictors_graph(deployments: Path) -> None:
    target = load_target("clean-dep.yaml", load_graph_or_deployment)
    assert isinstance(target.graph, deployment.Deployment) and target.is_deployment
    assert target.spec is None  # its nodes live in two graphs
    assert [g.spec.name for g in target.graphs] == ["clean", "clean"]
    assert target.manifest == target.graph.manifest() and target.name == "dep"
    assert [p["name"] for p in target.manifest["spec"]["predictors"]] == ["main", "canary"]


@pytest.mark.parametrize(
    ("registries", "expected"),
    [
        ((None, None), None),
        (("r.example:5000", "r.example:5000"), "r.example:5000"),
        (("a.example", "b.example"), None),
    ],
)
def test_a_deployment_targets_registry_is_every_graphs_one(
    deployments: Path, registries: tuple[str | None, str | None], expected: str | None
) -> None:
    for name, registry in zip(("one", "two"), registries, strict=True):
        line = f"registry: {registry}\n" if registry else ""
        (deployments / f"{name}.yaml").write_text(f"name: {name}\n{line}" + CLEAN.split("\n", 1)[1])
    (deployments / "dep.yaml").write_text(
        "deployment: dep\npredictors:\n"
        "  main: {graph: one.yaml, traffic: 50}\n  canary: {graph: two.yaml, traffic: 50}\n"
    )
    target = load_target("dep.yaml", load_graph_or_deployment)
    assert target.registry == expected
    graph_target = load_target("one.yaml", load_graph_or_deployment)
    assert (graph_target.is_deployment, graph_target.registry) == (False, registries[0])


@pytest.mark.slow
def test_run_serves_a_deployment_file_loaded_through_the_loader(deployments: Path) -> None:
    """`run DEPLOYMENT_FILE` as a user types it: a real child process, real HTTP; each
    predictor pinned by the ingress's header answers through its own executor."""
    from seldon_graphs.runtime.ingress import PREDICTOR_HEADER
    from tests.runtime.test_commands import Run

    doubled = "name: doubled\nnodes:\n  m: {python: model.py:Doubler}\n"
    (deployments / "doubled.yaml").write_text(doubled)
    (deployments / "ab.yaml").write_text(
        "deployment: ab\npredictors:\n"
        "  main: {graph: clean.yaml, traffic: 50}\n  canary: {graph: doubled.yaml, traffic: 50}\n"
    )
    run = Run(str(deployments / "ab.yaml"), "--runtime", "inprocess")
    try:
        for name, expected in (("main", [[1, 2]]), ("canary", [[2, 4]])):
            answer = requests.post(
                f"{run.url}/api/v1.0/predictions",
                json={"data": {"ndarray": [[1, 2]]}},
                headers={PREDICTOR_HEADER: name},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["data"]["ndarray"] == expected
    finally:
        run.close()
