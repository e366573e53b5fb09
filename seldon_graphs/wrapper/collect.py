"""Which project files go into a node's build context (docs/images.md, "What goes into an image").

One rule set, applied when a context is planned; `validate` runs the same code, so it says
everything `compile` and `build` will say:

- every path the graph names (`files` items, the requirements file) is relative, stays
  inside the project directory through any symbolic link, and exists;
- a file that looks like a credential (safety.credential: by its path, by the path a link
  points to; safety.credential_content: by what it holds) is never copied. Listed in
  `files` itself, it is an error; found inside a listed folder, it is left out with a
  warning at that `files` item;
- inside a listed folder, these are skipped without a word: version-control and cache
  folders, seldon-graphs' own output folders, `*.pyc`, the ignore files, whatever the
  project's ignore file (ignore.py) excludes, the node's module and its requirements file
  (they are in the context anyway); a file that would land on a generated file is left
  out with a warning; a link out of the project is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import assert_never

from seldon_graphs import safety
from seldon_graphs.emit import MARKER
from seldon_graphs.spec import (
    BuiltinSource,
    ImageSource,
    NodeSpec,
    NoSource,
    PythonRef,
    PythonSource,
    ServerSource,
    StockSource,
)

from .findings import Findings
from .ignore import IGNORE_FILES, IgnoreRules, load_rules

__all__ = ["collect_files", "credential_why", "project_file"]

_SKIPPED_DIRS = frozenset(
    {"__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
# A folder holding one of these is seldon-graphs output (`compile`'s output folder, even
# while it is being staged, its manifest folder or a build context): copying it would make
# each compile change the next one's tag.
_OUTPUT_MARKERS = (MARKER, "seldondeployment.yaml", "seldon_graphs_entry.py")
_KEEP_INSIDE = "keep every path relative to and inside the project directory"
_NO_CREDENTIALS = (
    "credentials reach a pod through `secret_env` (a Kubernetes Secret), never through the image"
)


def project_file(
    root: Path, rel: str, key: str, what: str, found: Findings, *, folder_ok: bool = False
) -> Path | None:
    """`root / rel` if it is inside the project, symlinks resolved, and exists; else a finding."""
    _, why = safety.project_path(root, rel)
    if why is not None:
        found.error(key, why, "path-escape", _KEEP_INSIDE)
        return None
    path = root / PurePosixPath(rel)
    if not path.exists():
        found.error(key, f"`{rel}` does not exist in the project directory", "missing-file")
        return None
    if not folder_ok and not path.is_file():
        found.error(key, f"{what} `{rel}` is not a file", "missing-file")
        return None
    return path


def credential_why(
    root: Path, path: Path, target: Path | None = None, *, folder: bool = False
) -> str | None:
    """Why the project file (or folder) at `path` (resolving to `target`) looks like a
    credential, or None."""
    if why := safety.credential(path.relative_to(root).as_posix()):
        return why
    target = target or path.resolve()
    if target != path and target.is_relative_to(root):
        linked = target.relative_to(root).as_posix()
        if why := safety.credential(linked):
            return f"it links to `{linked}`: {why}"
    if folder or path.suffix == ".py" or not target.is_file():
        return None  # source code quoting a key format is code, not a key
    try:
        if target.stat().st_size > safety.SNIFFED_BYTES:
            return None
        return safety.credential_content(target.read_bytes())
    except OSError:
        return None  # unreadable: reported as such where the file is read


def _module(node: NodeSpec) -> PurePosixPath | None:
    """A python node's module: its `files` are relative to the module's folder (a stock
    node's to the project root), and the module lands in the context under its own name."""
    match node.source:
        case PythonSource(ref=PythonRef(path=path)):
            return PurePosixPath(path)
        case (
            PythonSource()
            | StockSource()
            | ServerSource()
            | ImageSource()
            | BuiltinSource()
            | NoSource()
        ):
            return None
        case _:
            assert_never(node.source)


class _Collector:
    """The `files` of one node: destination in the context -> the file to copy."""

    def __init__(self, root: Path, node: NodeSpec, reserved: frozenset[str], found: Findings):
        self.root = root
        self.reserved = reserved
        self.found = found
        self.rules: IgnoreRules = load_rules(root)
        self.module = _module(node)
        self.base = root / (self.module.parent if self.module else PurePosixPath())
        self.landed: dict[str, Path] = {}
        self.sources: dict[str, str] = {}
        self.already: set[Path] = set()

    def listed(self, key: str, rel: str) -> None:
        path = project_file(self.root, rel, key, "file", self.found, folder_ok=True)
        if path is None:
            return
        folder = path.is_dir()
        target = path.resolve()
        if why := credential_why(self.root, path, target, folder=folder):
            self.found.error(
                key, f"`{rel}` is not copied: {why}", "credential-file", _NO_CREDENTIALS
            )
            return
        rel = path.relative_to(self.root).as_posix()
        ignored = self.rules.match(rel)
        if ignored is not None and not (folder and self.rules.negates):
            self.found.error(
                key,
                f"`{rel}` is listed in `files`, but line {ignored.line} of "
                f"`{self.rules.file}` (`{ignored.text}`) excludes it",
                "ignored-file",
                f"remove it from `files` or from `{self.rules.file}`",
            )
            return
        anchor = self._anchor(path)
        if not folder:
            self._file(key, rel, path, target, anchor, listed=True)
            return
        for item, item_target in _walk(path, target, self.root):
            self._folder_item(key, item, item_target, anchor)

    def _anchor(self, path: Path) -> Path:
        # Under the module's folder: keep the path relative to it; elsewhere: land next to
        # the module by its own name; the project folder itself: its contents do (its name
        # would make the tag depend on where the project was cloned).
        if path.is_relative_to(self.base):
            return self.base
        return self.root if path == self.root else path.parent

    def _folder_item(self, key: str, item: Path, target: Path, anchor: Path) -> None:
        rel = item.relative_to(self.root).as_posix()
        if item.name in IGNORE_FILES or item.suffix in (".pyc", ".pyo"):
            return
        if self.rules.match(rel) is not None:
            return
        if not target.is_relative_to(self.root):
            self.found.error(
                key,
                f"`{rel}` links outside the project directory",
                "path-escape",
                f"remove the link, or exclude it in `{self.rules.file or IGNORE_FILES[0]}`",
            )
        elif not target.exists():
            self.found.warning(key, f"`{rel}` is a broken symbolic link; not copied", "broken-link")
        elif target.is_dir() or target.is_file():
            self._file(key, rel, item, target, anchor, listed=False)

    def _file(
        self, key: str, rel: str, path: Path, target: Path, anchor: Path, *, listed: bool
    ) -> None:
        if target in self.already:
            return  # the node's module or requirements file: in the context already
        if not listed and (why := credential_why(self.root, path, target)):
            self.found.warning(
                key,
                f"`{rel}` is not copied: {why}",
                "credential-file",
                f"{_NO_CREDENTIALS}; exclude it in `{self.rules.file or IGNORE_FILES[0]}` "
                "to silence this",
            )
            return
        if not target.is_dir() and not target.is_file():  # a FIFO would hang the build
            self.found.error(key, f"`{rel}` is not a regular file", "io")
            return
        if target.is_dir() or not os.access(target, os.R_OK):
            self.found.error(key, f"`{rel}` cannot be read", "io", "check its permissions")
            return
        dest = path.relative_to(anchor).as_posix()
        if dest in self.reserved or dest.startswith(".s2i/"):
            self._reserved(key, rel, dest, listed)
            return
        other = self.sources.setdefault(dest, rel)
        if other != rel:
            self.found.error(
                key,
                f"`{rel}` and `{other}` would both land on `{dest}`",
                "file-clash",
                "list only one of them, or move one into a sub-folder",
            )
            return
        self.landed[dest] = target

    def _reserved(self, key: str, rel: str, dest: str, listed: bool) -> None:
        if self.module is not None and dest == self.module.name:
            message = (
                f"`{rel}` would land on `{dest}`, where the node's module `{self.module}` goes"
            )
        else:
            message = f"`{rel}` would land on `{dest}`, which seldon-graphs generates"
        if dest == "requirements.txt":
            help = f"to install its requirements, write `requirements: {rel}` instead"
        else:
            help = "rename it or move it into a sub-folder"
        if listed:
            self.found.error(key, message, "file-clash", help)
        else:
            self.found.warning(key, f"{message}; not copied", "file-clash", help)


def collect_files(
    root: Path,
    node: NodeSpec,
    reserved: frozenset[str],
    already: tuple[Path, ...],
    found: Findings,
) -> dict[str, Path]:
    """The node's `files`, as context destination -> file; problems go to `found`.

    `reserved` are the paths seldon-graphs generates; `already` the files that are in the
    context anyway (the module, the requirements file), skipped when a folder holds them.
    """
    if not node.files:
        return {}
    collector = _Collector(root, node, reserved, found)
    collector.already.update(p.resolve() for p in already)
    for problem in collector.rules.problems:
        found.error("files", problem, "ignore-file", "fix or remove that line")
    for i, rel in enumerate(node.files):
        collector.listed(f"files[{i}]", rel)
    return dict(sorted(collector.landed.items()))


def _walk(
    folder: Path, real: Path, root: Path, seen: frozenset[Path] = frozenset()
) -> Iterator[tuple[Path, Path]]:
    """(path, resolved path) of everything under `folder` (resolving to `real`) but folders,
    sorted; a folder that cannot be listed is yielded itself. Links to folders inside the
    project are followed, each once per path; only links are resolved (it is the slow part).
    """
    seen = seen | {real}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        yield folder, real
        return
    for entry in entries:
        path = folder / entry.name
        if entry.name in _SKIPPED_DIRS and entry.is_dir():
            continue
        target = path.resolve() if entry.is_symlink() else real / entry.name
        if entry.is_dir() and target.is_relative_to(root):
            if target not in seen and not _is_output(path):
                yield from _walk(path, target, root, seen)
        else:
            yield path, target


def _is_output(folder: Path) -> bool:
    return any((folder / marker).is_file() for marker in _OUTPUT_MARKERS)
