"""Deployment files: one SeldonDeployment with several predictors (canary, shadow, A/B).

The pipeline, in order (each module takes the previous one's output):

    detect   which files are deployment files (top-level `predictors:`)
    model    DeploymentSpec, PredictorSpec, Explainer (typed; values keep file:line:col)
    read     deployment file -> DeploymentSpec; each predictor's graph analysed as a graph
             file is (a graph file, or a mapping written inline)
    rules    Seldon's predictor rules: traffic adds up to 100, one shadow beside a main
             predictor, names, one protocol/transport per deployment, derived names
    build    DeploymentSpec + each graph's own compiled predictor -> one SeldonDeployment
    loaded   analyze_deployment (never raises), load_deployment (raises GraphError),
             Deployment (manifest, compile, contexts, explain)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .detect import is_deployment_file, is_deployment_text

# `loaded` (and the rest of the pipeline under it) on first use, as the package above does:
# every command asks `is_deployment_file`, and a graph file needs nothing more from here.
if TYPE_CHECKING:
    from .loaded import (
        Deployment,
        DeploymentAnalysis,
        analyze_deployment,
        analyze_deployment_text,
        load_deployment,
    )

_LOADED = (
    "Deployment",
    "DeploymentAnalysis",
    "analyze_deployment",
    "analyze_deployment_text",
    "load_deployment",
)


def __getattr__(name: str) -> Any:
    if name not in _LOADED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(".loaded", __name__), name)


__all__ = [
    "Deployment",
    "DeploymentAnalysis",
    "analyze_deployment",
    "analyze_deployment_text",
    "is_deployment_file",
    "is_deployment_text",
    "load_deployment",
]
