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
"""

from .api import Analysis, Graph, GraphError, analyze, analyze_text, load
from .diagnostics import Diagnostic, Severity
from .spec import GraphSpec, NodeSpec, Role
from .tree import TreeNode

__version__ = "0.1.0"

__all__ = [
    "Analysis",
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
    "analyze_text",
    "load",
]
