"""What a graph computes, two ways: from the data flow as written, and from the lowered Seldon
tree walked exactly as the Go executor walks it (reference/seldon_v1.md §3.4).

Every node is a symbol: a model, transformer or output transformer `n` turns `x` into
`n(x)`, a combiner `k` turns its inputs into `k[x, y]` (in their order), a router passes its
input on to one branch. A lowering is right when both give the same text for every routing
choice; child order matters (a weighted combiner weights by position).
"""

from __future__ import annotations

from seldon_graphs.lower import nature
from seldon_graphs.spec import GraphSpec, Role
from seldon_graphs.tree import TreeNode

REQUEST = "req"


def tree_result(tree: TreeNode, choice: int) -> str:
    """§3.4 Predict(root, request); every router takes branch `choice` modulo its arms."""
    return _predict(tree, REQUEST, choice)


def _predict(node: TreeNode, msg: str, choice: int) -> str:
    if node.role in (Role.MODEL, Role.TRANSFORMER):  # transformInput
        msg = f"{node.name}({msg})"
    out = msg
    if node.children:  # predictChildren: a leaf returns its (transformed) input
        routes = node.role is Role.ROUTER or node.implementation == "RANDOM_ABTEST"
        chosen = [node.children[choice % len(node.children)]] if routes else node.children
        results = [_predict(child, msg, choice) for child in chosen]
        is_combiner = node.role is Role.COMBINER
        out = f"{node.name}[{', '.join(results)}]" if is_combiner else results[0]
    if node.role is Role.OUTPUT_TRANSFORMER:  # transformOutput
        out = f"{node.name}({out})"
    return out


def flow_result(spec: GraphSpec, choice: int) -> str:
    """The data flow evaluated node by node, inputs in the order they were written."""
    inputs: dict[str, list[str]] = {n.name: [] for n in spec.nodes}
    outputs: dict[str, list[str]] = {n.name: [] for n in spec.nodes}
    for edge in sorted(spec.edges, key=lambda e: e.order):
        if edge.src not in inputs[edge.dst]:  # an edge written twice is one edge
            inputs[edge.dst].append(edge.src)
            outputs[edge.src].append(edge.dst)
    used = {name for name, _ in spec.refs} or {n.name for n in spec.nodes}
    values: dict[str, str] = {}
    pending = [n.name for n in spec.nodes if n.name in used]
    while pending:
        name = next(n for n in pending if all(i not in pending for i in inputs[n]))
        pending.remove(name)
        value = _value(spec, name, inputs[name], outputs, values, choice)
        if value is not None:
            values[name] = value
    sinks = [n for n in values if not outputs[n]]
    assert len(sinks) == 1, f"the flow ends in {sinks}"
    return values[sinks[0]]


def _value(
    spec: GraphSpec,
    name: str,
    sources: list[str],
    outputs: dict[str, list[str]],
    values: dict[str, str],
    choice: int,
) -> str | None:
    """The node's output, or None when no branch leading here ran (a router chose another)."""
    live = [values[s] for s in sources if s in values and _chosen(spec, s, name, outputs, choice)]
    if sources and not live:
        return None
    kind = nature(spec.node(name))
    if kind == "combiner":
        return f"{name}[{', '.join(live)}]"
    (x,) = live or [REQUEST]
    return x if kind == "router" else f"{name}({x})"


def _chosen(
    spec: GraphSpec, src: str, dst: str, outputs: dict[str, list[str]], choice: int
) -> bool:
    if nature(spec.node(src)) != "router":
        return True
    arms = _arms(outputs[src], outputs)
    return dst in arms[choice % len(arms)]


def _arms(heads: list[str], outputs: dict[str, list[str]]) -> list[set[str]]:
    """A router's branches: heads whose flows meet before the point every head reaches
    (`r -> [[a, b] -> m, c]` has two branches, {a, b} and {c}), in order of writing."""
    reach = {h: _reachable(h, outputs) for h in heads}
    everywhere = set.intersection(*reach.values())
    arms: list[set[str]] = []
    for head in heads:
        mine = reach[head] - everywhere
        shared = [a for a in arms if any(mine & reach[h] for h in a)]
        if not shared:
            arms.append({head})
            continue
        shared[0].add(head)
        for other in shared[1:]:
            shared[0].update(other)
            arms.remove(other)
    return arms


def _reachable(start: str, outputs: dict[str, list[str]]) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in outputs[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
