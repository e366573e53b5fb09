"""Deterministic YAML and atomic writes: outputs are complete or absent, never half-written."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from . import blockyaml
from .errors import EXIT_USAGE, SeldonGraphsError


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as kubectl and Seldon's examples do.
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(obj: Any) -> str:
    """`obj` as block YAML (lists indented under their keys, width 100, multi-line strings as
    `|` blocks); blockyaml writes the same bytes as the PyYAML dump below, faster."""
    fast = blockyaml.dump(obj)
    if fast is not None:
        return fast
    return _pyyaml_dump(obj)


def _pyyaml_dump(obj: Any) -> str:
    text: str = yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=blockyaml.WIDTH,
        allow_unicode=True,
    )
    return text


MARKER = ".seldon-graphs-output"
_MARKER_TEXT = (
    "Written by seldon-graphs. The next compile replaces this whole folder;\n"
    "a folder without this file is never replaced.\n"
)


class OutputError(SeldonGraphsError):
    """An output path that cannot be written without destroying something, or at all; the
    message names the path and what to do."""

    exit_code = EXIT_USAGE  # the user chose the path (`-o`)


@contextmanager
def output_dir(dest: Path) -> Iterator[Path]:
    """`staged_dir` for a folder the user chose (`compile -o`): it gets the marker file, and
    an existing folder is replaced only if it has one (we wrote it before)."""
    if _holds_foreign_files(dest):
        raise OutputError(
            f"{dest} exists and was not written by seldon-graphs (it has no {MARKER} file), "
            "so it is not replaced: move it away or choose another output folder (-o)"
        )
    with staged_dir(dest) as staged:
        (staged / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        yield staged


def _holds_foreign_files(dest: Path) -> bool:
    if not dest.is_dir() or dest.is_symlink():
        return False  # nothing there, or refused by _check_writable
    return not (dest / MARKER).is_file() and any(dest.iterdir())


@contextmanager
def staged_dir(dest: Path) -> Iterator[Path]:
    """A temp folder beside `dest`; when the block succeeds it replaces `dest` in one rename,
    when it fails it is removed and `dest` is untouched."""
    _check_writable(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # here: validate writes nothing (tempfile and random: 3 ms of its start)

    staged = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield staged
        replace_dir(staged, dest)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


def _check_writable(dest: Path) -> None:
    """Refuse, before writing anything, a `dest` that is not a folder or sits below a file."""
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        kind = "a symbolic link" if dest.is_symlink() else "a file"
        raise OutputError(
            f"{dest} exists and is {kind}, not a folder written by seldon-graphs: "
            "move it away or choose another output folder (-o)"
        )
    for parent in dest.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"cannot write {dest}: {parent} is a file, not a folder; "
                    "choose another output folder (-o)"
                )
            return


def replace_dir(staged: Path, dest: Path) -> None:
    """Move a fully written `staged` directory to `dest`, replacing what was there."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
    try:
        os.replace(staged, dest)
    except BaseException:
        if old is not None:
            os.replace(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
