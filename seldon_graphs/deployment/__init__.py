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

from .detect import is_deployment_file, is_deployment_text
from .loaded import (
    Deployment,
    DeploymentAnalysis,
    analyze_deployment,
    analyze_deployment_text,
    load_deployment,
)

__all__ = [
    "Deployment",
    "DeploymentAnalysis",
    "analyze_deployment",
    "analyze_deployment_text",
    "is_deployment_file",
    "is_deployment_text",
    "load_deployment",
]
