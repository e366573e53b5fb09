"""YAML with positions: every mapping, sequence and scalar remembers where it was written.

PyYAML's `compose` keeps marks on nodes but its constructor throws them away and silently
keeps the last of duplicate keys. We build our own small value tree from the composed nodes,
reporting duplicate keys and syntax errors as diagnostics instead of exceptions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Reporter
from .scalarpos import LINE_BREAK, Written
from .spec import Pos

# The C loader is several times faster on large files; PyYAML may be built without it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class Located:
    pos: Pos

    def plain(self) -> Any:
        raise NotImplementedError


@dataclass
class LScalar(Located):
    value: Any
    text: str = ""  # the scalar's value text (without quotes)
    # Column of the first character of `text` when columns map 1:1 onto it (single line,
    # plain or quoted without escapes), else None.
    text_col: int | None = None
    written: Written | None = None  # how it was written, to locate characters inside it

    def plain(self) -> Any:
        return self.value


@dataclass
class LSeq(Located):
    items: list[Located] = field(default_factory=list)

    def plain(self) -> list[Any]:
        return [i.plain() for i in self.items]


@dataclass
class LMap(Located):
    # Ordered (key, value) pairs; duplicate keys are reported at load and dropped here.
    entries: list[tuple[LScalar, Located]] = field(default_factory=list)

    def plain(self) -> dict[Any, Any]:
        return {k.value: v.plain() for k, v in self.entries}

    def get(self, key: str) -> Located | None:
        for k, v in self.entries:
            if k.value == key:
                return v
        return None

    def key(self, key: str) -> LScalar | None:
        for k, _ in self.entries:
            if k.value == key:
                return k
        return None

    def items(self) -> Iterator[tuple[LScalar, Located]]:
        return iter(self.entries)


def _pos(node: yaml.Node) -> Pos:
    start, end = node.start_mark, node.end_mark
    line, col = start.line + 1, start.column + 1
    end_col = end.column + 1 if end.line == start.line else col + 1
    return Pos(line, col, max(end_col, col + 1))


MAX_NESTING = 64  # far beyond any graph file; keeps hostile input off the recursion limit
# Values that aliases may add by repeating anchored ones. The tree below shares repeated values,
# but JSON Schema checks and `plain()` expand them: "billion laughs" in 13 lines.
MAX_ALIAS_EXPANSION = 100_000


class _Builder:
    def __init__(self, reporter: Reporter, lines: list[str]) -> None:
        self.reporter = reporter
        self.lines = lines
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self.memo: dict[int, Located] = {}
        self.sizes: dict[int, int] = {}  # id(Located) -> count of values when expanded
        self.expanded = 0  # values added by aliases so far
        self.building: set[int] = set()  # nodes on the current path: an alias to one loops

    def build(self, node: yaml.Node, depth: int = 0, parent: yaml.Node | None = None) -> Located:
        # Aliases compose to the same node object: build it once.
        cached = self.memo.get(id(node))
        if cached is not None:
            return self._reuse(parent or node, cached)
        if id(node) in self.building:
            self.reporter.error(
                _pos(node),
                "this alias refers to a value that contains it",
                "yaml-recursive",
                "YAML anchors cannot include themselves",
            )
            return LScalar(_pos(node), None)
        if depth > MAX_NESTING:
            self.reporter.error(
                _pos(node), f"values nested more than {MAX_NESTING} levels deep", "yaml-depth"
            )
            return LScalar(_pos(node), None)
        result: Located
        self.building.add(id(node))
        if isinstance(node, yaml.MappingNode):
            result = self._mapping(node, depth)
        elif isinstance(node, yaml.SequenceNode):
            result = LSeq(_pos(node), [self.build(n, depth + 1, node) for n in node.value])
        else:
            result = self._scalar(node)
        self.building.discard(id(node))
        self.memo[id(node)] = result
        return result

    def _size(self, value: Located) -> int:
        """How many values `value` holds once expanded; counted when an alias repeats it,
        not for every value built (a tenth of loading a file without aliases)."""
        size = self.sizes.get(id(value))
        if size is None:
            size = self.sizes[id(value)] = 1 + sum(self._size(c) for c in _children(value))
        return size

    def _reuse(self, holder: yaml.Node, value: Located) -> Located:
        """An alias in `holder`: counted as the values it repeats, up to MAX_ALIAS_EXPANSION."""
        if self.expanded > MAX_ALIAS_EXPANSION:
            return LScalar(_pos(holder), None)
        self.expanded += self._size(value)
        if self.expanded <= MAX_ALIAS_EXPANSION:
            return value
        self.reporter.error(
            _pos(holder),
            f"the aliases here repeat values into more than {MAX_ALIAS_EXPANSION:,} values",
            "yaml-aliases",
            "anchors (`&`) whose aliases (`*`) repeat other aliases multiply "
            '("billion laughs"); write the values out or repeat fewer of them',
        )
        return LScalar(_pos(holder), None)

    def _scalar(self, node: yaml.Node) -> LScalar:
        try:
            # A string is its text (what the constructor returns, after a third of the
            # time this builder takes); other tags go through the constructor.
            is_str = node.tag == STR_TAG
            value = node.value if is_str else self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            # PyYAML's constructors raise plain exceptions for e.g. `!!int x`.
            tag = str(node.tag).rsplit(":", 1)[-1]
            self.reporter.error(
                _pos(node),
                f"`{node.value}` cannot be read as !!{tag}",
                "yaml-syntax",
                "remove the tag or fix the value",
            )
            value = node.value
        pos = _pos(node)
        style = getattr(node, "style", None) or ""
        text = str(node.value)
        text_col = None
        if node.start_mark.line == node.end_mark.line:
            quote = 1 if style in ("'", '"') else 0
            if style in ("", "'", '"') and pos.end_col - pos.col - 2 * quote == len(text):
                text_col = pos.col + quote
        start, end = node.start_mark, node.end_mark
        written = Written(style, start.line, start.column, end.line, self.lines)
        return LScalar(pos, value, text, text_col, written)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> LMap:
        """Explicit keys first, so that they win over merged ones (`<<`, YAML 1.1) wherever
        the `<<` is written; merged entries keep the place of their `<<`."""
        seen: dict[Any, LScalar] = {}
        slots: list[tuple[LScalar, Located] | yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                slots.append(value_node)
                continue
            key = self.build(key_node, depth + 1)
            if not isinstance(key, LScalar) or not _hashable(key.value):
                self.reporter.error(key.pos, "mapping keys must be plain strings", "yaml-key")
                continue
            first = seen.get(key.value)
            if first is not None:
                self.reporter.error(
                    key.pos,
                    f"duplicate key `{key.value}` (first defined at line {first.pos.line}); "
                    "YAML keeps only the last one",
                    "duplicate-key",
                    help="remove one of the two, or rename it",
                )
                continue
            seen[key.value] = key
            slots.append((key, self.build(value_node, depth + 1, node)))
        out = LMap(_pos(node))
        for slot in slots:
            if isinstance(slot, tuple):
                out.entries.append(slot)
                continue
            for k, v in self._merged(slot, depth):
                if k.value not in seen:  # explicit keys, then earlier merged mappings, win
                    seen[k.value] = k
                    out.entries.append((k, v))
        return out

    def _merged(self, node: yaml.Node, depth: int) -> list[tuple[LScalar, Located]]:
        """The entries `<<: *a` or `<<: [*a, *b]` brings in, in order."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        entries: list[tuple[LScalar, Located]] = []
        for src in sources:
            built = self.build(src, depth + 1, node)
            if not isinstance(built, LMap):
                self.reporter.error(
                    built.pos,
                    "`<<` merges only mappings",
                    "yaml-merge",
                    "write `<<: *anchor` or `<<: [*a, *b]` with anchors of mappings",
                )
                continue
            entries += built.entries
        return entries


