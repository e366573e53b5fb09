"""`build` of a deployment file against the real Docker engine: a graph two predictors share is
one image, built once (the dry-run planning is tests/test_deployment_images.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from seldon_graphs import deployment
from seldon_graphs.settings import Flags

from .test_images_docker import BASE, CLI, GOOD_CLASS, REGISTRY, _engine, _remove_images

pytestmark = pytest.mark.docker

DEPLOYMENT = """\
deployment: shared
predictors:
  main: {graph: graph.yaml, traffic: 70}
  canary: {graph: graph.yaml, traffic: 30, replicas: 2}
"""


def build(project: Path) -> subprocess.CompletedProcess[str]:
    argv = [*CLI, "build", "shared.yaml", "--base-image", BASE, "--registry", REGISTRY]
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd=project)


def test_a_graph_two_predictors_share_is_built_once(tmp_path: Path) -> None:
    client = _engine()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "model.py").write_text(GOOD_CLASS)
    (tmp_path / "graph.yaml").write_text(
        "name: shared-graph\nnodes:\n  m: {python: model.py:Model}\n"
    )
    (tmp_path / "shared.yaml").write_text(DEPLOYMENT)
    loaded = deployment.load_deployment(tmp_path / "shared.yaml", Flags(REGISTRY, BASE))
    image = loaded.contexts[0].image
    _remove_images(client, [image])
    try:
        first, again = build(tmp_path), build(tmp_path)
    finally:
        _remove_images(client, [image])
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"1 image(s), 1 built, 0 up to date\nmain/m,canary/m\t{image}\n"
    assert again.stdout == f"1 image(s), 0 built, 1 up to date\nmain/m,canary/m\t{image}\n"
