"""Fixtures for check-manifest: Seldon's own CRD and examples, read from ../shared.

They are Seldon's files and stay there; without ../shared the tests that need them skip
with a reason saying so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.manifest import load_crd_schema

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CRD_FILE = SHARED / "seldon" / "crd" / "seldondeployments.machinelearning.seldon.io.yaml"
EXAMPLES = SHARED / "seldon" / "examples"
NO_SHARED = f"Seldon's CRD and examples are not at {SHARED} (../shared beside the repo)"


def examples(folder: str) -> list[Any]:
    """Parametrize over one examples folder; a single skipped case when it is absent."""
    files = sorted(p for p in (EXAMPLES / folder).glob("*") if p.suffix in (".json", ".yaml"))
    if not files and os.environ.get("CI") == "true":  # CI has ../shared: its absence is a bug
        raise RuntimeError(NO_SHARED)
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_SHARED), id="no-shared")]
    return [pytest.param(p, id=p.name) for p in files]


@pytest.fixture(scope="session")
def crd_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not CRD_FILE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(NO_SHARED)
        pytest.skip(NO_SHARED)
    return load_crd_schema(CRD_FILE, cache_dir=tmp_path_factory.mktemp("crd-cache"))


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