def _children(value: Located) -> list[Located]:
    if isinstance(value, LMap):
        return [x for pair in value.entries for x in pair]
    return list(value.items) if isinstance(value, LSeq) else []


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def load_documents(text: str, reporter: Reporter) -> list[Located]:
    """Parse every document in `text`; syntax errors become diagnostics (and [] is returned)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except UnicodeEncodeError as exc:  # the C loader reads UTF-8: a lone surrogate has none
        _not_a_character(text, exc.start, reporter)
        return []
    except yaml.MarkedYAMLError as exc:
        _syntax_error(exc, reporter, text)
        return []
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        reporter.error(Pos(1, 1, 2), f"invalid YAML: {exc}", "yaml-syntax")
        return []
    builder = _Builder(reporter, LINE_BREAK.split(text))
    docs = [builder.build(n) for n in nodes if n is not None]
    # A file built to explode is hostile, not mistaken: checking its values would only add noise.
    return [] if builder.expanded > MAX_ALIAS_EXPANSION else docs


def load_document(text: str, reporter: Reporter) -> Located | None:
    docs = load_documents(text, reporter)
    if len(docs) > 1:
        reporter.error(
            docs[1].pos,
            "a graph file holds one YAML document",
            "yaml-documents",
            "remove the `---` line and what follows, or put each graph in a file of its own",
        )
    return docs[0] if docs else None


def _not_a_character(text: str, offset: int, reporter: Reporter) -> None:
    """Text handed in as a str (the API takes one) can hold a lone surrogate; a file cannot,
    its bytes are decoded strictly first."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    reporter.error(
        Pos(line, col, col + 1),
        f"U+{ord(text[offset]):04X} is a lone surrogate, not a character: not valid Unicode",
        "yaml-syntax",
        "decode the file as UTF-8 with errors='strict' (or remove the character)",
    )


def _syntax_error(exc: yaml.MarkedYAMLError, reporter: Reporter, text: str) -> None:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    help_text = None
    if exc.context and exc.context_mark is not None:
        help_text = f"{exc.context} at line {exc.context_mark.line + 1}"
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    # The C loader's message does not mention the tab: look at the source itself.
    indent = source[: len(source) - len(source.lstrip())]
    if "tab" in problem or "\t" in indent or source[col - 1 : col] == "\t":
        help_text = "YAML indents with spaces, not tabs"
    value = source.split(":", 1)[1].strip() if ":" in source else source.strip().lstrip("- ")
    if value.startswith("[") and "->" in value:
        help_text = f'a value that starts with `[` is a YAML list: quote it, `"{value}"`'
    reporter.error(Pos(line, col, col + 1), f"YAML syntax: {problem}", "yaml-syntax", help_text)


def locate(root: Located, path: Iterator[Any] | list[Any]) -> tuple[Located, Located | None]:
    """Follow a jsonschema-style path; returns the deepest value found and its key, if any."""
    node: Located = root
    key: Located | None = None
    for part in path:
        if isinstance(node, LMap):
            k = node.key(part) if isinstance(part, str) else None
            v = node.get(part) if isinstance(part, str) else None
            if k is None or v is None:
                break
            node, key = v, k
        elif isinstance(node, LSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node, key = node.items[part], None
        else:
            break
    return node, key
