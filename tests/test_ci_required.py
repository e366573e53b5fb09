"""Under CI=true a missing oracle (../shared) or a broken import fails the build, never skips.

Each case runs pytest in a fresh clone of this checkout placed where no ../shared is beside
it, once with CI=true (every listed test must fail, none skip) and once without (each skips,
saying why). The clone reuses this run's venv; PYTHONPATH puts the clone's code first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import clone_repo

# One test per place that reads ../shared: deploy, property, manifest (fixture, marker, params).
NEEDS_SHARED = (
    "tests/deploy/test_flow.py::test_shared_invalid_example_is_rejected_with_seldons_message",
    "tests/deploy/test_commands.py::test_secret_from_file_replaces_the_walkthroughs_base64",
    "tests/property/test_valid_graphs.py::test_valid_graphs_compile_to_manifests_the_cluster_accepts",
    "tests/manifest/test_manifest_crd.py::test_the_schema_is_the_v1_openapi_schema",
    "tests/manifest/test_manifest_crd.py::test_cached_on_disk_by_content_and_in_process",
    "tests/manifest/test_manifest_cli.py::test_crd_from_flag_or_environment",
)
# Parametrized over Seldon's examples (two folders): their absence is found while collecting.
NEEDS_EXAMPLES = "tests/manifest/test_manifest_oracle.py"
CI_FAILURE = "(CI=true: a missing oracle or tool is a failure)"


@pytest.fixture(scope="module")
def lonely_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone with no ../shared beside it."""
    clone = clone_repo(tmp_path_factory.mktemp("no-shared") / "seldon-graphs")
    assert not (clone.parent / "shared").exists()
    return clone


def pytest_in(clone: Path, *args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(clone)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def counts(summary: str) -> dict[str, int]:
    last = summary.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


def test_missing_shared_fails_every_oracle_test_under_ci(lonely_clone: Path) -> None:
    args = ("-q", "-rfE", "--continue-on-collection-errors", *NEEDS_SHARED, NEEDS_EXAMPLES)
    result = pytest_in(lonely_clone, *args, ci=True)
    assert result.returncode == 1, result.stdout
    # A fixture that fails counts as an error, a test body that fails as a failure.
    outcomes = {word.rstrip("s"): n for word, n in counts(result.stdout).items()}
    assert set(outcomes) == {"failed", "error"}, result.stdout
    assert sum(outcomes.values()) == len(NEEDS_SHARED) + 1, result.stdout
    reported = [
        line for line in result.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))
    ]
    assert len(reported) == len(NEEDS_SHARED) + 1
    assert all(CI_FAILURE in line and "../shared" in line for line in reported), reported
    assert "Traceback" not in result.stdout


def test_missing_shared_skips_with_the_reason_elsewhere(lonely_clone: Path) -> None:
    oracle = f"{NEEDS_EXAMPLES}::test_seldon_admits_it_so_do_we"
    result = pytest_in(lonely_clone, "-q", "-rs", *NEEDS_SHARED, oracle, ci=False)
    assert result.returncode == 0, result.stdout
    skipped = len(NEEDS_SHARED) + 2  # the examples: one case per folder
    assert counts(result.stdout) == {"skipped": skipped}, result.stdout
    assert result.stdout.count("(../shared beside the repo)\n") == skipped


def test_a_broken_import_fails_instead_of_skipping(tmp_path: Path) -> None:
    clone = clone_repo(tmp_path / "seldon-graphs")
    api = clone / "seldon_graphs" / "api.py"
    api.write_text(api.read_text() + '\nraise ImportError("broken on purpose")\n')
    result = pytest_in(clone, "-q", "tests/deploy/test_graphs.py", ci=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "ImportError: broken on purpose" in output
    assert "skipped" not in output and " passed" not in output
