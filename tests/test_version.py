"""`seldon-graphs --version`: the toolkit's version and the runtime its images use."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

from seldon_graphs.cli import main
from seldon_graphs.spec import Runtime


def test_version_names_the_toolkit_and_the_default_runtime(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == (
        f"seldon-graphs {version('seldon-graphs')} (wrapper images: seldon-core "
        f"{Runtime.seldon_core}, Apache-2.0, by default)\n"
    )


def test_version_works_from_the_command_line_without_a_subcommand() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "seldon_graphs.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("seldon-graphs 0.") and "seldon-core 1.17.1" in proc.stdout
