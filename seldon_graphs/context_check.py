"""Build-context checks during analysis: whatever compile or build would refuse, validate says.

Runs wrapper.context's own checks (one implementation) for every node whose image
seldon-graphs builds (python, stock, generated servers) and reports each finding at the
graph key it names (a `files:` item, the requirements key, a `runtime` key...). A position
some earlier check already flagged as an error is left alone: one mistake, one error.
"""

from __future__ import annotations

from .diagnostics import Reporter
from .spec import GraphSpec
from .wrapper.context import builds_image, check_context


def check_contexts(spec: GraphSpec, r: Reporter) -> None:
    taken = {(d.line, d.col) for d in r.items if d.is_error}
    for node in spec.nodes:
        if not builds_image(node):
            continue
        for finding in check_context(spec, node):
            pos = node.at(finding.key) if finding.node is not None else spec.at(finding.key)
            if (pos.line, pos.col) in taken:
                continue
            report = r.error if finding.error else r.warning
            report(pos, finding.message, finding.rule, finding.help)
