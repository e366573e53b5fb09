"""Diagnostics: one record per problem, rendered like a compiler (file:line:col, source, caret)."""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from .safety import secret_name, shown
from .spec import Pos


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    # Field order is the sort order: by file, then position, then text.
    file: str
    line: int
    col: int
    severity: Severity = field(compare=False)
    message: str
    rule: str
    end_col: int = field(default=0, compare=False)
    help: str | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "end_column": max(self.end_col, self.col + 1),
            "severity": str(self.severity),
            "rule": self.rule,
            "message": self.message,
            "help": self.help,
        }


MASK = "*"


@dataclass(frozen=True)
class Secret:
    """A value written under a secret-looking key: diagnostics never show it.

    `indent` is its key's column: a value that goes on past its first line continues on
    lines indented further than the key.
    """

    pos: Pos
    indent: int
    value: str
    single_line: bool


class Reporter:
    """Collects diagnostics for one source file, and the secret values they must not show."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Diagnostic] = []
        self.secrets: list[Secret] = []

    def conceal(self, secret: Secret) -> None:
        self.secrets.append(secret)

    def masked_source(self, text: str) -> str:
        """`text` with every secret value starred out, character for character, so that
        carets on the same line still point at the right column."""
        lines = text.splitlines(keepends=True)
        covered = 0  # lines up to here are starred from their indentation on already
        for secret in sorted([*self.secrets, *_written_secrets(lines)], key=lambda s: s.pos):
            # A value inside another's continuation lines lies within them: no second pass.
            if secret.pos.line > covered:
                covered = max(covered, _mask_secret(lines, secret))
        return "".join(lines)

    def finished(self) -> list[Diagnostic]:
        """Every diagnostic, sorted and deduplicated, with secret values masked in its text."""
        values = [s.value for s in self.secrets if s.value]
        return finalize(_mask_words(d, values) for d in self.items)

    def error(self, pos: Pos, message: str, rule: str, help: str | None = None) -> None:
        self._add(Severity.ERROR, pos, message, rule, help)

    def warning(self, pos: Pos, message: str, rule: str, help: str | None = None) -> None:
        self._add(Severity.WARNING, pos, message, rule, help)

    def _add(self, sev: Severity, pos: Pos, message: str, rule: str, help: str | None) -> None:
        end = pos.end_col if pos.end_col > pos.col else pos.col + 1
        self.items.append(Diagnostic(self.file, pos.line, pos.col, sev, message, rule, end, help))

    def has_rule(self, rule: str) -> bool:
        return any(d.rule == rule for d in self.items)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)


# Scanning `key: value` pairs as written, for text YAML could not read. One pass, always
# forward: a hostile line must not make it quadratic.
_TOKEN = re.compile(r"""["'{}\[\],]|:(?=[ \t]|$)|(?<=[ \t])#""")
_VALUE_END = re.compile(r",[ \t]|[}\]]|[ \t]+#|[ \t]*$")
_PROPERTIES = re.compile(r"[ \t]*(?:[&!][^\s,{}\[\]]*[ \t]+)*")  # anchors and tags
# Node keys that name a Secret rather than hold one.
_REFERENCES = ("secret", "secret_env", "image_pull_secret")  # they name Secrets


def _written_secrets(lines: Sequence[str]) -> list[Secret]:
    """Values written after secret-looking keys, found in the text itself."""
    return [s for n, line in enumerate(lines, 1) for s in _line_secrets(n, line.rstrip("\r\n"))]


def _line_secrets(number: int, line: str) -> list[Secret]:
    out: list[Secret] = []
    pos = key_start = 0
    while (m := _TOKEN.search(line, pos)) is not None:
        token, pos = m.group(), m.end()
        if token in "\"'":
            pos = _after_quoted(line, m.start())
        elif token == "#":
            break
        elif token != ":":
            key_start = pos
        else:
            start = _PROPERTIES.match(line, pos).end()  # type: ignore[union-attr]
            end = _value_end(line, start)
            key = line[key_start : m.start()].strip().lstrip("-").strip().strip("\"'")
            value = line[start:end]
            if value[:1] not in ("", "{", "[", "*") and key not in _REFERENCES:
                if secret_name(key) is not None:
                    block = value[:1] in ("|", ">")
                    col = key_start + len(line[key_start:]) - len(line[key_start:].lstrip()) + 1
                    out.append(Secret(Pos(number, start + 1, end + 1), col, value, not block))
                pos = key_start = end
    return out


