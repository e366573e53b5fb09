"""Map the API server's / Seldon webhook's field errors back to the graph file.

Seldon's webhook names a graph node by a path in which each child appends only its index
(`spec.predictors[0].graph[1][0]`) and gives the node's name as the value; the schema
validator uses `...graph.children[1]`. Either way we find the node, and the graph file
knows the line it was declared on.
"""

from __future__ import annotations

import re

from ..sdep import PredictiveUnit, read
from .errors import Cause, RejectedError
from .target import Target

_PRED = re.compile(r"^spec\.predictors\[(\d+)\]\.graph((?:\[\d+\]|\.children\[\d+\])*)")


def node_for(cause: Cause, target: Target) -> str | None:
    """The graph node a cause is about, if any, in whichever predictor it sits."""
    model = read(target.manifest)
    if cause.value and any(u.name == cause.value for u in model.units()):
        return cause.value
    match = _PRED.match(cause.field)
    if not match:
        return None
    index = int(match.group(1))
    if index >= len(model.predictors):
        return None
    unit = model.predictors[index].graph or PredictiveUnit()
    for step in re.findall(r"\d+", match.group(2)):
        if int(step) >= len(unit.kids):
            return None
        unit = unit.kids[int(step)]
    return unit.name or None


def render_rejection(err: RejectedError, target: Target) -> str:
    """One line per cause, `file:line:col: message` where the graph file knows the line."""
    if not err.causes:
        return f"{target.file}: {err.message}"
    return "\n".join(_render_cause(c, target) for c in err.causes)


def _render_cause(cause: Cause, target: Target) -> str:
    node = node_for(cause, target)
    where = str(target.file)
    pos = _node_pos(target, node) if node else None
    if pos is not None:
        where = f"{where}:{pos[0]}:{pos[1]}"
    about = f"node {node!r}: " if node else ""
    return f"{where}: error: {about}{cause.message} [rejected by the cluster at {cause.field}]"


def _node_pos(target: Target, node: str) -> tuple[int, int] | None:
    spec = target.spec
    if spec is None:
        return None
    try:
        pos = spec.node(node).pos
    except KeyError:
        return None
    return int(pos.line), int(pos.col)
