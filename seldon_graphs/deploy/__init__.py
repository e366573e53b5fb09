"""Take a compiled graph to a serving endpoint on Kubernetes, and say why when it cannot.

Modules, in the order `deploy` uses them:

    target.py     the graph file (compiled by seldon_graphs.api) or a SeldonDeployment file
    kube.py       kubeconfig + a thin adapter over the official `kubernetes` client
    errors.py     the exception tree; translate.py turns client errors into it
    preflight.py  cheap checks before any slow step: reachable, Seldon installed, RBAC, secrets
    images.py     the real image step (build, then kind load or push), injected into flow
    flow.py       preflight -> images -> namespace -> server-side apply -> wait -> endpoint
    locate.py     422 / webhook field errors mapped back to the graph file's lines
    wait.py       poll until status.state == Available; diagnose.py says why not
    endpoint.py   the predictor Service, a port-forward or ingress URL, and a curl
    status.py     `status`; diff.py `diff`; secrets.py `secret create`; the CLI is cli/*_commands.py
    initializers.py  the storage initializer the operator runs, and the secret keys it reads
    push.py       `models push` (cli/models_commands.py): rclone uploads of local_uri to model_uri
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use: the CLI imports `cli.deploy_commands` for every command, and the
# kubernetes client costs half a second to import.
if TYPE_CHECKING:
    from .endpoint import Endpoint, endpoint_of
    from .errors import (
        AuthError,
        ConfigError,
        DeployError,
        ForbiddenError,
        OperatorMissingError,
        RejectedError,
        RolloutError,
        UnreachableError,
        WaitTimeout,
    )
    from .flow import DeployOptions, ImageStep, ImageTarget, deploy
    from .kube import FIELD_MANAGER, Kube, connect
    from .target import Target, load_target
    from .wait import wait_available

_HOME = {
    "Endpoint": "endpoint",
    "endpoint_of": "endpoint",
    "AuthError": "errors",
    "ConfigError": "errors",
    "DeployError": "errors",
    "ForbiddenError": "errors",
    "OperatorMissingError": "errors",
    "RejectedError": "errors",
    "RolloutError": "errors",
    "UnreachableError": "errors",
    "WaitTimeout": "errors",
    "DeployOptions": "flow",
    "ImageStep": "flow",
    "ImageTarget": "flow",
    "deploy": "flow",
    "FIELD_MANAGER": "kube",
    "Kube": "kube",
    "connect": "kube",
    "Target": "target",
    "load_target": "target",
    "wait_available": "wait",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)


__all__ = [
    "FIELD_MANAGER",
    "AuthError",
    "ConfigError",
    "DeployError",
    "DeployOptions",
    "Endpoint",
    "ForbiddenError",
    "ImageStep",
    "ImageTarget",
    "Kube",
    "OperatorMissingError",
    "RejectedError",
    "RolloutError",
    "Target",
    "UnreachableError",
    "WaitTimeout",
    "connect",
    "deploy",
    "endpoint_of",
    "load_target",
    "wait_available",
]
