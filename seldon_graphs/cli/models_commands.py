"""CLI: `models push GRAPH`, uploading server nodes' models to object storage.

GRAPH may be a deployment file: every predictor's server nodes, each model uploaded once.

Exit codes: 0 every model is at its model_uri, 1 a graph error or a failed upload, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..deploy.errors import DeployError
from ..errors import EXIT_OK, EXIT_PROBLEMS
from .deploy_commands import read_values
from .graphs import load_graph_or_deployment

if TYPE_CHECKING:
    from .image_plans import Loaded


def register(sub: Any) -> None:
    p = sub.add_parser("models", help="upload server nodes' models to their model_uri")
    models_sub = p.add_subparsers(dest="models_command", metavar="ACTION")
    models_sub.required = True
    c = models_sub.add_parser(
        "push", help="upload each local_uri to its model_uri (unchanged objects are skipped)"
    )
    c.add_argument("graph", metavar="GRAPH", help="a graph file or a deployment file")
    source = c.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from-env", metavar="VAR,VAR,...", help="credentials, as for `secret create`"
    )
    source.add_argument("--from-file", metavar="FILE", help="a KEY=VALUE file (dotenv style)")
    c.add_argument(
        "--provider", help="rclone's S3 provider (default: Minio with an endpoint, else AWS)"
    )
    c.set_defaults(func=cmd_models_push)


def cmd_models_push(args: argparse.Namespace) -> int:
    loaded = load_graph_or_deployment(args.graph)
    try:
        pushed = _push_all(loaded, args)
    except DeployError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_PROBLEMS
    for line in pushed:
        print(line)
    return EXIT_OK


def _push_all(loaded: Loaded, args: argparse.Namespace) -> list[str]:
    from ..deploy.initializers import remote_of
    from ..deploy.push import push, rclone_env
    from ..deploy.secrets import RcloneOptions, rclone_form
    from .model_uploads import every_upload

    todo, left = every_upload(loaded)
    for why in left:
        print(f"skipped {why}", file=sys.stderr)
    values = read_values(args)
    done = []
    for upload in todo:
        options = RcloneOptions(remote_of(upload.dest) or "s3", args.provider)
        env = rclone_env(rclone_form(values, options))
        result = push(upload, env, lambda text: print(text, file=sys.stderr))
        what = f"{result.copied} file(s) uploaded" if result.copied else "unchanged"
        done.append(f"{upload.node}: {upload.source} -> {upload.dest} ({what})")
    if not done:
        raise DeployError(
            f"{loaded.spec.name} has no server node with both local_uri and model_uri",
            "give a server node `local_uri: path/in/project` beside its `model_uri`",
        )
    return done
