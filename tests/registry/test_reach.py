"""The check before any build, against real registries on 127.0.0.1: open, basic auth with
the right and a wrong password, none at all, nothing listening, and plain HTTP where the
engine would talk HTTPS."""

from __future__ import annotations

from pathlib import Path

import pytest

from seldon_graphs.registry import Credentials, RegistryError, engine_insecure, open_registry
from seldon_graphs.registry.v2 import parse_challenge, unreachable

from .conftest import USER, docker_config
from .servers import Registry, free_port

# The Docker engine's defaults, as `docker info` reports them (127.0.0.0/8 is insecure).
ENGINE = {"IndexConfigs": {"docker.io": {"Secure": True}}, "InsecureRegistryCIDRs": ["127.0.0.0/8"]}


def test_an_open_registry_is_reached_over_plain_http(plain_registry: Registry) -> None:
    access = open_registry_at(f"{plain_registry.host}/team", None)
    assert (access.host, access.scheme, access.credentials) == (plain_registry.host, "http", None)
    assert access.manifest_digest("team/nothing-here", "v1") is None


def open_registry_at(prefix: str, auth_file: Path | None) -> object:
    return open_registry(prefix, auth_file, ENGINE, environ={"DOCKER_CONFIG": "/nonexistent"})


def test_the_right_password_lets_us_in(
    auth_registry: Registry, password: str, tmp_path: Path
) -> None:
    config = docker_config(tmp_path, auth_registry.host, USER, password)
    access = open_registry(f"{auth_registry.host}/team", config, ENGINE)
    assert access.scheme == "http"
    assert access.credentials is not None and access.credentials.source == str(config)
    assert access.manifest_digest("team/nothing-here", "v1") is None


def test_a_wrong_password_is_named_with_the_registry_and_the_fix(
    auth_registry: Registry, password: str, tmp_path: Path
) -> None:
    config = docker_config(tmp_path, auth_registry.host, USER, "not-" + password)
    with pytest.raises(RegistryError) as failure:
        open_registry(f"{auth_registry.host}/team", config, ENGINE)
    assert failure.value.render() == (
        f"error: registry {auth_registry.host} refused the credentials from {config} (wrong "
        "user name or password, or no access)\n"
        f"help: log in again (`docker login {auth_registry.host}`) or fix --registry-auth-file"
    )
    assert password not in failure.value.render()


def test_no_credentials_for_a_registry_that_needs_them(auth_registry: Registry) -> None:
    with pytest.raises(RegistryError) as failure:
        open_registry(f"{auth_registry.host}/team", None, ENGINE, {"DOCKER_CONFIG": "/nonexistent"})
    assert failure.value.render() == (
        f"error: registry {auth_registry.host} needs credentials, and none are configured for it\n"
        f"help: log in with `docker login {auth_registry.host}` (it writes "
        "~/.docker/config.json), or pass --registry-auth-file FILE (same format)"
    )


def test_nothing_listening_is_unreachable(tmp_path: Path) -> None:
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(RegistryError) as failure:
        open_registry(f"{host}/team", None, ENGINE, {"DOCKER_CONFIG": str(tmp_path)})
    assert failure.value.message == f"no registry answers at {host}: connection refused"
    assert failure.value.hint.startswith("start it, or check the registry setting (--registry")


def test_plain_http_where_the_engine_talks_https_says_how_to_fix_it(
    plain_registry: Registry, tmp_path: Path
) -> None:
    """The engine's view is the one input given here: a real engine treats all of 127/8 as
    insecure, and these tests may listen on 127.0.0.1 only."""
    secure = {"InsecureRegistryCIDRs": []}
    with pytest.raises(RegistryError) as failure:
        open_registry(f"{plain_registry.host}/team", None, secure, {"DOCKER_CONFIG": str(tmp_path)})
    assert failure.value.render() == (
        f"error: registry {plain_registry.host} answers plain HTTP, but the Docker engine "
        "talks HTTPS to it\n"
        f'help: serve the registry with TLS, or add "{plain_registry.host}" to '
        '"insecure-registries" in /etc/docker/daemon.json and restart dockerd (127.0.0.0/8 '
        "is insecure by default)"
    )


