"""`make deploy GRAPH=... REGISTRY=R` passes `--registry R` to deploy (and nothing without it)."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import REPO, require_tool


@pytest.mark.parametrize(
    ("extra", "tail"),
    [(("REGISTRY=127.0.0.1:5000/team",), " --registry 127.0.0.1:5000/team"), ((), "")],
)
def test_make_deploy_passes_the_registry(extra: tuple[str, ...], tail: str) -> None:
    make = require_tool("make")
    printed = subprocess.run(
        [make, "-s", "-n", "deploy", "GRAPH=graphs/abtest.yaml", *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert printed[-1].rstrip() == (
        ".venv/bin/seldon-graphs deploy graphs/abtest.yaml --context kind-seldon --wait 300" + tail
    )
