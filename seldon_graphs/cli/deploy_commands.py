"""CLI: `deploy`, `status`, `diff`, `delete`, `secret create`.

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

    p = sub.add_parser("deploy", help="build images, apply to Kubernetes, wait, print the endpoint")
    _cluster_args(p)
    add_flags(p)
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
    p.set_defaults(func=_guarded(cmd_diff))

    p = sub.add_parser("delete", help="delete a deployed graph's SeldonDeployment")
    _cluster_args(p)
    p.set_defaults(func=_guarded(cmd_delete))

    p = sub.add_parser(
        "secret",
        help="create storage-credential secrets for the storage initializer, never printing values",
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
    from .graphs import load_graph

    flags = Flags.from_args(args)
    # graph errors first: they need no cluster
    target = load_target(args.graph, lambda file: load_graph(file, flags))
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
    from ..deploy.flow import DeployOptions, deploy
    from ..deploy.images import build_images_step

    kube, target = _open(args)
    options = DeployOptions(
        wait=args.wait,
        dry_run=args.dry_run == "server",
        build=not args.no_build,
        ingress=args.ingress,
    )
    printer = ProgressPrinter(sys.stderr)
    try:
        endpoint = deploy(kube, target, options, images or build_images_step, _say, printer)
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
    from ..deploy.secrets import RcloneOptions, rclone_form, secret_body

    options = RcloneOptions(args.remote, args.provider, args.keep_aws_keys)
    values = rclone_form(read_values(args), options)
    kube = connect(args.context, args.kubeconfig)
    namespace = args.namespace or kube.conn.namespace
    body = secret_body(args.name, namespace, values)
    dry = args.dry_run == "server"
    kube.server_version()
    keys = ", ".join(sorted(values))
    if not namespace_exists(kube, namespace):
        kube.apply_namespace(namespace, dry_run=dry)
        if dry:  # a namespaced dry run needs the namespace to exist
            print(f"would create namespace {namespace} and secret {args.name} with keys {keys}")
            return EXIT_OK
    kube.apply_secret(body, dry_run=dry)
    verb = "would apply (dry run)" if dry else "applied"
    print(f"{verb} secret {namespace}/{args.name} with keys {keys} (values not shown)")
    return EXIT_OK


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
