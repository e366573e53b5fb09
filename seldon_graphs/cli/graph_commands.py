"""Compiler subcommands: validate, compile, explain, graph, schema."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeAlias

from .. import api, picture, settings
from ..deployment.detect import is_deployment_file
from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from ..schema_check import deployment_schema, graph_schema
from .graphs import load_graph, load_graph_or_deployment

if TYPE_CHECKING:  # the deployment modules are imported for a deployment file only
    from .. import deployment

    Analyzed: TypeAlias = api.Analysis | deployment.DeploymentAnalysis


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check graph or deployment files; report every problem")
    p.add_argument("graphs", nargs="+", metavar="GRAPH")
    _format_flags(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("compile", help="write the SeldonDeployment and wrapper build contexts")
    p.add_argument("graph", metavar="GRAPH")
    where = p.add_mutually_exclusive_group()
    where.add_argument("-o", "--out", default="build", help="output folder (default: build)")
    where.add_argument("--stdout", action="store_true", help="print the manifest only")
    _format_flags(p)
    settings.add_flags(p)
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("explain", help="show the lowered Seldon tree and why each role")
    p.add_argument("graph", metavar="GRAPH")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("graph", help="draw the data flow (or the Seldon tree)")
    p.add_argument("graph", metavar="GRAPH")
    p.add_argument(
        "--format",
        choices=picture.TEXT_FORMATS + picture.IMAGE_FORMATS,
        default="mermaid",
        help="text (mermaid, dot) or a picture rendered by Graphviz (svg, png)",
    )
    p.add_argument("--tree", action="store_true", help="draw the lowered Seldon tree instead")
    p.add_argument("-o", "--out", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("schema", help="print the graph file's JSON Schema")
    p.add_argument("--deployment", action="store_true", help="the deployment file's schema instead")
    p.set_defaults(func=cmd_schema)


def _format_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="diagnostics as text (default) or JSON",
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")


def _failed(result: Analyzed, strict: bool) -> bool:
    return not result.ok or (strict and bool(result.diagnostics))


def _report(result: Analyzed, fmt: str, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    if fmt == "json":
        print(result.render("json"), file=out)
    elif result.diagnostics:
        print(result.render(), file=out)


def cmd_validate(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for path in args.graphs:
        result = _analyze(path)
        _report(result, args.format, sys.stdout)
        if _failed(result, args.strict):
            code = EXIT_PROBLEMS
        elif args.format == "text" and result.ok:
            print(f"{result.display}: ok ({_counted(result)})")
    return code


def _analyze(path: str, flags: settings.Flags | None = None) -> Analyzed:
    """A graph file's analysis, or a deployment file's (its top level has `predictors:`)."""
    if is_deployment_file(path):
        from ..deployment import analyze_deployment

        return analyze_deployment(path, flags)
    return api.analyze(path, flags)


def _counted(result: Analyzed) -> str:
    if isinstance(result, api.Analysis):
        assert result.tree is not None  # result.ok
        return _plural(sum(1 for _ in result.tree.walk()), "node")
    count, predictors = result.node_count, len(result.graphs)
    return f"{_plural(predictors, 'predictor')}, {_plural(count, 'node')}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def cmd_compile(args: argparse.Namespace) -> int:
    flags = settings.Flags.from_args(args)
    graph = load_graph_or_deployment(args.graph, flags, fmt=args.format, strict=args.strict)
    if args.stdout:
        sys.stdout.write(graph.manifest_yaml())
        return EXIT_OK
    from ..wrapper.findings import ContextError

    try:  # an OutputError (exit 2) is reported by cli.main
        folder = graph.compile(args.out)
    except ContextError as exc:  # a large file changed while its context was made
        print(f"seldon-graphs: error: {exc}; nothing was written", file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as exc:
        where = exc.filename or args.out
        print(f"seldon-graphs: error: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"wrote {folder / api.MANIFEST_FILE}")
    written = (
        [(plan.node, plan) for plan in graph.contexts]
        if isinstance(graph, api.Graph)
        else graph.written_contexts()
    )
    for rel, plan in written:
        print(f"wrote {folder / rel}/  ({plan.image})")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    graph = load_graph_or_deployment(args.graph)
    if not isinstance(graph, api.Graph):
        body = graph.manifest()["spec"]
        count = _plural(len(graph.predictors), "predictor")
        protocol, transport = body["protocol"], body["transport"]
        print(f"{graph.spec.name}: protocol {protocol}, transport {transport}, {count}")
        print("Seldon trees, one per predictor (requests enter at the top):")
        print(graph.explain())
        return EXIT_OK
    spec = graph.spec
    pods = "one pod" if spec.pods == "single" else "one pod per node"
    print(f"{spec.name}: protocol {spec.protocol}, transport {spec.transport}, {pods}")
    print("Seldon tree (requests enter at the top):")
    print(graph.explain())
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    if args.format == "png" and args.out is None and sys.stdout.isatty():
        return _error("--format png writes binary data: give -o FILE or redirect", EXIT_USAGE)
    try:
        if args.format in picture.IMAGE_FORMATS:
            picture.dot_program()  # before loading: say what to install first
    except picture.PictureError as exc:
        return _error(str(exc), EXIT_PROBLEMS)
    if is_deployment_file(args.graph):
        return _error(
            f"{args.graph} is a deployment file; `graph` draws one graph: give it a "
            "predictor's graph file",
            EXIT_USAGE,
        )
    graph = load_graph(args.graph)
    draw = picture.tree_picture if args.tree else picture.flow_picture
    try:
        data = _drawing(draw(graph.spec, graph.tree, _text_format(args.format)), args.format)
        _write(data, args.out)
    except picture.PictureError as exc:
        return _error(str(exc), EXIT_PROBLEMS)
    except OSError as exc:
        where = exc.filename or args.out
        return _error(f"cannot write {where}: {exc.strerror or exc}", EXIT_PROBLEMS)
    return EXIT_OK


def _text_format(fmt: str) -> str:
    return "dot" if fmt in picture.IMAGE_FORMATS else fmt


def _drawing(text: str, fmt: str) -> bytes:
    if fmt in picture.IMAGE_FORMATS:
        return picture.render(text, fmt)
    return (text + "\n").encode()


def _write(data: bytes, out: str | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        picture.save(data, Path(out))
        print(f"wrote {out}", file=sys.stderr)


def _error(message: str, code: int) -> int:
    print(f"seldon-graphs: error: {message}", file=sys.stderr)
    return code


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    print(json.dumps(deployment_schema() if args.deployment else graph_schema(), indent=2))
    return EXIT_OK
