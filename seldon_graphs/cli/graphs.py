"""The one graph loader of every command that reads a graph file.

Every command reports a graph the same way: a graph with errors (or, under `--strict`, with
warnings) raises `api.GraphError`, which `cli.main` prints in the command's format and maps
to exit 1; a graph that loads has its warnings printed to stderr (with `--format json`, the
JSON list, empty or not), and the command goes on.
"""

from __future__ import annotations

import os
import sys

from .. import api, settings


def load_graph(
    path: str | os.PathLike[str],
    flags: settings.Flags | None = None,
    *,
    fmt: str = "text",
    strict: bool = False,
) -> api.Graph:
    """The checked graph at `path`, with the command line's image settings `flags`."""
    graph = api.load(path, flags, strict=strict, fmt=fmt)
    if fmt == "json" or graph.warnings:
        print(graph.analysis.render(fmt), file=sys.stderr)
    return graph
