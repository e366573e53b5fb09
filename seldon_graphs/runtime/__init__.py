"""Run a graph locally with the Go executor's semantics: in-process, as processes, in Docker.

Modules, in the order a request meets them:

    (cli/run_commands.py: `seldon-graphs run` / `predict`: load the graph, pick a runtime)
    server          the executor's HTTP API (server.go): puid, CORS, ingress prefix, /ready,
                    /prometheus, bounded concurrency and body size, graceful drain
    walk            the graph walk (predictor_process.go), one implementation for all runtimes,
                    over a swappable `Transport` (the node call)
    units           the lowered tree as Seldon PredictiveUnits (what the walk reads)
    messages        payload bytes, Seldon status bodies, route extraction, Go's HTML escaping
    metrics         Prometheus metrics under the Go executor's names
    inprocess       nodes as objects in this process, called through seldon_core's handling
    process         nodes as supervised `seldon-core-microservice` processes (+ ports, venvs,
                    workdirs)
    supervision     readiness, liveness probes, restart back-off (process and docker)
    docker          nodes as containers of the wrapper images on a private network
    http_transport  the node call over HTTP (process and docker runtimes)
    nodes           what each node runs: class file, parameters, image label, local model dir
    servers         SKLEARN/XGBOOST/MLFLOW servers as plain Seldon classes, for local runs

Public names (imported lazily: `seldon-graphs --help` must not import seldon_core):
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "InProcessGraph": "inprocess",
    "InProcessBackend": "inprocess",
    "ProcessBackend": "process",
    "DockerBackend": "docker",
    "GraphServer": "server",
    "ServerOptions": "server",
    "ServerThread": "server",
    "Executor": "walk",
    "ExecutorError": "walk",
    "NodeFailed": "walk",
    "TransportFailure": "walk",
    "NodeSetupError": "nodes",
    "NodeStartError": "process",
}

__all__ = sorted(_EXPORTS)
__doc__ = (__doc__ or "") + "\n    " + ", ".join(__all__) + "\n"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
