"""Fixtures: real registries (Debian's docker-registry on 127.0.0.1, one open, one with
htpasswd basic auth), a Docker config holding the login for the second, and the engine."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.wrapper.images import docker_client
from tests.deploy.conftest import quiet_client_warnings
from tests.deploy.fakeapi import FakeApiServer, FakeCluster
from tests.deploy.test_commands import cli
from tests.helpers import missing

from .servers import Registry, registry
from .token_issuer import TokenIssuer

__all__ = ["BASE", "USER", "cli", "docker_config"]

USER = "ci-pusher"
BASE = os.environ.get("SELDON_GRAPHS_TEST_BASE", "seldon-graphs/base:bookworm")


@pytest.fixture(scope="session")
def password() -> str:
    """A fresh password per run, so finding it anywhere in output can only be a leak."""
    return "pw-" + secrets.token_hex(12)


@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with registry(tmp_path_factory.mktemp("registry-open")) as served:
        yield served


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory, password: str) -> Iterator[Registry]:
    with registry(tmp_path_factory.mktemp("registry-auth"), (USER, password)) as served:
        yield served


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory, password: str) -> Iterator[Registry]:
    """A registry in `auth: token` mode (as Docker Hub and GHCR): Bearer challenges, tokens
    from TokenIssuer for USER with `password`."""
    folder = tmp_path_factory.mktemp("registry-token")
    issuer = TokenIssuer(folder, USER, password)
    try:
        with registry(folder / "registry", auth_config=issuer.config()) as served:
            yield served
    finally:
        issuer.close()


def docker_config(folder: Path, host: str, user: str, password: str) -> Path:
    """What `docker login HOST` writes: auths.HOST.auth = base64(user:password)."""
    folder.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    path = folder / "config.json"
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path


@pytest.fixture
def logged_in(
    tmp_path: Path, auth_registry: Registry, password: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """DOCKER_CONFIG pointing at a config with the login for `auth_registry`."""
    path = docker_config(tmp_path / "docker", auth_registry.host, USER, password)
    monkeypatch.setenv("DOCKER_CONFIG", str(path.parent))
    return path


@pytest.fixture(scope="session")
def engine() -> Any:
    try:
        return docker_client()
    except Exception as exc:
        missing(f"no Docker engine: {exc}")


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    """The fake API server of tests/deploy (a real HTTP server for the real client)."""
    with FakeApiServer() as fake:
        yield fake


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    quiet_client_warnings(items, Path(__file__).parent)