@pytest.mark.parametrize(
    ("config", "host", "insecure"),
    [
        (ENGINE, "127.0.0.1:5000", True),
        (ENGINE, "localhost:5000", True),  # resolves into 127.0.0.0/8
        (ENGINE, "10.1.2.3:5000", False),
        ({"InsecureRegistryCIDRs": ["10.0.0.0/8"]}, "10.1.2.3:5000", True),
        ({"IndexConfigs": {"reg.lan:5000": {"Secure": False}}}, "reg.lan:5000", True),
        ({**ENGINE, "IndexConfigs": {"127.0.0.1:5000": {"Secure": True}}}, "127.0.0.1:5000", False),
        ({}, "127.0.0.1:5000", False),
    ],
)
def test_engine_insecure_follows_the_engines_rule(
    config: dict[str, object], host: str, insecure: bool
) -> None:
    assert engine_insecure(config, host) is insecure


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ('Basic realm="r"', ("basic", {"realm": "r"})),
        (
            'Bearer realm="https://auth.example.com/token",service="reg",scope="repository:a:pull"',
            (
                "bearer",
                {
                    "realm": "https://auth.example.com/token",
                    "service": "reg",
                    "scope": "repository:a:pull",
                },
            ),
        ),
        ("", ("", {})),
    ],
)
def test_parse_challenge(header: str, parsed: tuple[str, dict[str, str]]) -> None:
    assert parse_challenge(header) == parsed


def test_credentials_in_the_registrys_log_never_include_the_password(
    auth_registry: Registry, password: str, tmp_path: Path
) -> None:
    open_registry(
        f"{auth_registry.host}/t",
        docker_config(tmp_path, auth_registry.host, USER, password),
        ENGINE,
    )
    assert auth_registry.log and not any(password in line for line in auth_registry.log)
    assert Credentials(USER, password).auth() not in "\n".join(auth_registry.log)


def test_an_unreachable_docker_hub_says_a_registry_setting_is_missing() -> None:
    """The default prefix has no host, so it means Docker Hub (not reachable from every
    machine: the message is checked on the error itself)."""
    err = unreachable("docker.io", ConnectionError("[Errno -2] Name or service not known"))
    assert err.render() == (
        "error: no registry answers at docker.io: name or service not known\n"
        "help: an image name without a registry host means Docker Hub: set one (--registry, "
        "SELDON_GRAPHS_REGISTRY, seldon-graphs.toml or `registry:`), e.g. --registry "
        "registry.example.com/team"
    )
    assert err.transient


def test_a_token_registry_is_answered_with_a_bearer_token(
    token_registry: Registry, password: str, tmp_path: Path
) -> None:
    """Docker Hub's and GHCR's way: the registry (real, checking the token's signature,
    issuer, audience and access) sends a Bearer challenge; the token comes from its realm."""
    config = docker_config(tmp_path / "good", token_registry.host, USER, password)
    access = open_registry(f"{token_registry.host}/team", config, ENGINE)
    assert access.manifest_digest("team/nothing-here", "v1") is None  # a pull-scoped token

    wrong = docker_config(tmp_path / "bad", token_registry.host, USER, password + "x")
    with pytest.raises(RegistryError) as refused:
        open_registry(f"{token_registry.host}/team", wrong, ENGINE)
    assert refused.value.message.startswith(
        f"registry {token_registry.host} refused the credentials"
    )

    with pytest.raises(RegistryError) as anonymous:
        open_registry(f"{token_registry.host}/team", None, ENGINE, {"DOCKER_CONFIG": str(tmp_path)})
    assert anonymous.value.message == (
        f"registry {token_registry.host} needs credentials, and none are configured for it"
    )
