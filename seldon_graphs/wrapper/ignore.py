"""The project's ignore file: which project files never go into a build context.

`.seldon-graphs-ignore` at the project root, or, when there is none, the root's
`.dockerignore`. Patterns follow Docker's `.dockerignore` rules (moby's patternmatcher),
matched against paths relative to the project root:

- one pattern a line; blank lines and lines starting with `#` are skipped; surrounding
  white space, a leading `/` and `./` are dropped;
- `*` matches any run of characters but `/`, `?` one character but `/`, `[a-z]` a class,
  `\\` escapes the next character; `**` matches any number of folders (also none);
- a pattern that matches a folder matches everything under it;
- `!pattern` re-includes what an earlier pattern excluded; the last matching line wins.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILES = (".seldon-graphs-ignore", ".dockerignore")


@dataclass(frozen=True)
class Pattern:
    line: int
    text: str
    regex: re.Pattern[str]
    negated: bool


@dataclass(frozen=True)
class IgnoreRules:
    """The patterns of one ignore file (`file` None: there is none)."""

    file: str | None = None
    patterns: tuple[Pattern, ...] = ()
    problems: tuple[str, ...] = ()  # one sentence per unusable line

    def match(self, rel: str) -> Pattern | None:
        """The pattern that decides `rel` (a POSIX path under the root) is ignored, or None."""
        decided: Pattern | None = None
        for pattern in self.patterns:
            if _matches_or_parent(pattern.regex, rel):
                decided = None if pattern.negated else pattern
        return decided

    @property
    def negates(self) -> bool:
        return any(p.negated for p in self.patterns)


def load_rules(root: Path) -> IgnoreRules:
    """The ignore rules of the project at `root` (no file: nothing is ignored)."""
    for name in IGNORE_FILES:
        path = root / name
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                return IgnoreRules(name, (), (f"`{name}` cannot be read: {exc}",))
            return parse_rules(name, text)
    return IgnoreRules()


def parse_rules(name: str, text: str) -> IgnoreRules:
    patterns: list[Pattern] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if line == "!":
            problems.append(f"`{name}` line {number}: `!` alone negates nothing")
            continue
        body = _clean(line[1:].strip() if negated else line)
        try:
            regex = re.compile(_translate(body))
        except (re.error, ValueError) as exc:
            problems.append(f"`{name}` line {number}: `{line}` is not a valid pattern ({exc})")
            continue
        patterns.append(Pattern(number, line, regex, negated))
    return IgnoreRules(name, tuple(patterns), tuple(problems))


def _clean(pattern: str) -> str:
    # Docker cleans patterns like filepath.Clean and drops a leading `/`.
    cleaned = posixpath.normpath(pattern) if pattern else "."
    return cleaned.lstrip("/") or "."


def _translate(pattern: str) -> str:
    """moby patternmatcher's regular expression for one cleaned pattern."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*" and pattern[i : i + 1] == "*":
            i += 1 + (pattern[i + 1 : i + 2] == "/")
            out.append(".*" if i >= len(pattern) else "(.*/)?")
        elif ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i >= len(pattern):
                raise ValueError("a trailing backslash escapes nothing")
            out.append(re.escape(pattern[i]))
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 1)  # `[]a]`: a leading `]` is in the class
            if end < 0:
                raise ValueError("`[` without a closing `]`")
            out.append("[" + pattern[i:end].replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(ch))
    return "".join(out) + "$"


def _matches_or_parent(regex: re.Pattern[str], rel: str) -> bool:
    parts = rel.split("/")
    return any(regex.match("/".join(parts[:n])) for n in range(len(parts), 0, -1))
