"""`seldon-graphs run DEPLOYMENT_FILE`: one local executor per predictor behind the ingress
(runtime.ingress), on the runtime the command line chose."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace

from ..deployment import Deployment
from ..deployment.model import DeploymentSpec, PredictorSpec
from ..runtime.ingress import PREDICTOR_HEADER, Ingress, IngressOptions, Predictor
from ..runtime.messages import EXAMPLE
from ..runtime.server import Backend, GraphServer, ServerOptions
from ..spec import GraphSpec
from ..tree import TreeNode
from .run_commands import _usage, backend, serve, uri_pairs

MakeBackend = Callable[[GraphSpec, TreeNode], Backend]


def placed(spec: GraphSpec, dep: DeploymentSpec, predictor: PredictorSpec) -> GraphSpec:
    """A predictor's graph as the cluster places it: its executor's PREDICTOR_ID and metrics
    carry the predictor's name. The graph keeps its own name, which names its images, so
    `meta.requestPath` and the docker runtime's images are the cluster's."""
    return replace(spec, namespace=dep.namespace, predictor=predictor.name)


def ingress_for(
    dep: Deployment, make: MakeBackend, options: IngressOptions, max_concurrency: int = 128
) -> Ingress:
    predictors = []
    for p, graph in dep.predictors:
        spec = placed(graph.spec, dep.spec, p)
        server_options = ServerOptions(
            host="127.0.0.1",
            port=0,
            namespace=options.namespace,
            name=options.name,
            max_concurrency=max_concurrency,
        )
        server = GraphServer(make(spec, graph.tree), server_options)
        share = 0 if p.shadow else 100 if p.traffic is None else p.traffic
        predictors.append(Predictor(p.name, server, share, p.shadow))
    return Ingress(predictors, options)


def run_deployment(args: argparse.Namespace, dep: Deployment) -> int:
    """Serve the checked deployment `dep` (the command line's loader read args.graph)."""
    uris = _uris(uri_pairs(args.model_uri), dep)
    options = IngressOptions(
        host=args.host,
        port=args.port,
        namespace=dep.spec.namespace or "default",
        name=dep.spec.name,
        seed=args.seed,
    )

    def make(spec: GraphSpec, tree: TreeNode) -> Backend:
        return backend(args, spec, tree, uris[spec.predictor])

    return serve(
        lambda: ingress_for(dep, make, options, args.max_concurrency), _announce, args.host
    )


def _uris(wanted: dict[str, str], dep: Deployment) -> dict[str, dict[str, str]]:
    """--model-uri NODE=PATH for every predictor whose graph has server node NODE."""
    out: dict[str, dict[str, str]] = {}
    used: set[str] = set()
    for p, graph in dep.predictors:
        servers = {n.name for n in graph.spec.nodes if n.server is not None}
        out[p.name] = {name: path for name, path in wanted.items() if name in servers}
        used |= set(out[p.name])
    for name in wanted.keys() - used:
        raise SystemExit(
            _usage(f"--model-uri {name}=...: no predictor's graph has a server node `{name}`")
        )
    return out


def _announce(ingress: Ingress) -> None:
    url = ingress.url
    shares = ", ".join(
        f"{p.name} {'shadow' if p.shadow else f'{p.traffic}%'} at {p.server.url}"
        for p in ingress.predictors.values()
    )
    print(
        f"seldon-graphs: deployment {ingress.options.name!r} is up on {url} "
        f"(seed {ingress.options.seed}: {shares}). Try:\n\n"
        f"  curl -s {url}/api/v1.0/predictions -H 'Content-Type: application/json' \\\n"
        f"       -d '{EXAMPLE}'\n\n"
        f"Add -H '{PREDICTOR_HEADER}: NAME' to pin a predictor. Ingress metrics: "
        f"{url}/prometheus   Ctrl-C stops every predictor.",
        flush=True,
    )
