"""Fixtures for the tests against the real control plane (scripts/controlplane-up.sh).

The tests run when the plane is up (its kubeconfig answers /readyz) and skip, saying how to
bring it up, when it is not: `make controlplane-up` then `make test-controlplane`. Each test
works in a namespace of its own and deletes it afterwards.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from seldon_graphs.cli import main

RUN = Path(os.environ.get("CONTROLPLANE_RUN", "/tmp/seldon-graphs-controlplane"))
KUBECONFIG = RUN / "kubeconfig"
ADMIN, LIMITED = "controlplane", "controlplane-limited"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def cli(*argv: str) -> Result:
    """Run the real CLI in-process, capturing what a user would see."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return Result(code, out.getvalue(), err.getvalue())


def _why_down() -> str | None:
    if not KUBECONFIG.is_file():
        return f"no control plane: {KUBECONFIG} is missing"
    try:
        api = config.new_client_from_config(str(KUBECONFIG), context=ADMIN)
        api.call_api("/readyz", "GET", _preload_content=False, _request_timeout=5)
    except Exception as exc:  # any failure means "not up"; the reason is shown in the skip
        return f"the control plane in {KUBECONFIG} does not answer ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def plane() -> client.ApiClient:
    """An admin client for the running control plane, or a skip saying how to start it."""
    why = _why_down()
    if why is not None:
        pytest.skip(f"{why}: run `make controlplane-up` first (docs/deploy.md)")
    return config.new_client_from_config(str(KUBECONFIG), context=ADMIN)


@pytest.fixture
def namespace(plane: client.ApiClient) -> Iterator[str]:
    """A fresh namespace name (not created: deploy creates it), deleted afterwards."""
    name = f"cp-{uuid.uuid4().hex[:10]}"
    yield name
    core = client.CoreV1Api(plane)
    try:
        core.delete_namespace(name, _request_timeout=10)
    except client.ApiException as exc:
        if exc.status not in (404, 409):  # gone, or already being deleted
            raise


def kube_args(context: str = ADMIN) -> list[str]:
    return ["--kubeconfig", str(KUBECONFIG), "--context", context]


def get_sdep(plane: client.ApiClient, namespace: str, name: str) -> dict[str, Any] | None:
    api = client.CustomObjectsApi(plane)
    try:
        found = api.get_namespaced_custom_object(
            "machinelearning.seldon.io", "v1", namespace, "seldondeployments", name
        )
    except client.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return dict(found)
