"""The lowered Seldon v1 tree: what `lower` produces and `compile` and the runtimes consume."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .spec import Role


@dataclass(frozen=True)
class TreeNode:
    """One PredictiveUnit. `why` says, for `explain`, how its role was chosen."""

    name: str
    role: Role
    implementation: str  # UNKNOWN_IMPLEMENTATION, SKLEARN_SERVER, RANDOM_ABTEST, ...
    children: tuple[TreeNode, ...] = ()
    why: str = ""

    def walk(self) -> Iterator[TreeNode]:
        """Pre-order, children in order: the order Seldon looks nodes up in."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def depth(self) -> int:
        # Iterative: generated graphs can be thousands of nodes deep before the depth check.
        best, stack = 0, [(self, 1)]
        while stack:
            node, d = stack.pop()
            best = max(best, d)
            stack.extend((c, d + 1) for c in node.children)
        return best
