"""What planning a build context finds: errors (no image can be made) and warnings.

Each finding names the graph key it is about, so `validate` reports it at that key's
position (seldon_graphs.context_check) and `build`/`dockerfile` can still say it in words
when command-line overrides made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SeldonGraphsError

__all__ = ["ContextError", "Finding", "Findings"]


@dataclass(frozen=True)
class Finding:
    message: str
    rule: str
    key: str  # "files[0]", "requirements", "python", "runtime.seldon_core", "" (the node)
    node: str | None = None  # None: `key` is a graph-level key
    help: str | None = None
    error: bool = True

    def __str__(self) -> str:
        where = f"node {self.node}" if self.node is not None else "graph"
        key = f" ({self.key})" if self.key else ""
        help = f" (help: {self.help})" if self.help else ""
        return f"{where}{key}: {self.message}{help}"


class ContextError(SeldonGraphsError, ValueError):
    """A node cannot be turned into a safe build context; the message says why and what to do.

    `findings` holds every finding of the planning that failed (errors and warnings).
    """

    def __init__(self, message: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings


class Findings:
    """Collects the findings of planning one node's context."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.items: list[Finding] = []

    def error(self, key: str, message: str, rule: str, help: str | None = None) -> None:
        self.items.append(Finding(message, rule, key, self.node, help))

    def graph_error(self, key: str, message: str, rule: str, help: str | None = None) -> None:
        self.items.append(Finding(message, rule, key, None, help))

    def warning(self, key: str, message: str, rule: str, help: str | None = None) -> None:
        self.items.append(Finding(message, rule, key, self.node, help, error=False))

    @property
    def failed(self) -> bool:
        return any(f.error for f in self.items)

    def raise_if_failed(self) -> None:
        errors = [f for f in self.items if f.error]
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ContextError(f"{errors[0]}{more}", tuple(self.items))
