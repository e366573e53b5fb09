"""Image subcommands: `build` (every wrapped node's image) and `dockerfile` (print one)."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from seldon_graphs.settings import Flags, add_flags

from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("build", help="build the wrapper image of every python and stock node")
    p.add_argument("graph", metavar="GRAPH")
    p.add_argument("--push", action="store_true", help="push the images to their registry")
    p.add_argument(
        "--force",
        action="store_true",
        help="with --push: overwrite a registry tag that holds a different image",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="also smoke-test images that are up to date (import + construct with params)",
    )
    p.add_argument("--kind-load", metavar="CLUSTER", help="load the images into a kind cluster")
    registry_auth_arg(p)
    add_flags(p)
    p.add_argument("-v", "--verbose", action="store_true", help="show the build output too")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("dockerfile", help="print the generated Dockerfile of one node")
    p.add_argument("graph", metavar="GRAPH")
    p.add_argument("node", metavar="NODE")
    add_flags(p)
    p.set_defaults(func=cmd_dockerfile)


def registry_auth_arg(p: argparse.ArgumentParser) -> None:
    """`--registry-auth-file` (build, deploy, diff, secret create)."""
    p.add_argument(
        "--registry-auth-file",
        metavar="FILE",
        help="registry credentials in the format of ~/.docker/config.json "
        "(default: that file, or $DOCKER_CONFIG/config.json)",
    )


def licence_notice(version: str, stream: TextIO) -> None:
    from seldon_graphs.wrapper.context import runtime_licence

    licence = runtime_licence(version)
    if licence != "Apache-2.0":
        print(
            f"notice: seldon-core {version} is licensed under the {licence} (BSL), not "
            "Apache-2.0; it is used because you chose it (--seldon-core, "
            "SELDON_GRAPHS_SELDON_CORE, seldon-graphs.toml or runtime.seldon_core). 1.17.1 is "
            "the last Apache-2.0 release.",
            file=stream,
        )


def cmd_build(args: argparse.Namespace) -> int:
    from seldon_graphs.wrapper.context import ContextError, plan_graph
    from seldon_graphs.wrapper.images import BuildError, ConsoleProgress, build_images

    from .graphs import load_graph

    graph = load_graph(args.graph, Flags.from_args(args))
    spec, tree = graph.spec, graph.tree
    try:
        plans = plan_graph(spec, tree)
    except ContextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if not plans:
        print(f"{args.graph}: no python or stock nodes, nothing to build", file=sys.stderr)
        return EXIT_OK
    licence_notice(spec.runtime.seldon_core, sys.stderr)
    progress = ConsoleProgress(verbose=args.verbose)
    try:
        results = build_images(
            plans,
            push=args.push,
            kind_cluster=args.kind_load,
            progress=progress,
            force=args.force,
            check=args.check,
            auth_file=args.registry_auth_file,
        )
    except BuildError as exc:
        progress.close()
        print(exc.render(), file=sys.stderr)
        return EXIT_PROBLEMS
    built = sum(r.built for r in results)
    print(f"{len(results)} image(s), {built} built, {len(results) - built} up to date")
    for result in results:
        pinned = f"\t{result.image.rsplit(':', 1)[0]}@{result.digest}" if result.digest else ""
        print(f"{result.node}\t{result.image}{pinned}")
    return EXIT_OK


def cmd_dockerfile(args: argparse.Namespace) -> int:
    from seldon_graphs.wrapper.context import ContextError, builds_image, plan_node

    from .graphs import load_graph

    graph = load_graph(args.graph, Flags.from_args(args))
    spec, tree = graph.spec, graph.tree
    roles = {t.name: t.role for t in tree.walk()}
    names = [n.name for n in spec.nodes if builds_image(n)]
    if args.node not in roles:
        print(
            f"error: no node named {args.node!r} in {args.graph}; "
            f"nodes with images: {', '.join(names) or 'none'}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    node = spec.node(args.node)
    if not builds_image(node):
        print(
            f"error: node {node.name} is a {node.source} node: it has no wrapper image "
            f"(nodes with images: {', '.join(names) or 'none'})",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    try:
        plan = plan_node(spec, node, roles[node.name])
    except ContextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    licence_notice(plan.seldon_core, sys.stderr)
    sys.stdout.write(plan.dockerfile)
    return EXIT_OK
