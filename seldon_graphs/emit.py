"""Deterministic YAML and atomic writes: outputs are complete or absent, never half-written."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as kubectl and Seldon's examples do.
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(obj: Any) -> str:
    text: str = yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=100,
        allow_unicode=True,
    )
    return text


@contextmanager
def staged_dir(dest: Path) -> Iterator[Path]:
    """A temp folder beside `dest`; when the block succeeds it replaces `dest` in one rename,
    when it fails it is removed and `dest` is untouched."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield staged
        replace_dir(staged, dest)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


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
