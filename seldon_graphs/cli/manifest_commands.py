"""`seldon-graphs check-manifest FILE... [--crd FILE] [--format text|json] [--strict]`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..catalog import DEFAULT_SERVERS
from ..diagnostics import Diagnostic, render_json, render_text
from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from ..manifest.check import check_text
from ..manifest.crd import CrdError, load_crd_schema

CRD_ENV = "SELDON_GRAPHS_CRD"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check-manifest",
        help="lint existing SeldonDeployment manifests (CRD schema, Seldon's webhook, more)",
        description=(
            "Check SeldonDeployment manifests (YAML or JSON, several documents or a List) "
            "against the CRD's schema, Seldon's admission webhook rules and the problems "
            "Seldon only finds at run time. Exit codes: 0 ok, 1 problems, 2 usage, 3 internal."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="manifest files; - reads stdin")
    p.add_argument(
        "--crd",
        metavar="FILE",
        help=f"the SeldonDeployment CRD (default: ${CRD_ENV}; without one the schema check "
        "is skipped)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--strict", action="store_true", help="warnings also make the exit code 1")
    p.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="NAME",
        help="a custom prepackaged server known to your operator (predictor_servers key)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    crd_path = args.crd or os.environ.get(CRD_ENV) or None
    schema = None
    if crd_path:
        try:
            schema = load_crd_schema(crd_path)
        except CrdError as exc:
            print(f"seldon-graphs check-manifest: {exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        print(
            f"note: no --crd (or ${CRD_ENV}) given: the CRD schema check is skipped",
            file=sys.stderr,
        )
    servers = DEFAULT_SERVERS | frozenset(args.server)
    sources: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for name in args.files:
        text = _read(name)
        if text is None:
            return EXIT_USAGE
        sources[name] = text
        diags += check_text(text, name, crd_schema=schema, servers=servers)
    _print(diags, sources, args.format)
    failing = [d for d in diags if d.is_error or args.strict]
    return EXIT_PROBLEMS if failing else EXIT_OK


def _read(name: str) -> str | None:
    try:
        if name == "-":  # bytes: the text layer would smuggle bad bytes in as surrogates
            return sys.stdin.buffer.read().decode("utf-8")
        with open(name, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"seldon-graphs check-manifest: cannot read {name}: {reason}", file=sys.stderr)
        return None


def _print(diags: list[Diagnostic], sources: dict[str, str], fmt: str) -> None:
    if fmt == "json":
        print(render_json(diags))
    elif diags:
        print(render_text(diags, sources))
