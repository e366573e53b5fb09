"""`seldon-graphs import SDEP [-o DIR] [--force] [--lossy] [--format text|json]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from ..diagnostics import render_json, render_text
from ..emit import OutputError
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..importer.importing import Outcome, import_text
from ..importer.write import check_folder, write_all


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="write graph files from an existing SeldonDeployment",
        description=(
            "Read SeldonDeployments (YAML or JSON, several documents or a List; apiVersion "
            "v1, v1alpha2 or v1alpha3) and write a graph file for each (a deployment file "
            "and a graph file per predictor where one predictor is not all). Every field "
            "that cannot be expressed is reported at its place in the manifest. Exit codes: "
            "0 written, 1 problems (or fields dropped, without --lossy), 2 usage "
            "(or files in the way, without --force), 3 internal error."
        ),
    )
    p.add_argument("manifest", metavar="SDEP", help="the manifest file; - reads stdin")
    p.add_argument("-o", "--out", default="graphs", help="output folder (default: graphs)")
    p.add_argument("--force", action="store_true", help="replace files that exist")
    p.add_argument("--lossy", action="store_true", help="write even when fields had to be dropped")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    text = _read(args.manifest)
    if text is None:
        return EXIT_PROBLEMS
    folder = Path(args.out)
    try:
        check_folder(folder)  # before the graphs are checked against a project there
        outcome = import_text(text, args.manifest, folder)
        _print(outcome, args.format)
        refusal = _refusal(outcome, args.lossy)
        if refusal:
            print(f"seldon-graphs import: {refusal}; nothing written", file=sys.stderr)
            return EXIT_PROBLEMS
        # With --format json stdout holds the JSON alone.
        return _write(
            folder, outcome, args.force, sys.stderr if args.format == "json" else sys.stdout
        )
    except OutputError as exc:
        print(f"seldon-graphs import: error: {exc}", file=sys.stderr)
        return exc.exit_code


def _write(folder: Path, outcome: Outcome, force: bool, report: TextIO) -> int:
    try:
        written = write_all(folder, outcome.files, force)
    except OSError as exc:
        where = exc.filename or folder
        print(f"seldon-graphs import: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    for path in written:
        print(f"wrote {path}", file=report)
    return EXIT_OK


def _refusal(outcome: Outcome, lossy: bool) -> str | None:
    if outcome.failed:
        return "there are errors above"
    if outcome.dropped and not lossy:
        return (
            f"{outcome.dropped} field{'s' if outcome.dropped != 1 else ''} could not be "
            "expressed (--lossy writes the files without them)"
        )
    return None


def _read(name: str) -> str | None:
    try:
        if name == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        with open(name, "rb") as fh:
            return fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"seldon-graphs import: cannot read {name}: {reason}", file=sys.stderr)
        return None


def _print(outcome: Outcome, fmt: str) -> None:
    if fmt == "json":
        print(render_json(outcome.diagnostics))
    elif outcome.diagnostics:
        print(render_text(outcome.diagnostics, outcome.sources), file=sys.stderr)
