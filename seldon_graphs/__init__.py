"""seldon-graphs: inference-graph files compiled into Seldon Core v1 deployments.

The pipeline, one module per stage (each takes only the previous stage's output):

    parse     graph file -> GraphSpec (typed; every value keeps its file:line:col)
    check     GraphSpec -> diagnostics for nodes and settings
    context_check  GraphSpec -> diagnostics for build contexts (wrapper.context's checks)
    dataflow  GraphSpec -> networkx DAG of who consumes whose output
    lower     DAG -> Seldon v1 tree with roles (TreeNode)
    compile   GraphSpec + tree -> SeldonDeployment; wrapper.context -> build contexts

Public API (pinned by tests/test_public_api.py):

    graph = seldon_graphs.load("graphs/income.yaml")   # raises GraphError, listing problems
    graph.manifest(); graph.compile("build/"); graph.explain()
    graph.with_nodes(lr=FakeModel()).predict({"data": {"ndarray": [[1, 2]]}})
    seldon_graphs.analyze("graphs/income.yaml").diagnostics   # never raises
    seldon_graphs.load_deployment("graphs/iris-canary.yaml").manifest()   # several predictors
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use: `seldon_graphs.cli` sets the collector's thresholds before the
# compiler and networkx are imported (a twentieth of `validate`'s start-up), and a command
# that does not compile never imports them.
if TYPE_CHECKING:
    from .api import Analysis, Graph, GraphError, analyze, analyze_text, load
    from .deployment import Deployment, analyze_deployment, load_deployment
    from .diagnostics import Diagnostic, Severity
    from .spec import GraphSpec, NodeSpec, Role
    from .tree import TreeNode

__version__ = "0.1.0"
_HOME = {
    **dict.fromkeys(("Analysis", "Graph", "GraphError", "analyze", "analyze_text", "load"), "api"),
    **dict.fromkeys(("Diagnostic", "Severity"), "diagnostics"),
    **dict.fromkeys(("GraphSpec", "NodeSpec", "Role"), "spec"),
    "TreeNode": "tree",
    **dict.fromkeys(("Deployment", "analyze_deployment", "load_deployment"), "deployment"),
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)


__all__ = [
    "Analysis",
    "Deployment",
    "Diagnostic",
    "Graph",
    "GraphError",
    "GraphSpec",
    "NodeSpec",
    "Role",
    "Severity",
    "TreeNode",
    "__version__",
    "analyze",
    "analyze_deployment",
    "analyze_text",
    "load",
    "load_deployment",
]
