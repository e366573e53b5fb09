"""Image subcommands: `build` (every wrapped node's image) and `dockerfile` (print one)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from seldon_graphs.settings import Flags, add_flags

from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE

if TYPE_CHECKING:
    from seldon_graphs.wrapper.context import ContextPlan

    from .image_plans import NodeChoice


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "build",
        help="build the wrapper image of every python and stock node (a deployment file: "
        "of every predictor's graph, each image once)",
    )
    p.add_argument("graph", metavar="GRAPH", help="a graph file or a deployment file")
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
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="plan every image and list them with the nodes that run them; build nothing",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("dockerfile", help="print the generated Dockerfile of one node")
    p.add_argument("graph", metavar="GRAPH", help="a graph file or a deployment file")
    p.add_argument(
        "node",
        metavar="NODE",
        help="a node; in a deployment file PREDICTOR/NODE, or NODE alone "
        "when every predictor that has it gives it one image",
    )
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
    from seldon_graphs.wrapper.context import ContextError
    from seldon_graphs.wrapper.images import BuildError, ConsoleProgress, build_images

    from .graphs import load_graph_or_deployment
    from .image_plans import planned_images

    loaded = load_graph_or_deployment(args.graph, Flags.from_args(args))
    try:
        images = planned_images(loaded)
    except ContextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if not images:
        print(f"{args.graph}: no python or stock nodes, nothing to build", file=sys.stderr)
        return EXIT_OK
    for version in sorted({image.plan.seldon_core for image in images}):
        licence_notice(version, sys.stderr)
    if args.dry_run:
        print(f"{len(images)} image(s) to build (dry run: nothing built)")
        for image in images:
            print(f"{','.join(image.users)}\t{image.plan.image}")
        return EXIT_OK
    progress = ConsoleProgress(verbose=args.verbose)
    try:
        results = build_images(
            [image.plan for image in images],
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
    for image, result in zip(images, results, strict=True):
        pinned = f"\t{result.image.rsplit(':', 1)[0]}@{result.digest}" if result.digest else ""
        print(f"{','.join(image.users)}\t{result.image}{pinned}")
    return EXIT_OK


def cmd_dockerfile(args: argparse.Namespace) -> int:
    from .graphs import load_graph_or_deployment
    from .image_plans import node_choices

    choices = node_choices(load_graph_or_deployment(args.graph, Flags.from_args(args)))
    try:
        plan = _one_plan(choices, args.node, args.graph)
    except _Refused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return refused.code
    licence_notice(plan.seldon_core, sys.stderr)
    sys.stdout.write(plan.dockerfile)
    return EXIT_OK


class _Refused(Exception):
    """`dockerfile` cannot print one Dockerfile for the node named: why, and the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _one_plan(choices: list[NodeChoice], ref: str, file: str) -> ContextPlan:
    """The one context `ref` names among `choices`; raises _Refused."""
    from seldon_graphs.wrapper.context import ContextError, builds_image

    from .image_plans import matching, with_images

    names = ", ".join(with_images(choices)) or "none"
    found = matching(choices, ref)
    if not found:
        raise _Refused(f"no node named {ref!r} in {file}; nodes with images: {names}", EXIT_USAGE)
    imaged = [c for c in found if builds_image(c.node)]
    if not imaged:  # a bare NODE may name server nodes in some predictors, images in others
        node = found[0].node
        raise _Refused(
            f"node {node.name} is a {node.source.key} node: it has no wrapper image "
            f"(nodes with images: {names})",
            EXIT_PROBLEMS,
        )
    try:
        plans = {plan.image: plan for plan in (c.plan() for c in imaged)}
    except ContextError as exc:
        raise _Refused(str(exc), EXIT_PROBLEMS) from None
    if len(plans) > 1:
        raise _Refused(
            f"node {ref!r} has {len(plans)} different images in "
            f"{', '.join(c.label for c in imaged)}: name one as PREDICTOR/NODE",
            EXIT_USAGE,
        )
    return next(iter(plans.values()))
