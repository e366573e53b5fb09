"""What `models push` uploads from a graph file or a deployment file.

A deployment file's predictors may share a graph, or point two server nodes at one model:
each (local folder, model_uri) pair is uploaded once, named `PREDICTOR/NODE` (every predictor
that uses it). Two different local folders for one model_uri would overwrite each other in the
bucket, so that is an error at both nodes' `local_uri`.
"""

from __future__ import annotations

from dataclasses import replace

from .. import api
from ..deploy.errors import DeployError
from ..deploy.push import Upload, uploads
from .image_plans import GraphOf, Loaded, graphs_of


def every_upload(loaded: Loaded) -> tuple[list[Upload], list[str]]:
    """The uploads of every graph, each once, and the server nodes left out (with why)."""
    todo: dict[tuple[str, str], Upload] = {}
    origin: dict[str, tuple[Upload, str]] = {}  # model_uri -> its first upload, where written
    left: list[str] = []
    for where in graphs_of(loaded):
        found, skipped = uploads(where.graph.spec)
        left.extend(where.label(why) for why in skipped)
        for node_upload in found:
            at = _local_uri_at(where, node_upload.node)
            upload = replace(node_upload, node=where.label(node_upload.node))
            first, first_at = origin.setdefault(upload.dest, (upload, at))
            if first.source != upload.source:
                raise DeployError(
                    f"{upload.node} ({at}) and {first.node} ({first_at}) upload different "
                    f"folders to {upload.dest}: one would overwrite the other",
                    "give each model a model_uri of its own, or both nodes the same local_uri",
                )
            key = (str(upload.source), upload.dest)
            known = todo.get(key)
            todo[key] = replace(upload, node=f"{known.node},{upload.node}") if known else upload
    return list(todo.values()), left


def _local_uri_at(where: GraphOf, node: str) -> str:
    spec = where.graph.spec
    pos = spec.node(node).at("local_uri")
    return f"{api.display_path(spec.file)}:{pos.line}:{pos.col}"
