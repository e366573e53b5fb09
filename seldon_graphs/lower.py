"""Stage 4: data-flow DAG -> Seldon v1 tree with roles.

The DAG is first split into series and parallel parts (a flow with no such split has no
Seldon tree). A series then lowers as

    forward nodes (models, transformers)  ->  one core  ->  output transformers

where the core is `router -> [branches]`, `[branches] -> combiner` or `input -> combiner`.
That is all Seldon's executor can express (reference §3.4): only MODEL and TRANSFORMER
outputs flow down to children; a combiner's or router's result flows only up, so whatever
consumes it must wrap it as an OUTPUT_TRANSFORMER parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, assert_never

from wrappers.stock import StockComponent

from .dataflow import first_ref
from .diagnostics import Reporter
from .spec import (
    BuiltinSource,
    GraphSpec,
    ImageSource,
    NodeSpec,
    NoSource,
    Pos,
    PythonSource,
    Role,
    ServerSource,
    StockSource,
)
from .tree import TreeNode

if TYPE_CHECKING:
    import networkx as nx

MAX_DEPTH = 11  # root + 10 levels of `children` in the CRD's schema
_EXIT = "\x00exit"
ENTRY = "\x00entry"  # stands for the request when several nodes take it directly


@dataclass
class Parallel:
    fork: str  # the node whose output fans out
    branches: list[Series]
    pos: Pos
    join: str | None  # where the branches meet again (with others, if it is not next)


@dataclass
class Series:
    items: list[str | Parallel] = field(default_factory=list)


class _NotSeriesParallel(Exception):
    pass


def nature(node: NodeSpec) -> str:
    """What a node can be: router, combiner, output (stated), forward, or flexible."""
    if node.kind is Role.ROUTER or node.implementation in ("RANDOM_ABTEST", "SIMPLE_ROUTER"):
        return "router"
    if node.kind is Role.COMBINER or node.implementation == "AVERAGE_COMBINER":
        return "combiner"
    stock = node.stock_component
    if stock is not None and stock.role in ("ROUTER", "COMBINER"):
        return stock.role.lower()
    if node.kind is Role.OUTPUT_TRANSFORMER:
        return "output"
    if node.kind in (Role.MODEL, Role.TRANSFORMER) or node.server is not None:
        return "forward"
    return "flexible"  # python, stock transformers, images: forward or output by position


class _Decomposer:
    def __init__(self, g: nx.DiGraph, spec: GraphSpec, r: Reporter) -> None:
        import networkx as nx  # only a graph with a flow has a DAG (dataflow.is_lone)

        self.g, self.spec, self.r = g, spec, r
        self.visited: set[str] = set()
        rev = nx.DiGraph()  # edges only: copying every edge's attributes is wasted work here
        rev.add_nodes_from(g)
        rev.add_edges_from((v, u) for u, v in g.edges)
        rev.add_node(_EXIT)
        for n in g:
            if g.out_degree(n) == 0:
                rev.add_edge(_EXIT, n)
        self.ipdom = nx.immediate_dominators(rev, _EXIT)

    def succ(self, n: str) -> list[str]:
        return sorted(self.g.successors(n), key=lambda s: self.g.edges[n, s]["order"])

    def edge_error(self, src: str, dst: str, message: str, rule: str, help: str) -> None:
        self.r.error(self.g.edges[src, dst]["pos"], message, rule, help)
        raise _NotSeriesParallel

    def label(self, name: str) -> str:
        return "the request" if name == ENTRY else name

    def output_of(self, name: str) -> str:
        return "the request" if name == ENTRY else f"`{name}`'s output"

    def check_crossing(self, cur: str, nxt: str, stop: str | None) -> None:
        """`nxt` may have other inputs only if it is where this part of the flow rejoins,
        and only once: a rejoin already walked was reached from another branch as well (a
        dead end beside a join puts two rejoins of one node in different groups)."""
        if nxt not in self.visited and (nxt == stop or self.g.in_degree(nxt) == 1):
            return
        other = next((p for p in self.g.predecessors(nxt) if p != cur), cur)
        self.edge_error(
            cur,
            nxt,
            f"the flow is not series-parallel at `{self.label(cur)} -> {nxt}`: "
            f"`{nxt}` also consumes {self.output_of(other)}, from another branch",
            "not-series-parallel",
            "Seldon graphs are trees: branches rejoin only at the combiner that closes "
            "their own fan-out, so this flow has no Seldon tree",
        )

    def series(self, start: str, stop: str | None) -> Series:
        out = Series()
        cur: str | None = start
        while cur is not None and cur != stop:
            self.visited.add(cur)
            out.items.append(cur)
            succ = self.succ(cur)
            if not succ:
                return out
            join = self.ipdom.get(cur)
            join = None if join == _EXIT else join
            for nxt in succ:
                self.check_crossing(cur, nxt, join if len(succ) > 1 else stop)
            if len(succ) == 1:
                cur = succ[0]
                continue
            out.items.append(self.parallel(cur, succ, join))
            cur = join
        return out

    def parallel(self, fork: str, succ: list[str], join: str | None) -> Parallel:
        """The branches from `fork` to `join`. Successors that meet before `join` form one
        branch that starts with its own fan-out: `x -> [[a, b] -> m, c] -> n`."""
        branches = []
        for group in self.branch_groups(succ, join):
            first = group[0]
            if len(group) == 1:
                if first == join:
                    self.edge_error(
                        fork,
                        first,
                        f"`{self.label(fork)} -> {first}` skips the branches that run beside it",
                        "skip-edge",
                        f"Seldon cannot pass {self.output_of(fork)} around other branches; "
                        "put a `stock: identity` node on that branch",
                    )
                branches.append(self.series(first, join))
                continue
            meet = self.meeting_point(group, join)
            inner = self.parallel(fork, group, meet)
            branches.append(Series([inner, *self.series(meet, join).items]))
        return Parallel(fork, branches, self.g.edges[fork, succ[0]]["pos"], join)

    def chain_to(self, node: str, join: str | None) -> list[str]:
        """`node`, then the nodes every path from it passes through, up to `join`."""
        end = _EXIT if join is None else join
        chain = []
        while node not in (end, _EXIT):
            chain.append(node)
            node = self.ipdom[node]
        return chain

    def branch_groups(self, succ: list[str], join: str | None) -> list[list[str]]:
        """Successors grouped by the branch they start: two share one when every path
        from each meets before `join`; groups in order of writing."""
        owner: dict[str, int] = {}
        groups: list[list[str]] = []
        for s in succ:
            chain = self.chain_to(s, join)
            index = next((owner[n] for n in chain if n in owner), len(groups))
            if index == len(groups):
                groups.append([])
            groups[index].append(s)
            owner.update((n, index) for n in chain)
        return groups

    def meeting_point(self, group: list[str], join: str | None) -> str:
        """The first node, before `join`, that every path from each of `group` reaches."""
        chains = [self.chain_to(s, join) for s in group]
        others = [set(c) for c in chains[1:]]
        return next(n for n in chains[0] if all(n in o for o in others))


def decompose(g: nx.DiGraph, spec: GraphSpec, entry: str, r: Reporter) -> Series | None:
    d = _Decomposer(g, spec, r)
    try:
        return d.series(entry, None)
    except _NotSeriesParallel:
        return None


class _Lowering:
    def __init__(self, spec: GraphSpec, r: Reporter) -> None:
        self.spec, self.r = spec, r
        self.nodes = {n.name: n for n in spec.nodes}
        self.ok = True

    def fail(self, pos: Pos, message: str, rule: str, help: str | None = None) -> None:
        self.r.error(pos, message, rule, help)
        self.ok = False

    def kind_of(self, item: str | Parallel | None) -> str:
        if item is None:
            return "none"
        if isinstance(item, Parallel):
            return "parallel"
        return nature(self.nodes[item])

    def series(self, s: Series) -> TreeNode | None:
        items = s.items
        n, i = len(items), 0
        prefix: list[str] = []
        while i < n:
            item, nxt = items[i], items[i + 1] if i + 1 < n else None
            if self.kind_of(item) in ("forward", "flexible") and self.kind_of(nxt) != "combiner":
                assert isinstance(item, str)
                prefix.append(item)
                i += 1
            else:
                break
        core, i = self.core(items, i)
        base = core
        for name in reversed(prefix):
            base = self.forward(name, base)
        for j in range(i, n):
            prev = items[j - 1] if j else None
            producer = prev.fork if isinstance(prev, Parallel) else prev
            base = self.output(items[j], base, core, producer)
        return base

    def core(self, items: list[str | Parallel], i: int) -> tuple[TreeNode | None, int]:
        n = len(items)
        if i >= n:
            return None, i
        item, nxt = items[i], items[i + 1] if i + 1 < n else None
        kind = self.kind_of(item)
        if kind == "router":
            assert isinstance(item, str)
            if isinstance(nxt, Parallel):
                return self.router(item, [self.series(b) for b in nxt.branches]), i + 2
            rest = Series(items[i + 1 :])
            child = self.series(rest) if rest.items else None
            return self.router(item, [child] if child else []), n
        if self.kind_of(nxt) == "combiner":
            assert isinstance(nxt, str)
            branches = item.branches if isinstance(item, Parallel) else [Series([item])]
            return self.combiner(nxt, [self.series(b) for b in branches]), i + 2
        if kind == "combiner":
            assert isinstance(item, str)
            self.no_input(item)
            return None, n
        if isinstance(item, Parallel):
            self.unjoined(item, nxt)
            return None, n
        return None, i  # a stated output transformer starts the suffix

    def no_input(self, name: str) -> None:
        """A combiner with no children is a pass-through that never calls /aggregate."""
        self.fail(
            first_ref(self.spec, name),
            f"combiner `{name}` has no inputs of its own to combine",
            "combiner-without-input",
            f"feed it branches (`[a, b] -> {name}`); a combiner cannot start a flow or a "
            "branch: Seldon would pass its input through and never call /aggregate",
        )

    def unjoined(self, par: Parallel, nxt: str | Parallel | None) -> None:
        heads = _branch_heads(par)
        names, plain = ", ".join(f"`{n}`" for n in heads), ", ".join(heads)
        start = "" if par.fork == ENTRY else f"{par.fork} -> "
        after = "that take the request" if par.fork == ENTRY else f"after `{par.fork}`"
        router = "put a router before them" if par.fork == ENTRY else f"make `{par.fork}` a router"
        if nxt is None and par.join is not None:
            self.fail(
                par.pos,
                f"the branches {names} {after} rejoin only at `{par.join}`, "
                "together with other branches",
                "unjoined-branches",
                "a combiner takes one result from each of its branches: rejoin these at a "
                f"combiner of their own first (`{start}[{plain}] -> mean`), or {router}",
            )
        elif nxt is None:
            self.fail(
                par.pos,
                f"the branches {names} {after} never rejoin",
                "unjoined-branches",
                "rejoin them at a combiner (`-> [a, b] -> mean`), "
                f"or {router} so that only one of them runs",
            )
        else:
            where = nxt if isinstance(nxt, str) else "more branches"
            self.fail(
                par.pos,
                f"the branches {names} {after} rejoin at `{where}`, which is not a combiner",
                "join-not-combiner",
                f"make `{where}` a combiner (`kind: combiner` or a stock combiner), or {router}",
            )

    def tree(self, name: str, role: Role, children: list[TreeNode], why: str) -> TreeNode:
        node = self.nodes[name]
        impl = node.implementation or "UNKNOWN_IMPLEMENTATION"
        if not node.has_container:
            # As Seldon writes them: typed ROUTER/COMBINER, the executor would call the
            # /route or /aggregate of a container that does not exist.
            role = Role.UNKNOWN_TYPE
        return TreeNode(name, role, impl, tuple(children), why)

    def forward(self, name: str, child: TreeNode | None) -> TreeNode:
        node = self.nodes[name]
        children = [child] if child else []
        if node.kind is not None:
            return self.tree(name, node.kind, children, f"stated: kind: {node.kind.lower()}")
        match node.source:
            case ServerSource(implementation=impl):
                return self.tree(name, Role.MODEL, children, f"prepackaged {impl}")
            case StockSource(component=StockComponent(name=stock, role=stated)):
                role = Role(stated)
                return self.tree(name, role, children, f"stock `{stock}` is a {role.lower()}")
            case ImageSource():
                role = Role.MODEL
            case PythonSource() | StockSource() | BuiltinSource() | NoSource():
                role = Role.TRANSFORMER
            case _:
                assert_never(node.source)
        if not children:
            return self.tree(name, Role.MODEL, [], "a leaf: its output is its branch's answer")
        return self.tree(name, role, children, f"its output feeds `{child.name}`" if child else "")

    def router(self, name: str, children: list[TreeNode | None]) -> TreeNode:
        kids = [c for c in children if c is not None]
        node = self.nodes[name]
        if not kids:
            self.r.warning(
                node.pos,
                f"router `{name}` has no children: Seldon passes its input "
                "through unchanged and never calls /route",
                "router-without-children",
                f"give it branches: `{name} -> [a, b]`",
            )
        self._check_arms(node, len(kids))
        names = ", ".join(f"`{k.name}`" for k in kids)
        return self.tree(name, Role.ROUTER, kids, f"picks one of {names}" if kids else "")

    def _check_arms(self, node: NodeSpec, count: int) -> None:
        wanted: int | None = None
        stock = node.stock_component
        if node.implementation == "RANDOM_ABTEST" or (stock and stock.name == "ab-router"):
            wanted = 2
        elif stock and stock.name == "epsilon-greedy":
            given = {p.name: p.value for p in node.params}
            arms = given.get("n_branches")
            wanted = arms if isinstance(arms, int) and not isinstance(arms, bool) else None
        if wanted is not None and count and count != wanted:
            self.fail(
                node.pos,
                f"router `{node.name}` chooses between {wanted} children but "
                f"the flow gives it {count}",
                "router-arms",
                f"give it exactly {wanted} branches: `{node.name} -> [...]`",
            )

    def combiner(self, name: str, children: list[TreeNode | None]) -> TreeNode:
        kids = [c for c in children if c is not None]
        names = ", ".join(f"`{k.name}`" for k in kids)
        return self.tree(name, Role.COMBINER, kids, f"joins {names}" if kids else "")

    def output(
        self,
        item: str | Parallel,
        child: TreeNode | None,
        core: TreeNode | None,
        producer: str | None,
    ) -> TreeNode | None:
        if isinstance(item, Parallel):
            self.fail(
                item.pos,
                f"the result of `{item.fork}` cannot fan out again",
                "branches-after-join",
                "Seldon passes a combiner's or router's result "
                "only up to output transformers; one chain may follow it",
            )
            return child
        node = self.nodes[item]
        source = f"the result of `{producer}`" if producer else "the request"
        kind = nature(node)
        if kind in ("flexible", "output"):
            why = (
                "stated: kind: output_transformer"
                if kind == "output"
                else (f"consumes {source}, which can only flow up to an output transformer")
            )
            return self.tree(item, Role.OUTPUT_TRANSFORMER, [child] if child else [], why)
        if kind == "combiner":  # a combiner of one input: it aggregates [what it wraps]
            if child is None:
                self.no_input(item)
                return None
            return self.tree(item, Role.COMBINER, [child], f"joins {source}, its one input")
        what = {"forward": "a model", "router": "a router"}[kind]
        if node.kind is not None:
            what = f"a {node.kind.lower()} (`kind: {node.kind.lower()}`)"
        if node.server is not None:
            what = "a prepackaged server (always a model)"
        self.fail(
            node.pos,
            f"`{item}` consumes {source}, but it is {what}: in Seldon v1 "
            "that result flows only up, to output transformers",
            "needs-output-transformer",
            f"move `{item}` before `{core.name if core else item}` in the flow, or "
            "serve it from a python class that can run as an output transformer",
        )
        return child


def _branch_heads(par: Parallel) -> list[str]:
    """The nodes that start the branches, as written: `[[a, b] -> m, c]` gives a, b, c."""
    heads: list[str] = []
    for branch in par.branches:
        head = branch.items[0] if branch.items else None
        heads += _branch_heads(head) if isinstance(head, Parallel) else [head] if head else []
    return heads


def lower(spec: GraphSpec, g: nx.DiGraph, r: Reporter) -> TreeNode | None:
    """The Seldon tree of a valid DAG, or None (with errors reported)."""
    written: dict[str, int] = {}
    for i, (name, _) in enumerate(spec.refs):
        written.setdefault(name, i)
    entries = sorted((n for n in g if g.in_degree(n) == 0), key=lambda n: written.get(n, -1))
    if not entries:
        return None
    if len(entries) > 1:
        # `[a, b] -> mean`: the request fans out to every node that has no input.
        g = g.copy()
        for i, name in enumerate(entries):
            g.add_edge(ENTRY, name, pos=first_ref(spec, name), order=-len(entries) + i)
    sp = decompose(g, spec, ENTRY if len(entries) > 1 else entries[0], r)
    if sp is None:
        return None
    if sp.items and sp.items[0] == ENTRY:
        sp.items.pop(0)
    return _tree(spec, sp, r)


def lower_lone(spec: GraphSpec, r: Reporter) -> TreeNode | None:
    """The Seldon tree of a graph of one node and no flow (dataflow.is_lone): what `lower`
    makes of its one-node DAG, without the DAG."""
    return _tree(spec, Series([spec.nodes[0].name]), r)


def _tree(spec: GraphSpec, sp: Series, r: Reporter) -> TreeNode | None:
    low = _Lowering(spec, r)
    root = low.series(sp)
    if root is None or not low.ok:
        return None
    depth = root.depth()
    if depth > MAX_DEPTH:
        deepest = max(_paths(root), key=len)
        r.error(
            spec.node(deepest[MAX_DEPTH]).pos,
            f"the Seldon tree is {depth} levels deep; the SeldonDeployment CRD keeps "
            f"{MAX_DEPTH} and the API server silently drops deeper children "
            f"(`{deepest[MAX_DEPTH]}` would be lost)",
            "too-deep",
            "shorten the chain: merge transformers into one class",
        )
        return None
    return root


def _paths(root: TreeNode) -> list[list[str]]:
    out: list[list[str]] = []
    stack: list[tuple[TreeNode, list[str]]] = [(root, [root.name])]
    while stack:
        node, path = stack.pop()
        if not node.children:
            out.append(path)
        stack.extend((c, [*path, c.name]) for c in node.children)
    return out
