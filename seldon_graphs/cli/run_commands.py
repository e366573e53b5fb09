"""Runtime subcommands: `run` (the graph behind the executor's HTTP API) and `predict` (one
request, no server). Exit codes: 0 ok, 1 problems (graph, node setup, failed request),
2 usage, 3 internal error."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..runtime.errors import RuntimeProblem
from ..runtime.messages import JSON, Payload
from ..runtime.nodes import routing_injection
from ..runtime.walk import PUID_HEADER, ExecutorError

if TYPE_CHECKING:  # the server (aiohttp) is imported only when a command runs
    from collections.abc import Callable

    from ..runtime.server import Backend, GraphServer, ServingT
    from ..spec import GraphSpec
    from ..tree import TreeNode

from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from ..runtime.messages import EXAMPLE

DEFAULT_GRAPH = "graphs/iris.yaml"
RUNTIMES = ("inprocess", "process", "docker")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run a graph locally behind Seldon's executor API (a deployment file: one "
        "executor per predictor behind a local ingress)",
    )
    p.add_argument("graph", metavar="GRAPH", nargs="?", default=DEFAULT_GRAPH)
    _runtime_flags(p, default="process")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    p.add_argument("--port", type=port, default=8000, help="executor port (default: 8000)")
    p.add_argument(
        "--max-concurrency", type=positive, default=128, help="requests in flight (default: 128)"
    )
    p.add_argument("--verbose", action="store_true", help="echo every node's log lines")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="a deployment file's traffic split: the seed of its draws (default: 0)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("predict", help="send one request through a graph; print the answer")
    p.add_argument("graph", metavar="GRAPH")
    p.add_argument(
        "--data",
        required=True,
        help="a SeldonMessage as JSON, a bare array (sent as data.ndarray), or @FILE",
    )
    p.add_argument("--feedback", action="store_true", help="send it as feedback instead")
    _runtime_flags(p, default="inprocess")
    p.set_defaults(func=cmd_predict)


def _runtime_flags(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument("--runtime", choices=RUNTIMES, default=default, help=f"(default: {default})")
    p.add_argument(
        "--model-uri",
        action="append",
        default=[],
        metavar="NODE=PATH",
        help="serve a server node's model from a local folder (overrides local_uri)",
    )


def port(text: str) -> int:
    value = _integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (0-65535; 0 picks a free one)")
    return value


def positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def model_uris(pairs: list[str], spec: GraphSpec) -> dict[str, str]:
    """--model-uri NODE=PATH pairs; each NODE must be a server node of `spec`."""
    out = uri_pairs(pairs)
    _check_model_nodes(spec, out)
    return out


def uri_pairs(pairs: list[str]) -> dict[str, str]:
    """--model-uri NODE=PATH pairs as given, not yet checked against a graph."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise SystemExit(_usage(f"--model-uri expects NODE=PATH, got {pair!r}"))
        out[name] = path
    return out


def _check_model_nodes(spec: GraphSpec, uris: dict[str, str]) -> None:
    servers = sorted(n.name for n in spec.nodes if n.server is not None)
    for name in uris:
        if name not in servers:
            raise SystemExit(
                _usage(
                    f"--model-uri {name}=...: `{name}` is not a server node of graph "
                    f"`{spec.name}` (server nodes: {', '.join(servers) or 'none'})"
                )
            )


