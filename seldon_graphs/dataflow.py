"""Stage 3: the flow as a networkx DAG (who consumes whose output), with its problems reported.

Order of reports follows actionlint: undefined names first (their edges are dropped, so one
typo gives one error), then cycles from the earliest-declared node, then unused nodes and
extra entry points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .diagnostics import Reporter, did_you_mean
from .spec import GraphSpec, Pos

if TYPE_CHECKING:
    import networkx as nx


def is_lone(spec: GraphSpec, r: Reporter) -> bool:
    """Whether the graph is one node and no flow (nor a flow that failed to parse): it has
    no DAG to build or check, and lowering makes that node the whole tree. Such a graph
    never imports networkx (the largest part of `validate`'s start-up)."""
    return len(spec.nodes) == 1 and not spec.refs and not _misshapen(r)


def _misshapen(r: Reporter) -> bool:
    """The graph's shape is not the one written: its DAG's errors would mislead."""
    return r.has_rule("flow-syntax") or r.has_rule("duplicate-branch")


def build(spec: GraphSpec, r: Reporter) -> nx.DiGraph | None:
    """The data-flow DAG, or None when it has no usable shape (errors were reported).

    Nodes without inputs all receive the request; lowering decides whether they can.
    """
    import networkx as nx  # here: a graph of one node (`is_lone`) needs none

    g = nx.DiGraph()
    order = {n.name: i for i, n in enumerate(spec.nodes)}
    for node in spec.nodes:
        g.add_node(node.name, order=order[node.name])
    known = set(order)
    used = {name for name, _ in spec.refs}
    explained: set[str] = set()  # unused nodes a misspelt reference already points at
    for name, pos in spec.refs:
        if name not in known:
            match = did_you_mean(name, known)
            if match:
                explained.update(k for k in known - used if f"`{k}`" in match)
            r.error(
                pos,
                f"undefined node `{name}` in flow",
                "undefined-node",
                match or f"declare it under `nodes:` ({_few(known)})",
            )
    if _misshapen(r):
        return None
    for edge in spec.edges:
        if edge.src in known and edge.dst in known and not g.has_edge(edge.src, edge.dst):
            g.add_edge(edge.src, edge.dst, pos=edge.pos, order=edge.order)
    if not spec.refs:
        if len(spec.nodes) > 1 and not r.has_rule("flow-syntax"):
            r.error(
                spec.at("nodes"),
                f"{len(spec.nodes)} nodes but no `flow`",
                "missing-flow",
                f"add e.g. `flow: {' -> '.join(n.name for n in spec.nodes[:3])}`",
            )
            return None
        return g if len(spec.nodes) == 1 else None
    if _report_cycles(g, order, r):
        return None
    for node in spec.nodes:
        if node.name not in used:
            if node.name not in explained and not r.has_rule("flow-syntax"):
                r.error(
                    node.pos,
                    f"node `{node.name}` is declared but not used in `flow`",
                    "unused-node",
                    "add it to `flow`, or remove it from `nodes`",
                )
            g.remove_node(node.name)
    return g


def first_ref(spec: GraphSpec, name: str) -> Pos:
    for ref, pos in spec.refs:
        if ref == name:
            return pos
    return spec.node(name).pos


def _few(names: set[str]) -> str:
    listed = sorted(names)
    return ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")


def _report_cycles(g: nx.DiGraph, order: dict[str, int], r: Reporter) -> bool:
    import networkx as nx

    found = False
    for scc in nx.strongly_connected_components(g):
        start = min(scc, key=order.__getitem__)
        if len(scc) == 1 and not g.has_edge(start, start):
            continue
        found = True
        cycle = nx.find_cycle(g.subgraph(scc), source=start)
        path = " -> ".join([start, *(dst for _, dst in cycle)])
        first = cycle[0]
        r.error(
            g.edges[first]["pos"],
            f"the flow has a cycle: {path}",
            "cycle",
            "Seldon graphs are trees: data cannot flow back to an earlier node",
        )
    return found
