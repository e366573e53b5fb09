"""The graph the page tests run: a transformer, a router that always takes its second child,
a model that scales, and one that refuses negative input (a node error to show)."""

from __future__ import annotations

from pathlib import Path

from seldon_graphs import api

MODELS = """
import numpy as np
from seldon_core.flask_utils import SeldonMicroserviceException


class Scale:
    def __init__(self, factor=2.0):
        self.factor = float(factor)

    def predict(self, X, features_names=None):
        return np.asarray(X, dtype=float) * self.factor

    def init_metadata(self):
        schema = {"names": ["height", "width"], "shape": [2]}
        return {"inputs": [{"messagetype": "ndarray", "schema": schema}]}


class Second:
    def route(self, X, features_names=None):
        return 1


class Picky:
    def predict(self, X, features_names=None):
        if np.asarray(X, dtype=float).sum() < 0:
            raise SeldonMicroserviceException("negative input: model says no", status_code=409)
        return np.asarray(X, dtype=float) + 1
"""

GRAPH = """\
name: pagedemo
namespace: demo
nodes:
  scale: {python: models.py:Scale, params: {factor: 2.0}}
  pick: {python: models.py:Second, kind: router}
  left: {python: models.py:Scale, params: {factor: 10.0}}
  right: {python: models.py:Picky}
flow: scale -> pick -> [left, right]
"""
NODES = ("scale", "pick", "left", "right")


def write_project(root: Path) -> Path:
    """A project folder holding the graph; returns the graph file."""
    (root / "pyproject.toml").write_text("[project]\nname = 'pagedemo'\n")
    (root / "models.py").write_text(MODELS)
    graph = root / "pagedemo.yaml"
    graph.write_text(GRAPH)
    return graph


def load(graph: Path) -> api.Graph:
    result = api.analyze(str(graph))
    assert result.ok and result.spec is not None and result.tree is not None, result.render()
    return api.Graph(result.spec, result.tree, result)
