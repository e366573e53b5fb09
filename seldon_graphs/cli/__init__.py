"""`seldon-graphs` command line. Exit codes: 0 ok, 1 problems found, 2 usage, 3 internal error."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import traceback
from collections.abc import Sequence

from ..errors import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, SeldonGraphsError

GC_THRESHOLD = (100_000, 50, 100)

# Each module adds its subcommands with `register(subparsers)`; a subcommand sets
# `func(args) -> int` as its default. Kept as names so `--help` imports no heavy client.
COMMAND_MODULES = (
    "seldon_graphs.cli.graph_commands",
    "seldon_graphs.cli.manifest_commands",
    "seldon_graphs.cli.build_commands",
    "seldon_graphs.cli.run_commands",
    "seldon_graphs.cli.deploy_commands",
    "seldon_graphs.cli.models_commands",
    "seldon_graphs.cli.import_commands",
)
# The module that registers each subcommand (tests/test_cli_imports.py pins it against what
# the modules register): a command line naming one imports that module alone, so `validate`
# does not pay for the manifest checker, asyncio or the runtime (a fifth of its start-up).
COMMAND_HOME = {
    **dict.fromkeys(("validate", "compile", "explain", "graph", "schema"), COMMAND_MODULES[0]),
    "check-manifest": COMMAND_MODULES[1],
    **dict.fromkeys(("build", "dockerfile"), COMMAND_MODULES[2]),
    **dict.fromkeys(("run", "predict"), COMMAND_MODULES[3]),
    **dict.fromkeys(
        ("deploy", "status", "diff", "promote", "delete", "secret"), COMMAND_MODULES[4]
    ),
    "models": COMMAND_MODULES[5],
    "import": COMMAND_MODULES[6],
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


class _Version(argparse.Action):
    """`--version`: printed as is (argparse's own action re-wraps the text)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version_text())
        raise SystemExit(EXIT_OK)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: every subcommand, or only the chosen command's module's when
    `argv` starts with a known command (`--help`, a typo or no argv register them all)."""
    parser = _Parser(
        prog="seldon-graphs",
        description="Compile inference-graph files into Seldon Core v1 deployments.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the versions and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    home = COMMAND_HOME.get(argv[0]) if argv else None
    for name in (home,) if home else COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def version_text() -> str:
    """The toolkit's version and the seldon-core runtime its images use by default."""
    from importlib.metadata import PackageNotFoundError, version

    from ..spec import Runtime
    from ..wrapper.context import runtime_licence

    try:
        ours = version("seldon-graphs")
    except PackageNotFoundError:
        ours = "unknown (not installed)"
    runtime = Runtime.seldon_core
    return (
        f"seldon-graphs {ours} (wrapper images: seldon-core {runtime}, "
        f"{runtime_licence(runtime)}, by default)"
    )


def entry() -> int:
    """The `seldon-graphs` program: `main` on sys.argv, networkx's import narrowed first (a
    process of its own: nothing else in it can want more of networkx than it gets; see
    seldon_graphs/nx_import.py)."""
    from .. import nx_import

    nx_import.narrow()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    # A compile allocates many small, long-lived objects; the default collector thresholds
    # make it rescan them again and again (a third of the time at 5,000 nodes).
    gc.set_threshold(*GC_THRESHOLD)
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except SeldonGraphsError as err:
        # A command that did not report it itself: the message is for the user, no traceback.
        print(err.render(), file=sys.stderr)
        return err.exit_code
    except Exception:
        traceback.print_exc()
        print(
            "seldon-graphs: internal error (a bug in seldon-graphs, not in your graph); "
            "please report it with the traceback above",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return code
