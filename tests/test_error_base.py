"""One error base: every user-fixable error is a SeldonGraphsError, and the CLI maps one that
escapes its command to exit 1 with its message, never a traceback."""

from __future__ import annotations

import argparse

import pytest

from seldon_graphs import cli
from seldon_graphs.api import GraphError
from seldon_graphs.deploy.errors import DeployError, RejectedError
from seldon_graphs.emit import OutputError
from seldon_graphs.errors import EXIT_PROBLEMS, EXIT_USAGE, SeldonGraphsError
from seldon_graphs.manifest.crd import CrdError
from seldon_graphs.picture import PictureError
from seldon_graphs.runtime.errors import RuntimeProblem
from seldon_graphs.settings import SettingsError
from seldon_graphs.wrapper.findings import ContextError
from seldon_graphs.wrapper.images import BuildError


@pytest.mark.parametrize(
    "cls",
    [
        GraphError,
        DeployError,
        RejectedError,
        RuntimeProblem,
        ContextError,
        BuildError,
        CrdError,
        PictureError,
        OutputError,
        SettingsError,
    ],
)
def test_every_error_family_shares_the_base(cls: type[Exception]) -> None:
    assert issubclass(cls, SeldonGraphsError)


@pytest.mark.parametrize(
    ("error", "code", "text"),
    [
        (
            OutputError("out/ exists and was not written by seldon-graphs"),
            EXIT_USAGE,
            "seldon-graphs: error: out/ exists and was not written by seldon-graphs\n",
        ),
        (
            RuntimeProblem("node `m` did not start"),
            EXIT_PROBLEMS,
            "seldon-graphs: error: node `m` did not start\n",
        ),
        (
            DeployError("the cluster is unreachable", "run `make kind-up`"),
            EXIT_PROBLEMS,
            "error: the cluster is unreachable\n  help: run `make kind-up`\n",
        ),
    ],
)
def test_an_escaping_error_exits_with_its_code_and_message(
    error: SeldonGraphsError,
    code: int,
    text: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def failing(_args: argparse.Namespace) -> int:
        raise error

    def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
        built = argparse.ArgumentParser(prog="seldon-graphs")
        built.add_subparsers().add_parser("boom").set_defaults(func=failing)
        return built

    monkeypatch.setattr(cli, "build_parser", parser)
    assert cli.main(["boom"]) == code
    assert capsys.readouterr().err == text
