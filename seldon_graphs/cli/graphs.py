"""The one loader of every command that reads a graph file or a deployment file.

Every command reports a file the same way: one with errors (or, under `--strict`, with
warnings) raises `api.GraphError`, which `cli.main` prints in the command's format and maps
to exit 1; a file that loads has its warnings printed to stderr (with `--format json`, the
JSON list, empty or not), and the command goes on. `load_graph` reads a graph file;
`load_graph_or_deployment` also reads a deployment file (top-level `predictors:`), for the
commands that take either.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from .. import api, settings
from ..deployment.detect import is_deployment_file

if TYPE_CHECKING:  # the deployment modules are imported for a deployment file only
    from .. import deployment


def load_graph(
    path: str | os.PathLike[str],
    flags: settings.Flags | None = None,
    *,
    fmt: str = "text",
    strict: bool = False,
) -> api.Graph:
    """The checked graph at `path`, with the command line's image settings `flags`."""
    graph = api.load(path, flags, strict=strict, fmt=fmt)
    _warn(graph.analysis, fmt)
    return graph


def load_graph_or_deployment(
    path: str | os.PathLike[str],
    flags: settings.Flags | None = None,
    *,
    fmt: str = "text",
    strict: bool = False,
) -> api.Graph | deployment.Deployment:
    """`load_graph`, or the checked Deployment when `path` is a deployment file."""
    if not is_deployment_file(path):
        return load_graph(path, flags, fmt=fmt, strict=strict)
    from ..deployment import load_deployment

    loaded = load_deployment(path, flags, strict=strict, fmt=fmt)
    _warn(loaded.analysis, fmt)
    return loaded


def _warn(analysis: api.Analysis | deployment.DeploymentAnalysis, fmt: str) -> None:
    if fmt == "json" or analysis.diagnostics:
        print(analysis.render(fmt), file=sys.stderr)
