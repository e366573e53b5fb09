"""`python -m seldon_graphs.monitoring [--check] [DIR]`: write the monitoring manifests and the
dashboard to DIR (default deploy/monitoring), or with --check say whether they are current.

Exit codes: 0 written or current, 1 --check found a stale or missing file, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..picture import save
from .manifests import DASHBOARD_FILE, dashboard_json, manifest_yaml

MANIFEST_FILE = "monitoring.yaml"


def files() -> dict[str, str]:
    """File name -> the text it must hold."""
    return {MANIFEST_FILE: manifest_yaml(), DASHBOARD_FILE: dashboard_json()}


def stale(folder: Path) -> list[str]:
    """The files of `folder` that differ from what would be written."""
    found = []
    for name, text in files().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            found.append(name)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seldon_graphs.monitoring")
    parser.add_argument("folder", nargs="?", type=Path, default=Path("deploy/monitoring"))
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    folder: Path = args.folder
    if args.check:
        out_of_date = stale(folder)
        for name in out_of_date:
            print(f"{folder / name}: out of date; run python -m seldon_graphs.monitoring")
        return 1 if out_of_date else 0
    if not folder.is_dir():
        print(f"monitoring: error: {folder} is not a folder", file=sys.stderr)
        return 2
    for name, text in files().items():
        save(text.encode("utf-8"), folder / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
