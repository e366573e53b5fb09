"""Where each character of a YAML string was written: line and column inside any scalar style.

PyYAML marks only where a scalar starts and ends. The flow language points at tokens inside
the string, which may be plain or quoted, span lines, or be a literal (`|`) or folded (`>`)
block with chomping and indentation indicators. Folding, indentation and chomping only add
or remove whitespace, so every non-blank character of the value was written in the same
order in the source; only quoting changes characters (`''` in single quotes, escapes in
double quotes), and those are decoded here from the raw text. When the raw text does not
spell the value (which would be a bug here), there is no map and callers fall back to the
scalar's own position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .spec import Pos

# YAML's line breaks (not Python's wider str.splitlines set, which would shift line numbers).
LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


@dataclass(frozen=True)
class Written:
    """How a scalar was written: its style, where it starts (0-based) and the file's lines."""

    style: str  # "" plain, "'", '"', "|", ">"
    line: int
    col: int
    end_line: int
    lines: Sequence[str]


@dataclass(frozen=True)
class Spot:
    """The source position of one value character; `width` source characters wrote it."""

    line: int  # 1-based
    col: int
    width: int = 1


class _Raw:
    """A cursor over the scalar's source characters, decoding quotes as it goes."""

    def __init__(self, written: Written) -> None:
        self.style = written.style
        self.chars: list[tuple[str, int, int]] = []
        last = min(written.end_line, len(written.lines) - 1)
        for n in range(written.line, last + 1):
            text = written.lines[n]
            first = written.col if n == written.line else 0
            self.chars += [(ch, n + 1, c + 1) for c, ch in enumerate(text) if c >= first]
            self.chars.append(("\n", n + 1, len(text) + 1))
        self.i = self._after_properties()
        if self.style in ("|", ">"):  # the header line holds only indicators and a comment
            breaks = (k for k in range(self.i, len(self.chars)) if self.chars[k][0] == "\n")
            self.i = next(breaks, self.i) + 1
        elif self.style in ("'", '"'):
            self.i += 1

    def _after_properties(self) -> int:
        """Where the scalar itself starts: after an anchor (`&a`) or a tag (`!!str`)."""
        i = 0
        while i < len(self.chars) and self.chars[i][0] in "&!":
            while i < len(self.chars) and not self.chars[i][0].isspace():
                i += 1
            while i < len(self.chars) and self.chars[i][0].isspace():
                i += 1
        return i

    def next_visible(self) -> tuple[str, Spot] | None:
        """The next character the value holds that is not blank, with where it was written."""
        while self.i < len(self.chars):
            ch, line, col = self.chars[self.i]
            decoded, width = self._decode(ch)
            self.i += width
            if decoded is None:
                return None
            if decoded and not decoded.isspace():
                return decoded, Spot(line, col, width)
        return None

    def _decode(self, ch: str) -> tuple[str | None, int]:
        """(value text, source width) at the cursor; None where the scalar's text ends."""
        if self.style == "'" and ch == "'":
            return ("'", 2) if self._at(1) == "'" else (None, 1)
        if self.style != '"':
            return ch, 1
        if ch == '"':
            return None, 1
        if ch != "\\":
            return ch, 1
        code = self._at(1)
        if code == "\n":  # an escaped line break joins the lines without a space
            return "", 1
        if code in _ESCAPES:
            return _ESCAPES[code], 2
        digits = _HEX_ESCAPES.get(code, 0)
        hex_text = "".join(self._at(k) for k in range(2, 2 + digits))
        if not digits or not re.fullmatch(r"[0-9A-Fa-f]+", hex_text):
            return None, 1
        return chr(int(hex_text, 16)), 2 + digits

    def _at(self, ahead: int) -> str:
        k = self.i + ahead
        return self.chars[k][0] if k < len(self.chars) else ""


def value_spots(value: str, written: Written) -> list[Spot | None] | None:
    """For each character of `value`, where it was written (None for blanks); None if the
    source does not spell `value`."""
    verbatim = _verbatim_spots(value, written)
    return verbatim if verbatim is not None else _decoded_spots(value, written)


def _verbatim_spots(value: str, written: Written) -> list[Spot | None] | None:
    """`value_spots` of a scalar written on one line exactly as its value reads (plain, or
    quoted with no quote or escape inside), as flows usually are; None for any other.
    The character-by-character decoding is a tenth of compiling a 1,000-node graph."""
    if written.end_line != written.line or written.style not in ("", "'", '"'):
        return None
    if written.style and (written.style in value or "\\" in value):
        return None
    start = written.col + len(written.style)
    if written.lines[written.line][start : start + len(value)] != value:
        return None
    line, col = written.line + 1, start + 1
    return [None if ch.isspace() else Spot(line, col + i) for i, ch in enumerate(value)]


def _decoded_spots(value: str, written: Written) -> list[Spot | None] | None:
    raw = _Raw(written)
    spots: list[Spot | None] = []
    for ch in value:
        if ch.isspace():
            spots.append(None)
            continue
        found = raw.next_visible()
        if found is None or found[0] != ch:
            return None
        spots.append(found[1])
    return spots


class Locator:
    """Turns (offset, length) in a scalar's value into a position in the graph file."""

    def __init__(self, fallback: Pos, spots: list[Spot | None] | None) -> None:
        self.fallback = fallback
        self.spots = spots

    def at(self, offset: int, length: int) -> Pos:
        spots = self.spots
        if spots is None:
            return self.fallback
        if offset >= len(spots):  # just past the end: after the last written character
            last = next((s for s in reversed(spots) if s is not None), None)
            if last is None:
                return self.fallback
            end = last.col + last.width
            return Pos(last.line, end, end + 1)
        first = spots[offset]
        if first is None:
            return self.fallback
        tail = [s for s in spots[offset : offset + max(1, length)] if s is not None]
        last = tail[-1]
        if last.line != first.line:
            return Pos(first.line, first.col, first.col + first.width)
        return Pos(first.line, first.col, last.col + last.width)