def _after_quoted(line: str, at: int) -> int:
    """The end of the quoted scalar opened at `at` (`''` and `\\"` do not close it)."""
    quote, pos = line[at], at + 1
    while (close := line.find(quote, pos)) >= 0:
        if quote == "'" and line.startswith("''", close):
            pos = close + 2
        elif quote == '"' and _escaped(line, close):
            pos = close + 1
        else:
            return close + 1
    return len(line)


def _escaped(line: str, at: int) -> bool:
    start = at
    while start > 0 and line[start - 1] == "\\":
        start -= 1
    return (at - start) % 2 == 1


def _value_end(line: str, start: int) -> int:
    if line[start : start + 1] in ("'", '"'):
        return _after_quoted(line, start)
    m = _VALUE_END.search(line, start)
    return m.start() if m else len(line)


def _mask_secret(lines: list[str], secret: Secret) -> int:
    """Star out one value; returns the last line its continuation lines reach (1-based)."""
    first = secret.pos.line - 1
    if not 0 <= first < len(lines):
        return 0
    start = secret.pos.col - 1
    end = secret.pos.end_col - 1 if secret.single_line else None
    lines[first] = _star(lines[first], start, end)
    if secret.single_line:
        return 0
    for i in range(first + 1, len(lines)):
        body = lines[i].rstrip("\r\n")
        indent = len(body) - len(body.lstrip(" "))
        if body.strip() and indent < secret.indent:
            return i
        lines[i] = _star(lines[i], indent, None)
    return len(lines)


def _star(line: str, start: int, end: int | None) -> str:
    body = line.rstrip("\r\n")
    newline = line[len(body) :]
    stop = len(body) if end is None else min(end, len(body))
    if start >= stop:
        return line
    return body[:start] + MASK * (stop - start) + body[stop:] + newline


def _mask_words(d: Diagnostic, values: Sequence[str]) -> Diagnostic:
    """Messages quote values in backticks; a secret's is starred out wherever it appears."""
    message, help = d.message, d.help
    masked = f"`{MASK * 5}`"
    # Values with control characters are quoted escaped (safety.shown).
    for quoted in {f"`{v}`" for v in values} | {f"`{shown(v)}`" for v in values}:
        message = message.replace(quoted, masked)
        help = help.replace(quoted, masked) if help else help
    if (message, help) == (d.message, d.help):
        return d
    return replace(d, message=message, help=help)


def finalize(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by position, exact duplicates removed."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for d in sorted(items):
        key = (d.file, d.line, d.col, d.rule, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A `help:` text naming the closest choice, if one is close enough."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


def render_one(d: Diagnostic, lines: Sequence[str]) -> str:
    where = f"{d.file}:{d.line}:{d.col}" if d.line else d.file  # line 0: not in a file
    head = f"{where}: {d.severity}: {d.message} [{d.rule}]"
    out = [head]
    if 1 <= d.line <= len(lines):
        src = lines[d.line - 1].rstrip("\n").expandtabs(1)
        gutter = str(d.line)
        pad = " " * len(gutter)
        width = max(1, min(d.end_col, len(src) + 1) - d.col)
        caret = "^" + "~" * (width - 1)
        out.append(f"{gutter} | {src}")
        out.append(f"{pad} | {' ' * (d.col - 1)}{caret}")
    if d.help:
        out.append(f"  help: {d.help}")
    return "\n".join(out)


def render_text(diags: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    """All diagnostics, each with its source line, then a one-line summary."""
    if not diags:
        return ""
    split = {name: text.splitlines() for name, text in sources.items()}
    blocks = [render_one(d, split.get(d.file, [])) for d in diags]
    errors = sum(1 for d in diags if d.is_error)
    blocks.append(f"{_count(errors, 'error')}, {_count(len(diags) - errors, 'warning')}")
    return "\n\n".join(blocks)


def render_json(diags: Sequence[Diagnostic]) -> str:
    import json  # here: only --format json asks (1 ms of every start-up otherwise)

    return json.dumps([d.to_json() for d in diags], indent=2, sort_keys=True)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
