"""Build-context checks during analysis: whatever compile or build would refuse, validate says.

Runs wrapper.context's own checks (one implementation) for every python and stock node and
reports each finding at the graph key it names (a `files:` item, the requirements key, a
`runtime` key...). A position some earlier check already flagged as an error is left
alone: one mistake, one error.
"""

from __future__ import annotations

from .diagnostics import Reporter
from .spec import GraphSpec, Source
from .wrapper.context import check_context

_WRAPPED = (Source.PYTHON, Source.STOCK)


def check_contexts(spec: GraphSpec, r: Reporter) -> None:
    taken = {(d.line, d.col) for d in r.items if d.is_error}
    for node in spec.nodes:
        if node.source not in _WRAPPED:
            continue
        for finding in check_context(spec, node):
            pos = node.at(finding.key) if finding.node is not None else spec.at(finding.key)
            if (pos.line, pos.col) in taken:
                continue
            report = r.error if finding.error else r.warning
            report(pos, finding.message, finding.rule, finding.help)
