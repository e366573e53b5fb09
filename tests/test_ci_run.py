""".ci/run, the CI entry point, run for real with stub tools (it would otherwise install
packages, start dockerd and run the whole suite): what it hands to `make`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, require_file

STUB = """#!/bin/sh
echo "$(basename "$0") $* CI=$CI HYPOTHESIS_PROFILE=$HYPOTHESIS_PROFILE" >> "$LOG"
"""


def test_ci_run_sets_ci_and_the_hypothesis_profile(tmp_path: Path) -> None:
    bash = require_file(Path("/bin/bash"), ".ci/run is a bash script")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "docker", "dockerd", "debootstrap", "dot", "chromedriver"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "LOG": str(tmp_path / "log"),
        "HOME": str(tmp_path),
    }
    subprocess.run([bash, REPO / ".ci" / "run"], env=env, check=True, timeout=60)
    assert (tmp_path / "log").read_text().splitlines() == [
        "docker info CI= HYPOTHESIS_PROFILE=",
        "make lint CI=true HYPOTHESIS_PROFILE=ci",
        "make controlplane-up CI=true HYPOTHESIS_PROFILE=ci",
        "make test CI=true HYPOTHESIS_PROFILE=ci",
        "make controlplane-down CI=true HYPOTHESIS_PROFILE=ci",
    ]


def test_the_ci_profile_is_the_one_loaded() -> None:
    code = "import tests.property.conftest; from hypothesis import settings; print(settings())"
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "derandomize=True" in out.stdout
