"""Fixtures for the tests against the real control plane (scripts/controlplane-up.sh).

The tests run when the plane is up (its kubeconfig answers) and skip, saying how to bring it
up, when it is not: `make controlplane-up` then `make test-controlplane`. Under CI=true, where
.ci/run starts it, a plane that is down fails them instead (tests/helpers.py `missing`). Each test
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
from kubernetes import client

from seldon_graphs.cli import main
from seldon_graphs.deploy import DeployError, connect
from tests.deploy.conftest import quiet_client_warnings
from tests.helpers import missing

RUN = Path(os.environ.get("CONTROLPLANE_RUN", "/tmp/seldon-graphs-controlplane"))
KUBECONFIG = RUN / "kubeconfig"
ADMIN, LIMITED = "controlplane", "controlplane-limited"
HOME = Path(
    os.environ.get("CONTROLPLANE_HOME")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "seldon-graphs"
    / "controlplane"
)
ROOT_BIN = HOME / "bin"
COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def binaries_missing() -> str | None:
    """Why scripts/controlplane-up.sh cannot start a plane here, or None."""
    absent = [c for c in COMPONENTS if not (ROOT_BIN / c).is_file()]
    if absent:
        return f"control-plane binaries missing in {ROOT_BIN}: {absent}; run `make controlplane`"
    return None


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
        connect(ADMIN, str(KUBECONFIG)).server_version()
    except DeployError as err:
        return f"the control plane in {KUBECONFIG} does not answer ({err.message})"
    return None


@pytest.fixture(scope="session")
def plane() -> client.ApiClient:
    """An admin client for the running control plane, or a skip saying how to start it."""
    why = _why_down()
    if why is not None:
        # .ci/run starts the plane, so under CI=true its absence fails instead of skipping.
        missing(f"{why}: run `make controlplane-up` first (docs/deploy.md)")
    # deploy's own connect: it also works around kubernetes 36.0.0 not sending kubeconfig tokens
    return connect(ADMIN, str(KUBECONFIG)).api


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    quiet_client_warnings(items, Path(__file__).parent)


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
