"""Writing the imported files: all or none, and nothing replaced without `--force`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..emit import OutputError


class WouldOverwrite(OutputError):
    """Files that exist already; without `--force` none of them is touched."""


def check_folder(folder: Path) -> None:
    """Refuse an output folder that is a file before anything is read into it."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder: choose another output folder (-o)")


def write_all(folder: Path, files: dict[str, str], force: bool) -> list[Path]:
    """Write `files` (name -> text) into `folder`: each to a temporary file first, then all
    renamed into place, so a failure leaves no half-written file."""
    check_folder(folder)
    targets = [folder / name for name in files]
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not force:
        names = ", ".join(str(t) for t in existing)
        raise WouldOverwrite(f"{names} already exist(s): nothing written (--force replaces)")
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for target, text in zip(targets, files.values(), strict=True):
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            staged.append((Path(name), target))
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        _put_in_place(staged)
    finally:
        for staged_file, _ in staged:
            staged_file.unlink(missing_ok=True)
    return targets


def _put_in_place(staged: list[tuple[Path, Path]]) -> None:
    """Rename every staged file onto its target; if one rename fails, the targets renamed
    before it go back to what they were (replaced files are kept aside until the end)."""
    done: list[tuple[Path, Path | None]] = []
    try:
        for staged_file, target in staged:
            backup = None
            if target.exists() or target.is_symlink():
                backup = target.with_name(f".{target.name}.{os.getpid()}.old")
                os.replace(target, backup)
            done.append((target, backup))
            os.replace(staged_file, target)
    except BaseException:
        for target, backup in reversed(done):
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        raise
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)
