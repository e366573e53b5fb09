"""CLI: `deploy`, `status`, `diff`, `delete`, `secret create` (storage or `--docker-registry`).

Exit codes: 0 ok (for `status`: Available; for `diff`: no differences), 1 problems
(a graph error, a cluster error, not Available, differences), 2 usage, 3 internal.
Errors are printed as sentences with a `help:` line, never as tracebacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from ..deploy.errors import DeployError  # light: no kubernetes import until a command runs
from ..wrapper.findings import ContextError

if TYPE_CHECKING:
    from ..deploy.flow import ImageStep
    from ..deploy.kube import Kube
    from ..deploy.target import Target
    from ..deploy.wait import Progress

from ..errors import EXIT_OK, EXIT_PROBLEMS

Command = Callable[[argparse.Namespace], int]


def register(sub: Any) -> None:
    from seldon_graphs.settings import add_flags

    from .build_commands import registry_auth_arg

    p = sub.add_parser("deploy", help="build images, apply to Kubernetes, wait, print the endpoint")
    _cluster_args(p)
    add_flags(p)
    registry_auth_arg(p)
    p.add_argument(
        "--wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="wait this long for state Available (0: do not wait; default 300)",
    )
    p.add_argument(
        "--dry-run",
        choices=["server"],
        default=None,
        help="--dry-run=server: ask the API server and Seldon's webhook, change nothing",
    )
    p.add_argument(
        "--no-build",
        action="store_true",
        help="do not build/load/push images (they are already where the cluster pulls)",
    )
    p.set_defaults(func=_guarded(cmd_deploy))

    p = sub.add_parser("status", help="state, per-node readiness and endpoint of a deployed graph")
    _cluster_args(p)
    p.set_defaults(func=_guarded(cmd_status))

    p = sub.add_parser("diff", help="the live SeldonDeployment against what deploy would apply")
    _cluster_args(p)
    add_flags(p)
    registry_auth_arg(p)
    p.set_defaults(func=_guarded(cmd_diff))

    p = sub.add_parser(
        "promote",
        help="move a deployment's traffic to a canary predictor in steps, waiting for "
        "Available at each, rolling back on failure",
    )
    _cluster_args(p)
    p.add_argument("canary", metavar="CANARY", help="the predictor to move traffic to")
    p.add_argument(
        "--steps",
        type=steps,
        default=(10, 50, 100),
        metavar="PERCENT,...",
        help="the canary's traffic at each step (default: 10,50,100)",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="wait this long for Available at each step (default 300)",
    )
    p.set_defaults(func=_guarded(cmd_promote))

    p = sub.add_parser("delete", help="delete a deployed graph's SeldonDeployment")
    _cluster_args(p)
    p.set_defaults(func=_guarded(cmd_delete))

    p = sub.add_parser(
        "secret",
        help="create storage-credential and image pull secrets, never printing values",
    )
    secret_sub = p.add_subparsers(dest="secret_command", metavar="ACTION")
    secret_sub.required = True
    c = secret_sub.add_parser("create", help="create or update a Secret (server-side apply)")
    c.add_argument("name", metavar="NAME")
    source = c.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from-env",
        metavar="VAR,VAR,...",
        help="comma-separated environment variables; keys are their names",
    )
    source.add_argument("--from-file", metavar="FILE", help="a KEY=VALUE file (dotenv style)")
    source.add_argument(
        "--docker-registry",
        metavar="REGISTRY",
        help="an image pull secret (kubernetes.io/dockerconfigjson) for REGISTRY, from the "
        "credentials `docker login` stored (or --registry-auth-file)",
    )
    registry_auth_arg(c)
    rclone_args(c)
    c.add_argument(
        "--keep-aws-keys",
        action="store_true",
        help="also keep the AWS_* keys (for a kfserving-style storage initializer)",
    )
    c.add_argument("--namespace", "-n", help="default: the context's namespace")
    c.add_argument("--context", help="kubeconfig context (default: the current one)")
    c.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    c.add_argument("--dry-run", choices=["server"], default=None)
    c.set_defaults(func=_guarded(cmd_secret_create))


def rclone_args(p: argparse.ArgumentParser) -> None:
    """How AWS_* input becomes RCLONE_CONFIG_* keys (`models push` uses each URI's scheme)."""
    p.add_argument(
        "--remote",
        default="s3",
        help="the model URIs' scheme, which names rclone's remote (default: s3)",
    )
    p.add_argument(
        "--provider",
        help="rclone's S3 provider (default: Minio with an endpoint, else AWS)",
    )


def steps(text: str) -> tuple[int, ...]:
    """--steps 10,50,100: whole percentages from 0 to 100, each above the one before."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 10,50,100") from None
    if any(not 0 <= v <= 100 for v in values):
        raise argparse.ArgumentTypeError(f"{text}: each step is a percentage from 0 to 100")
    if list(values) != sorted(set(values)):
        raise argparse.ArgumentTypeError(f"{text}: each step must be above the one before")
    return values


def _cluster_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("graph", metavar="GRAPH", help="a graph file (or a SeldonDeployment file)")
    p.add_argument("--context", help="kubeconfig context (default: the current one)")
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--namespace", "-n", help="default: the graph's namespace, else the context's")
    p.add_argument(
        "--ingress",
        metavar="URL",
        help="ingress gateway base URL (e.g. http://localhost:8080) for the curl "
        "printed; default: a kubectl port-forward",
    )


def _guarded(command: Command) -> Command:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except DeployError as err:
            print(err.render(), file=sys.stderr)
            return EXIT_PROBLEMS
        except ContextError as err:  # a project file changed while its context was planned
            print(f"seldon-graphs: error: {err}; nothing was deployed", file=sys.stderr)
            return EXIT_PROBLEMS

    run.__doc__ = command.__doc__
    return run


def _open(args: argparse.Namespace) -> tuple[Kube, Target]:
    from seldon_graphs.settings import Flags

    from ..deploy.kube import connect
    from ..deploy.target import load_target
    from .graphs import load_graph_or_deployment

    flags = Flags.from_args(args)
    # graph errors first: they need no cluster
    target = load_target(args.graph, lambda file: load_graph_or_deployment(file, flags))
    kube = connect(args.context, args.kubeconfig)
    return kube, target.placed(args.namespace, kube.conn.namespace)


def _open_installed(args: argparse.Namespace) -> tuple[Kube, Target]:
    """`_open`, then make sure a 404 will mean "not deployed", not "no Seldon here"."""
    from ..deploy.errors import OperatorMissingError
    from ..deploy.kube import GROUP, VERSION

    kube, target = _open(args)
    kube.server_version()
    if not kube.serves(GROUP, VERSION):
        raise OperatorMissingError()
    return kube, target


# --- commands ---------------------------------------------------------------------------------


def cmd_deploy(args: argparse.Namespace, images: ImageStep | None = None) -> int:
    from functools import partial

    from ..deploy.flow import DeployOptions, deploy
    from ..deploy.images import build_images_step

    kube, target = _open(args)
    # getattr: programmatic callers may pass a Namespace without the image flags
    registry, auth_file = getattr(args, "registry", None), getattr(args, "registry_auth_file", None)
    step = partial(build_images_step, registry=registry, auth_file=auth_file)
    options = DeployOptions(
        wait=args.wait,
        dry_run=args.dry_run == "server",
        build=not args.no_build,
        ingress=args.ingress,
    )
    printer = ProgressPrinter(sys.stderr)
    try:
        endpoint = deploy(kube, target, options, images or step, _say, printer)
    finally:
        printer.close()
    if endpoint is not None:
        print(endpoint.render())
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from ..deploy.status import read_status

    kube, target = _open_installed(args)
    sdep = kube.get_sdep(target.namespace, target.name)
    if sdep is None:
        print(f"{target.namespace}/{target.name} is not deployed (context {kube.conn.context})")
        return EXIT_PROBLEMS
    status = read_status(kube, sdep, args.ingress)
    print(status.render())
    return EXIT_OK if status.available else EXIT_PROBLEMS


def cmd_diff(args: argparse.Namespace) -> int:
    from ..deploy.diff import diff_text, live_and_wanted
    from ..deploy.errors import RejectedError
    from ..deploy.locate import render_rejection

    kube, target = _open_installed(args)
    target = _pinned_like_live(kube, target, getattr(args, "registry_auth_file", None))
    try:
        live, wanted = live_and_wanted(kube, target)
    except RejectedError as err:
        raise DeployError(
            "the cluster would reject the compiled graph:\n" + render_rejection(err, target)
        ) from None
    if live is None:
        print(f"{target.namespace}/{target.name} is not deployed; deploy would create:")
    text = diff_text(live, wanted, f"{target.namespace}/{target.name}")
    if not text:
        print(f"{target.namespace}/{target.name}: no differences")
        return EXIT_OK
    print(text, end="")
    return EXIT_PROBLEMS


def cmd_promote(args: argparse.Namespace) -> int:
    from ..deploy.promote import PromoteOptions, promote

    kube, target = _open_installed(args)
    # Deployed with images pinned by digest: promote applies the same pins, changing traffic only.
    target = _pinned_like_live(kube, target, getattr(args, "registry_auth_file", None))
    printer = ProgressPrinter(sys.stderr)
    try:
        final = promote(
            kube, target, args.canary, PromoteOptions(args.steps, args.wait), _say, printer
        )
    finally:
        printer.close()
    shown = ", ".join(f"{name} {share}%" for name, share in final.items())
    print(f"{target.namespace}/{target.name}: traffic {shown}")
    print(f"  the deployment file still says the old traffic: write {shown} into {target.file}")
    return EXIT_OK


def _pinned_like_live(kube: Kube, target: Target, auth_file: str | None) -> Target:
    """A live object deployed with pinned images is compared with the digests the registry
    holds for the compiled tags: the same code shows no change, new code a new digest (or,
    not pushed yet, its tag)."""
    from ..deploy.images import is_pinned, pin, registry_digests
    from ..deploy.target import Target

    if not is_pinned(kube.get_sdep(target.namespace, target.name)):
        return target
    digests = registry_digests(target, auth_file)
    return Target(target.file, pin(target.manifest, digests), target.graph)


def cmd_delete(args: argparse.Namespace) -> int:
    from ..deploy.wait import wait_gone

    kube, target = _open_installed(args)
    if kube.delete_sdep(target.namespace, target.name):
        wait_gone(kube, target.namespace, target.name)
        print(f"deleted SeldonDeployment {target.namespace}/{target.name}")
    else:
        print(f"{target.namespace}/{target.name} was not deployed; nothing to delete")
    return EXIT_OK


def cmd_secret_create(args: argparse.Namespace) -> int:
    from ..deploy.kube import connect
    from ..deploy.preflight import namespace_exists
    from ..deploy.secrets import DOCKER_CONFIG_TYPE, RcloneOptions, rclone_form, secret_body

    if args.docker_registry:
        values, kind = _pull_secret_values(args), DOCKER_CONFIG_TYPE
    else:
        options = RcloneOptions(args.remote, args.provider, args.keep_aws_keys)
        values, kind = rclone_form(read_values(args), options), "Opaque"
    kube = connect(args.context, args.kubeconfig)
    namespace = args.namespace or kube.conn.namespace
    body = secret_body(args.name, namespace, values, kind)
    dry = args.dry_run == "server"
    kube.server_version()
    keys = ", ".join(sorted(values)) + (f" ({kind})" if kind != "Opaque" else "")
    if not namespace_exists(kube, namespace):
        kube.apply_namespace(namespace, dry_run=dry)
        if dry:  # a namespaced dry run needs the namespace to exist
            print(f"would create namespace {namespace} and secret {args.name} with keys {keys}")
            return EXIT_OK
    kube.apply_secret(body, dry_run=dry)
    verb = "would apply (dry run)" if dry else "applied"
    print(f"{verb} secret {namespace}/{args.name} with keys {keys} (values not shown)")
    return EXIT_OK


def _pull_secret_values(args: argparse.Namespace) -> dict[str, str]:
    from ..deploy.secrets import registry_values

    return registry_values(args.docker_registry, args.registry_auth_file)


def read_values(args: argparse.Namespace) -> dict[str, str]:
    """KEY=VALUE pairs from `--from-env` or `--from-file` (shared with `models push`)."""
    from ..deploy.secrets import from_env, from_file

    return dict(from_env(args.from_env.split(",")) if args.from_env else from_file(args.from_file))


def _say(text: str) -> None:
    print(text, file=sys.stderr)


class ProgressPrinter:
    """One updating line on a terminal; one line per change elsewhere (CI logs)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = ""
        self.open = False

    def __call__(self, progress: Progress) -> None:
        line = progress.render()
        if self.tty:
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
            self.open = True
            return
        key = line.split("] ", 1)[-1]
        if key != self.last:
            self.stream.write(line + "\n")
            self.last = key

    def close(self) -> None:
        if self.open:
            self.stream.write("\n")
            self.open = False
