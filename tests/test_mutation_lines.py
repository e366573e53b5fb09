"""scripts/mutation_lines.py: which tests `make mutation` runs on the mutant of a line. A
real pytest run, traced, of a small module and its tests in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
lines_of = load_script(ROOT / "scripts" / "mutation_lines.py")

MODULE = """LIMIT = 3


def double(x):
    return x * 2


def clip(x):
    if x > LIMIT:
        return LIMIT
    return x


def started():
    return "up"
"""

TESTS = """import pytest

import target


@pytest.fixture(scope="module")
def service():
    return target.started()


def test_double():
    assert target.double(2) == 4


def test_clip_low(service):
    assert target.clip(1) == 1


def test_clip_high():
    assert target.clip(9) == 3


def test_uses_the_service_only(service):
    assert service == "up"
"""


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("traced")
    (folder / "target.py").write_text(MODULE)
    (folder / "test_target.py").write_text(TESTS)
    out = folder / "lines.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "scripts")]),
        "MUTATION_LINES_MODULE": str(folder / "target.py"),
        "MUTATION_LINES_OUT": str(out),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         "-p", "mutation_lines", "test_target.py"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return out, json.loads(out.read_text())["lines"]


def test_each_line_gets_the_tests_that_ran_it_in_their_order(traced) -> None:
    out, _ = traced
    test = "test_target.py::test_"
    assert lines_of.tests_for(str(out), 5) == [f"{test}double"]
    assert lines_of.tests_for(str(out), 9) == [f"{test}clip_low", f"{test}clip_high"]
    assert lines_of.tests_for(str(out), 10) == [f"{test}clip_high"]


def test_a_fixtures_lines_go_to_every_test_that_uses_it(traced) -> None:
    """The module fixture is set up once, in test_clip_low; the later test using it relies
    on what it did."""
    out, _ = traced
    test = "test_target.py::test_"
    assert lines_of.tests_for(str(out), 15) == [f"{test}clip_low", f"{test}uses_the_service_only"]


def test_lines_run_at_import_or_never_get_the_whole_set(traced) -> None:
    out, lines = traced
    assert lines["1"] == [lines_of.ALL]  # LIMIT = 3, run when the tests import the module
    assert lines_of.tests_for(str(out), 1) is None
    assert "2" not in lines and lines_of.tests_for(str(out), 2) is None  # a blank line never runs
    assert lines_of.tests_for(str(out.with_name("missing.json")), 5) is None
