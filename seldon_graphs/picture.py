"""Pictures of a graph: the data flow as written, or the lowered Seldon tree (Mermaid, DOT)."""

from __future__ import annotations

from .spec import GraphSpec, Role
from .tree import TreeNode

_MERMAID_SHAPE = {
    Role.ROUTER: ("{", "}"),
    Role.COMBINER: ("((", "))"),
    Role.TRANSFORMER: ("[/", "/]"),
    Role.OUTPUT_TRANSFORMER: ("[\\", "\\]"),
    Role.UNKNOWN_TYPE: ("{", "}"),
}
_DOT_SHAPE = {
    Role.ROUTER: "diamond",
    Role.COMBINER: "circle",
    Role.TRANSFORMER: "parallelogram",
    Role.OUTPUT_TRANSFORMER: "invtrapezium",
    Role.UNKNOWN_TYPE: "diamond",
}


def _roles(tree: TreeNode) -> dict[str, TreeNode]:
    return {t.name: t for t in tree.walk()}


def _label(t: TreeNode) -> str:
    impl = "" if t.implementation == "UNKNOWN_IMPLEMENTATION" else f"<br/>{t.implementation}"
    return f"{t.name}<br/><i>{t.role.value.lower()}</i>{impl}"


def _ident(name: str) -> str:
    return "n_" + name.replace("-", "_").replace(".", "_")


def _render(nodes: list[TreeNode], edges: list[tuple[str, str]], fmt: str, title: str) -> str:
    if fmt == "dot":
        lines = [f'digraph "{title}" {{', "  rankdir=LR;", "  node [fontname=Helvetica];"]
        for t in nodes:
            shape = _DOT_SHAPE.get(t.role, "box")
            label = t.name + "\\n" + t.role.value.lower()
            lines.append(f'  {_ident(t.name)} [label="{label}", shape={shape}];')
        lines += [f"  {_ident(a)} -> {_ident(b)};" for a, b in edges]
        lines.append("}")
        return "\n".join(lines)
    lines = ["flowchart LR"]
    for t in nodes:
        open_, close = _MERMAID_SHAPE.get(t.role, ("[", "]"))
        lines.append(f'  {_ident(t.name)}{open_}"{_label(t)}"{close}')
    lines += [f"  {_ident(a)} --> {_ident(b)}" for a, b in edges]
    return "\n".join(lines)


def flow_picture(spec: GraphSpec, tree: TreeNode, fmt: str) -> str:
    """The data flow as the user wrote it, each node drawn as the role it was given."""
    roles = _roles(tree)
    nodes = [roles[n.name] for n in spec.nodes if n.name in roles]
    edges = sorted(
        {(e.src, e.dst) for e in spec.edges},
        key=lambda e: ([n.name for n in spec.nodes].index(e[0]), e[1]),
    )
    return _render(nodes, edges, fmt, spec.name)


def tree_picture(spec: GraphSpec, tree: TreeNode, fmt: str) -> str:
    """The Seldon tree: parent -> child as the executor walks it."""
    nodes = list(tree.walk())
    edges = [(t.name, c.name) for t in nodes for c in t.children]
    return _render(nodes, edges, fmt, spec.name)
