"""`explain`: the lowered Seldon tree as text, with the reason for every role."""

from __future__ import annotations

from .tree import TreeNode


def explain_lines(tree: TreeNode) -> list[str]:
    """The tree drawn top-down, each node with its role, implementation and why."""
    rows: list[tuple[str, str]] = []

    def visit(node: TreeNode, prefix: str, last: bool, root: bool) -> None:
        branch = "" if root else ("└─ " if last else "├─ ")
        impl = "" if node.implementation == "UNKNOWN_IMPLEMENTATION" else f" {node.implementation}"
        rows.append((f"{prefix}{branch}{node.name}", f"{node.role.value}{impl}  ({node.why})"))
        child_prefix = prefix if root else prefix + ("   " if last else "│  ")
        for i, child in enumerate(node.children):
            visit(child, child_prefix, i == len(node.children) - 1, False)

    visit(tree, "", True, True)
    width = max(len(left) for left, _ in rows)
    return [f"{left:<{width}}  {right}" for left, right in rows]
