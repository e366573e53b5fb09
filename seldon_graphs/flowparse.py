"""The `flow` mini-language: `a -> [b, c -> d] -> e`.

A chain is terms joined by `->`; a term is a node name or a bracketed list of chains that run
side by side. Blanks (spaces, tabs, line breaks) between tokens are optional: `a->[b,c]->d`.
Names may hold `-` but a name never swallows the `-` of an arrow: `a-b->c` is `a-b` -> `c`.
Every node reference and every arrow keeps its line and column (a `Locator` maps the string
back onto the file, whatever its YAML spelling), and its place in the order of writing, which
decides the order of branches and entry nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Reporter
from .scalarpos import Locator
from .spec import Pos

MAX_BRACKETS = 32
_TOKEN = re.compile(r"\s*(?:(->)|(\[)|(\])|(,)|((?:[A-Za-z0-9_.]|-(?!>))+)|(\S))")
_SHAPE = "write steps joined by `->` and side-by-side branches in brackets: `a -> [b, c] -> d`"


@dataclass(frozen=True)
class NameRef:
    name: str
    pos: Pos
    seq: int  # place in the order of writing, across every chain of the flow


@dataclass(frozen=True)
class FlowEdge:
    src: NameRef
    dst: NameRef
    arrow: Pos
    arrow_seq: int


@dataclass
class ParsedFlow:
    refs: list[NameRef] = field(default_factory=list)  # every name, in order of writing
    edges: list[FlowEdge] = field(default_factory=list)
    groups: list[tuple[str, ...]] = field(default_factory=list)
    tokens: int = 0  # tokens of the chains parsed so far: the base of the next chain's seq

    def written_edges(self) -> list[FlowEdge]:
        """Edges in the order they were written: by arrow, then by target."""
        return sorted(self.edges, key=lambda e: (e.arrow_seq, e.dst.seq))


@dataclass
class _Term:
    entries: list[NameRef]
    exits: list[NameRef]


class _Parser:
    def __init__(self, text: str, where: Locator, out: ParsedFlow, reporter: Reporter) -> None:
        self.tokens: list[tuple[str, str, int]] = []  # (kind, text, offset)
        self.where, self.out, self.reporter = where, out, reporter
        self.base = out.tokens
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
        out.tokens += len(self.tokens)

    def pos(self, offset: int, length: int) -> Pos:
        return self.where.at(offset, length)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def fail(self, message: str, help: str) -> None:
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
            arrow, arrow_seq = self.pos(tok[2], 2), self.base + self.i
            self.i += 1
            nxt = self.term()
            if nxt is None:
                return None
            for src in exits:
                for dst in nxt.entries:
                    self.out.edges.append(FlowEdge(src, dst, arrow, arrow_seq))
            exits = nxt.exits
        return _Term(entries, exits)

    def term(self) -> _Term | None:
        tok = self.peek()
        if tok is None:
            self.fail(
                "the flow ends where a node name was expected",
                "name the next step after the last `->`, or remove that `->`",
            )
            return None
        kind, text, offset = tok
        if kind == "name":
            ref = NameRef(text, self.pos(offset, len(text)), self.base + self.i)
            self.i += 1
            self.out.refs.append(ref)
            return _Term([ref], [ref])
        if kind == "[":
            return self.group()
        if kind == "->":
            self.fail(
                "expected a node name before `->`",
                "`->` joins two steps (`a -> b`): a flow or a branch cannot start with it, "
                "and two arrows need a node between them",
            )
        elif kind == "bad":
            self.fail(
                f"unexpected `{text}` in flow",
                "node names use letters, digits, `-`, `_` and `.`; `->` joins them",
            )
        else:
            self.fail(f"unexpected `{text}` where a node name was expected", _SHAPE)
        return None

    def group(self) -> _Term | None:
        self.depth += 1
        if self.depth > MAX_BRACKETS:
            self.fail(
                f"branches nested more than {MAX_BRACKETS} levels deep",
                "a Seldon tree is at most 11 levels deep: flatten the brackets",
            )
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
                self.fail("empty `[]`", "list the branches that run side by side: `[a, b]`")
                return None
            branch = self.chain()
            if branch is None:
                return None
            self.check_repeats(names, branch.entries)
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
            self.fail(
                "expected `,` or `]` in a branch list",
                "separate the branches with `,` and close the list with `]`: `[a, b -> c]`",
            )
            return None

    def check_repeats(self, names: list[str], entries: list[NameRef]) -> None:
        """`[b, b]` would run `b` once: the graph has one edge into it, not two branches."""
        for ref in entries:
            if ref.name in names:
                self.reporter.error(
                    ref.pos,
                    f"`{ref.name}` starts two branches of this `[...]`; it would run once",
                    "duplicate-branch",
                    "a node runs once per request: remove the repeat, or declare a second "
                    "node with the same settings under another name",
                )


def parse_chain(text: str, where: Locator, out: ParsedFlow, reporter: Reporter) -> None:
    """Parse one chain into `out`; syntax errors are reported, never raised."""
    parser = _Parser(text, where, out, reporter)
    if not parser.tokens:
        reporter.error(where.fallback, "empty flow", "flow-syntax", "write a chain like `a -> b`")
        return
    if parser.chain() is not None and parser.peek() is not None:
        parser.fail(
            "expected `->` between node names",
            "join steps with `->`; list side-by-side branches as `[a, b]`",
        )
