"""Fixtures for check-manifest: Seldon's own CRD and examples, read from ../shared.

They are Seldon's files and stay there; without ../shared the tests that need them skip
with a reason saying so, and fail under CI=true (tests.helpers.missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.manifest import load_crd_schema
from tests.helpers import CRD_FILE, NO_SHARED, REPO, SELDON_EXAMPLES, missing_param, require_file

__all__ = ["CRD_FILE", "REPO", "examples", "needs_crd", "predictor", "sdep"]

EXAMPLES = SELDON_EXAMPLES
# For tests that read CRD_FILE themselves rather than through `crd_schema`.
needs_crd = pytest.mark.usefixtures("crd_file")


def examples(folder: str) -> list[Any]:
    """Parametrize over one examples folder; a single case saying they are absent."""
    files = sorted(p for p in (EXAMPLES / folder).glob("*") if p.suffix in (".json", ".yaml"))
    if not files:
        return [missing_param(f"{EXAMPLES / folder} is empty: {NO_SHARED}")]
    return [pytest.param(p, id=p.name) for p in files]


@pytest.fixture(scope="session")
def crd_file() -> Path:
    return require_file(CRD_FILE, NO_SHARED)


@pytest.fixture(scope="session")
def crd_schema(crd_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return load_crd_schema(crd_file, cache_dir=tmp_path_factory.mktemp("crd-cache"))


def sdep(*predictors: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """A SeldonDeployment around the given predictors (default: one valid predictor)."""
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": "SeldonDeployment",
        "metadata": {"name": "mydep"},
        "spec": {"predictors": list(predictors) or [predictor()], **spec},
    }


def predictor(
    name: str = "p1", graph: dict[str, Any] | None = None, containers: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A predictor; containers default to one per graph node that needs one."""
    graph = graph if graph is not None else {"name": "classifier", "type": "MODEL"}
    names = containers or tuple(_container_nodes(graph))
    return {
        "name": name,
        "graph": graph,
        "componentSpecs": [
            {"spec": {"containers": [{"name": n, "image": "seldonio/mock:1.0"} for n in names]}}
        ],
    }


def _container_nodes(graph: dict[str, Any]) -> list[str]:
    out, stack = [], [graph]
    while stack:
        node = stack.pop()
        if node.get("implementation") in (None, "UNKNOWN_IMPLEMENTATION"):
            out.append(node["name"])
        stack.extend(reversed(node.get("children", [])))
    return out
