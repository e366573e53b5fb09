"""The `flow` mini-language: `a -> [b, c -> d] -> e`.

A chain is terms joined by `->`; a term is a node name or a bracketed list of chains that run
side by side. Every node reference and every arrow keeps its column, so diagnostics can point
at the exact token inside the YAML string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Reporter
from .spec import Pos

MAX_BRACKETS = 32
_TOKEN = re.compile(r"\s*(?:(->)|(\[)|(\])|(,)|([A-Za-z0-9_.\-]+)|(\S))")


@dataclass(frozen=True)
class NameRef:
    name: str
    pos: Pos


@dataclass(frozen=True)
class FlowEdge:
    src: NameRef
    dst: NameRef
    arrow: Pos


@dataclass
class ParsedFlow:
    refs: list[NameRef] = field(default_factory=list)  # every name, in order of writing
    edges: list[FlowEdge] = field(default_factory=list)
    groups: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class _Term:
    entries: list[NameRef]
    exits: list[NameRef]


class _Parser:
    def __init__(
        self, text: str, origin: Pos, columns_exact: bool, out: ParsedFlow, reporter: Reporter
    ) -> None:
        self.tokens: list[tuple[str, str, int]] = []  # (kind, text, offset)
        self.origin, self.exact, self.out, self.reporter = origin, columns_exact, out, reporter
        self.i = 0
        self.depth = 0
        self.failed = False
        for m in _TOKEN.finditer(text):
            kind = next(
                k
                for k, g in zip(("->", "[", "]", ",", "name", "bad"), m.groups(), strict=True)
                if g is not None
            )
            start = m.start(m.lastindex or 0)
            self.tokens.append((kind, m.group(m.lastindex or 0), start))
        self.end = len(text)

    def pos(self, offset: int, length: int) -> Pos:
        if not self.exact:  # quoted or multi-line YAML: columns inside are unreliable
            return self.origin
        col = self.origin.col + offset
        return Pos(self.origin.line, col, col + max(1, length))

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def fail(self, message: str, help: str | None = None) -> None:
        tok = self.peek()
        pos = self.pos(tok[2], len(tok[1])) if tok else self.pos(self.end, 1)
        self.reporter.error(pos, message, "flow-syntax", help)
        self.failed = True

    def chain(self) -> _Term | None:
        first = self.term()
        if first is None:
            return None
        entries, exits = first.entries, first.exits
        while (tok := self.peek()) is not None and tok[0] == "->":
            arrow = self.pos(tok[2], 2)
            self.i += 1
            nxt = self.term()
            if nxt is None:
                return None
            for src in exits:
                for dst in nxt.entries:
                    self.out.edges.append(FlowEdge(src, dst, arrow))
            exits = nxt.exits
        return _Term(entries, exits)

    def term(self) -> _Term | None:
        tok = self.peek()
        if tok is None:
            self.fail("the flow ends where a node name was expected")
            return None
        kind, text, offset = tok
        if kind == "name":
            self.i += 1
            ref = NameRef(text, self.pos(offset, len(text)))
            self.out.refs.append(ref)
            return _Term([ref], [ref])
        if kind == "[":
            return self.group()
        if kind == "->":
            self.fail("expected a node name before `->`")
        elif kind == "bad":
            self.fail(
                f"unexpected `{text}` in flow",
                "node names use letters, digits, `-`, `_` and `.`; `->` joins them",
            )
        else:
            self.fail(f"unexpected `{text}` where a node name was expected")
        return None

    def group(self) -> _Term | None:
        self.depth += 1
        if self.depth > MAX_BRACKETS:
            self.fail(f"branches nested more than {MAX_BRACKETS} levels deep")
            return None
        term = self._group()
        self.depth -= 1
        return term

    def _group(self) -> _Term | None:
        self.i += 1  # "["
        entries: list[NameRef] = []
        exits: list[NameRef] = []
        names: list[str] = []
        while True:
            tok = self.peek()
            if tok is not None and tok[0] == "]" and not names:
                self.fail("empty `[]`: list the branches that run side by side")
                return None
            branch = self.chain()
            if branch is None:
                return None
            entries += branch.entries
            exits += branch.exits
            names += [r.name for r in branch.entries]
            tok = self.peek()
            if tok is not None and tok[0] == ",":
                self.i += 1
                continue
            if tok is not None and tok[0] == "]":
                self.i += 1
                self.out.groups.append(tuple(names))
                return _Term(entries, exits)
            self.fail("expected `,` or `]` in a branch list")
            return None


def parse_chain(
    text: str, origin: Pos, columns_exact: bool, out: ParsedFlow, reporter: Reporter
) -> None:
    """Parse one chain into `out`; syntax errors are reported, never raised."""
    parser = _Parser(text, origin, columns_exact, out, reporter)
    if not parser.tokens:
        reporter.error(origin, "empty flow", "flow-syntax", "write a chain like `a -> b`")
        return
    if parser.chain() is not None and parser.peek() is not None:
        parser.fail(
            "expected `->` between node names",
            "join steps with `->`; list side-by-side branches as `[a, b]`",
        )
