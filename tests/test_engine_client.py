"""engine.client: the one way the image builder and the docker runtime reach the Docker
engine, and the one message when it does not answer: the address tried (DOCKER_HOST, or the
SDK's default socket), the operating system's reason without the SDK's wrapping, and what to
do. A malformed DOCKER_HOST is no crash either (it was: `build` exited 3, "internal error").
Real SDK, real sockets on 127.0.0.1; the engine itself where one answers."""

from __future__ import annotations

import pytest

from seldon_graphs import engine
from seldon_graphs.cli import main as cli
from tests.helpers import REPO, missing


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("unix:///nonexistent/docker.sock", "No such file or directory"),
        ("tcp://127.0.0.1:{port}", "Connection refused"),
        ("tcp://[::1", "Invalid IPv6 URL"),
        ("bogus://x", "Invalid bind address protocol: bogus://x"),
    ],
    ids=["no-socket", "refused", "malformed", "unknown-scheme"],
)
def test_no_engine_names_the_address_and_the_reason(
    monkeypatch: pytest.MonkeyPatch, closed_port: int, host: str, reason: str
) -> None:
    host = host.format(port=closed_port)
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(engine.Unreachable) as failed:
        engine.client(timeout=5)
    assert str(failed.value) == f"no Docker engine reachable at {host} ({reason})"
    assert failed.value.address == host


def test_without_docker_host_the_sdks_default_socket_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The machines this runs on have an engine at the default socket, so the SDK's failure
    to reach it is stood in for; the address and the message around it are ours."""
    from docker.errors import DockerException

    def refuse(**_: object) -> None:
        raise DockerException("Error while fetching server API version: the SDK's own words")

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr("docker.from_env", refuse)
    with pytest.raises(engine.Unreachable) as failed:
        engine.client()
    assert str(failed.value) == (
        "no Docker engine reachable at unix:///var/run/docker.sock (the SDK's own words)"
    )


def test_an_engine_that_answers_gives_a_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    try:
        client = engine.client(timeout=30)
    except engine.Unreachable as exc:
        missing(f"no Docker engine: {exc}")
    try:
        assert client.version()["ApiVersion"]
        assert client.api.timeout == 30
    finally:
        client.close()


def test_build_without_an_engine_is_an_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://[::1")
    assert cli(["build", str(REPO / "graphs" / "iris.yaml")]) == 1
    assert capsys.readouterr().err == (
        f"error: no Docker engine reachable at tcp://[::1 (Invalid IPv6 URL)\nhelp: {engine.HINT}\n"
    )
