"""The CLI imports only what the command it runs needs (start-up time; not a timing test)."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from seldon_graphs import cli

REPO = Path(__file__).resolve().parents[1]
CLIENTS = ("docker", "kubernetes", "aiohttp", "seldon_core", "asyncio", "prometheus_client")
# jsonschema is imported only for a file the quick schema check cannot settle; the
# executor's HTTP libraries never by a compiler command.
VALIDATE_NEVER = (*CLIENTS, "jsonschema", "httptools", "uvloop")
# Modules `validate` of a graph file does not use, whatever the graph: the engine's client
# (compile asks the engine for the base image's ID; validate never does), the deployment
# pipeline (for deployment files), the wrapper sources images carry (read as files when a
# context is made; the adapter is imported, 0.35 ms, for its role table: rule role-method),
# and subprocess (only to render a picture).
VALIDATE_GRAPH_NEVER = (
    "seldon_graphs.engine",
    "http.client",
    "ssl",
    "seldon_graphs.deployment.loaded",
    "seldon_graphs.deployment.rules",
    "seldon_graphs.wrapper.init",
    "seldon_graphs.wrapper.launcher",
    "subprocess",
)
# Only a model file on disk (the version that wrote it) or a generated image's context (the
# installed library's dependencies) needs these; networkx only a flow.
METADATA = ("importlib.metadata", "email", "seldon_graphs.model_versions")


def _all_modules_after(argv: list[str], cwd: Path = REPO) -> set[str]:
    """Every module imported by running `seldon-graphs argv` in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from seldon_graphs import cli\n"
        f"code = cli.main({argv!r})\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return set(found)


def _modules_after(argv: list[str]) -> set[str]:
    """Top-level packages imported by running `seldon-graphs argv` in a fresh interpreter."""
    return {m.split(".")[0] for m in _all_modules_after(argv)}


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "graphs/iris.yaml"],
        ["validate", "--format", "json", "graphs/iris.yaml", "graphs/income.yaml"],
        ["compile", "--stdout", "graphs/income.yaml"],
        ["explain", "graphs/iris.yaml"],
        ["graph", "graphs/income.yaml"],
        ["schema"],
    ],
)
def test_compiler_commands_import_no_client(argv: list[str]) -> None:
    assert _modules_after(argv) & set(CLIENTS) == set()


@pytest.mark.parametrize("graph", ["graphs/iris.yaml", "graphs/income.yaml"])
def test_validate_imports_no_schema_library_and_uses_libyaml(graph: str) -> None:
    found = _modules_after(["validate", graph])
    assert found & set(VALIDATE_NEVER) == set()
    assert "yaml" in found


ONE_NODE = {
    "generated": "m: {server: sklearn, server_image: generated, model_uri: s3://b/m, "
    "local_uri: models/m}",
    "server": "m: {server: xgboost, model_uri: s3://b/m}",
    "python": "m: {python: models.py:Model}",
    "stock": "m: {stock: identity}",
}
WITH_FLOW = "a: {python: models.py:Model}\n  b: {server: sklearn, model_uri: s3://b/m}"


def _graph_file(tmp: Path, nodes: str, flow: str | None = None) -> str:
    (tmp / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp / "models.py").write_text(
        "class Model:\n    def predict(self, X, names):\n        return X\n"
    )
    text = f"name: g\nnodes:\n  {nodes}\n" + (f"flow: {flow}\n" if flow else "")
    (tmp / "graph.yaml").write_text(text)
    return "graph.yaml"


@pytest.mark.parametrize("graph", ["graphs/iris.yaml", "graphs/income.yaml", "graphs/mlflow.yaml"])
def test_validate_of_a_graph_file_imports_no_engine_deployment_or_image_code(graph: str) -> None:
    found = _all_modules_after(["validate", graph])
    assert found & set(VALIDATE_GRAPH_NEVER) == set()


@pytest.mark.parametrize("kind", sorted(ONE_NODE))
def test_validate_of_one_node_and_no_flow_imports_no_networkx(tmp_path: Path, kind: str) -> None:
    found = _all_modules_after(["validate", _graph_file(tmp_path, ONE_NODE[kind])], tmp_path)
    assert "networkx" not in found
    assert found & set(VALIDATE_GRAPH_NEVER) == set()
    # the installed library a generated image pins is read from its .dist-info folder's name
    assert found & set(METADATA) == set()


@pytest.mark.parametrize("graph", ["graphs/iris.yaml", "graphs/iris-v2.yaml", "graphs/mlflow.yaml"])
def test_validate_of_the_one_node_examples_imports_no_networkx(graph: str) -> None:
    assert "networkx" not in _modules_after(["validate", graph])


def test_validate_of_a_graph_with_a_flow_imports_networkx_and_nothing_else_new(
    tmp_path: Path,
) -> None:
    found = _all_modules_after(["validate", _graph_file(tmp_path, WITH_FLOW, "a -> b")], tmp_path)
    assert "networkx" in found
    assert found & set(VALIDATE_GRAPH_NEVER) == set()
    assert "seldon_graphs.model_versions" not in found


def test_a_deployment_file_imports_the_deployment_pipeline() -> None:
    found = _all_modules_after(["validate", "graphs/iris-canary.yaml"])
    assert "seldon_graphs.deployment.loaded" in found
    assert found & {"seldon_graphs.engine", "seldon_graphs.wrapper.launcher"} == set()


def test_the_graph_loader_is_libyamls() -> None:
    from seldon_graphs import yamlpos

    assert yamlpos._Loader.__name__ == "CSafeLoader"


def _registered(module: str) -> set[str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(module).register(sub)
    return set(sub.choices)


def test_every_command_is_homed_in_the_module_that_registers_it() -> None:
    homes = {name: _registered(name) for name in cli.COMMAND_MODULES}
    assert {c: m for m, cs in homes.items() for c in cs} == cli.COMMAND_HOME


def test_a_known_command_registers_only_its_own_module() -> None:
    parser = cli.build_parser(["validate", "graphs/iris.yaml"])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {"validate", "compile", "explain", "graph", "schema"}


@pytest.mark.parametrize("argv", [[], ["--help"], ["valdate", "x.yaml"], None])
def test_anything_else_registers_every_command(argv: list[str] | None) -> None:
    parser = cli.build_parser(argv)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(cli.COMMAND_HOME)


def test_importing_the_cli_imports_no_compiler_before_main_tunes_the_collector() -> None:
    code = (
        "import sys, seldon_graphs.cli; "
        "print(sorted({'networkx', 'yaml', 'seldon_graphs.api'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stderr
