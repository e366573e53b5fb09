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


def _modules_after(argv: list[str]) -> set[str]:
    """Top-level packages imported by running `seldon-graphs argv` in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from seldon_graphs import cli\n"
        f"code = cli.main({argv!r})\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return set(found)


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