def _usage(message: str) -> int:
    print(f"seldon-graphs: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def request_body(data: str) -> bytes:
    """--data: JSON text or @file; a bare array becomes {"data": {"ndarray": ...}}."""
    text = _data_file(data[1:]) if data.startswith("@") else data
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise SystemExit(_usage(f"--data is not JSON: {exc}")) from exc
    if isinstance(value, list):
        value = {"data": {"ndarray": value}}
    return json.dumps(value).encode()


def _data_file(name: str) -> str:
    if not name:
        raise SystemExit(_usage("--data @FILE needs a file name after the @"))
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SystemExit(
            _usage(f"--data @{name}: not UTF-8 text (byte {exc.start}); JSON is UTF-8")
        ) from None
    except OSError as exc:
        raise SystemExit(_usage(f"--data @{name}: cannot read it: {exc.strerror or exc}")) from None


def backend(
    args: argparse.Namespace,
    spec: GraphSpec,
    tree: TreeNode,
    uris: dict[str, str] | None = None,
) -> Backend:
    uris = model_uris(args.model_uri, spec) if uris is None else uris
    inject = routing_injection()
    if args.runtime == "inprocess":
        from ..runtime.inprocess import InProcessBackend

        return InProcessBackend(spec, tree, model_uris=uris, routing_injection=inject)
    if args.runtime == "docker":
        from ..runtime.docker import DockerBackend

        return DockerBackend(spec, tree, uris, routing_injection=inject)
    from ..runtime.process import ProcessBackend

    echo = sys.stderr if getattr(args, "verbose", False) else None
    return ProcessBackend(spec, tree, uris, echo=echo, routing_injection=inject)


def cmd_run(args: argparse.Namespace) -> int:
    from ..deployment import Deployment
    from .graphs import load_graph_or_deployment

    graph = load_graph_or_deployment(args.graph)
    if isinstance(graph, Deployment):
        from .run_deployment_commands import run_deployment

        return run_deployment(args, graph)
    from ..runtime.page import Page
    from ..runtime.server import GraphServer, ServerOptions

    spec, tree = graph.spec, graph.tree
    options = ServerOptions(
        host=args.host,
        port=args.port,
        namespace=spec.namespace or "default",
        name=spec.name,
        max_concurrency=args.max_concurrency,
    )
    return serve(
        lambda: GraphServer(backend(args, spec, tree), options, Page.of(spec, tree)),
        _announce,
        args.host,
    )


def serve(make: Callable[[], ServingT], announce: Callable[[ServingT], None], host: str) -> int:
    """Run what `make` builds until a stop signal; its problems as messages and exit codes."""
    from ..runtime.loops import run
    from ..runtime.server import serve_forever

    try:
        run(lambda: serve_forever(make(), announce))
    except socket.gaierror as exc:
        return _usage(f"--host {host}: {exc.strerror}")
    except (RuntimeProblem, OSError) as exc:
        print(f"seldon-graphs: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _announce(server: GraphServer) -> None:
    url = server.url
    prefix = f"/seldon/{server.options.namespace}/{server.options.name}"
    print(
        f"seldon-graphs: graph {server.options.name!r} is up on {url} "
        f"(also under {prefix}/). Try:\n\n"
        f"  curl -s {url}/api/v1.0/predictions -H 'Content-Type: application/json' \\\n"
        f"       -d '{EXAMPLE}'\n\n"
        f"Page: {url}/   Metadata: {url}/api/v1.0/metadata   Metrics: {url}/prometheus   "
        "Ctrl-C stops the graph.",
        flush=True,
    )


def cmd_predict(args: argparse.Namespace) -> int:
    from ..deployment import is_deployment_file
    from .graphs import load_graph

    if is_deployment_file(args.graph):
        return _usage(
            f"{args.graph} is a deployment file; `predict` sends a request through one graph: "
            "give it a predictor's graph file, or `run` the deployment"
        )
    body = request_body(args.data)
    graph = load_graph(args.graph)
    try:
        answer = asyncio.run(
            _one_request(backend(args, graph.spec, graph.tree), body, args.feedback)
        )
    except ExecutorError as exc:
        print(f"seldon-graphs: the graph answered {exc.status}:", file=sys.stderr)
        print(exc.body.decode("utf-8", "replace"), file=sys.stderr)
        return EXIT_PROBLEMS
    except RuntimeProblem as exc:
        print(f"seldon-graphs: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    sys.stdout.write(answer.body.decode("utf-8", "replace").rstrip("\n") + "\n")
    return EXIT_OK


async def _one_request(runtime: Backend, body: bytes, feedback: bool) -> Payload:
    import uuid

    headers = {PUID_HEADER: str(uuid.uuid4())}
    try:
        await runtime.start()
        operation = runtime.executor.feedback if feedback else runtime.executor.predict
        return await operation(Payload(body, JSON), headers)
    finally:
        await runtime.close()
