"""The Docker engine: a client that answers (the image builder and the docker runtime), and
the question the compiler needs answered, an image's ID.

The compiler (settings.base_image_id) asks through the function the package installs
(seldon_graphs/api.py, which imports this module on the first question), so the compiler's
own modules import no engine client; this module may, lazily, for a remote engine.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.parse
from pathlib import Path
from typing import Any

from .errors import os_reason

_DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_HOST = f"unix://{_DEFAULT_SOCKET}"  # where the SDK looks without DOCKER_HOST
HINT = "start dockerd (or Docker Desktop), or point DOCKER_HOST at one"


class Unreachable(Exception):
    """No Docker engine answered at `address`; the message says where and why."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"no Docker engine reachable at {address} ({reason})")
        self.address = address


def client(timeout: int = 60) -> Any:
    """A Docker SDK client whose engine answered a ping (requests time out after `timeout`
    seconds), or Unreachable."""
    address = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    try:
        import docker

        engine = docker.from_env(timeout=timeout)
        engine.ping()
    except Exception as exc:  # not only DockerException: a malformed DOCKER_HOST is a ValueError
        raise Unreachable(address, _reason(exc)) from exc
    return engine


def _reason(exc: Exception) -> str:
    text = str(exc)
    fallback = text.removeprefix("Error while fetching server API version: ")[:200]
    return os_reason(text) or fallback or repr(exc)


def image_id(ref: str) -> str:
    """The local engine's ID (`sha256:...`) for `ref`, or "" when no engine has it.

    settings.base_image_id caches the answer per process. A slow or absent engine costs at
    most a 3 s timeout, once. A local engine (a Unix socket, the usual case) is asked with
    one plain HTTP request, so `compile` does not import the Docker SDK (a third of its
    start-up); a remote DOCKER_HOST goes through the SDK, which knows TLS and ssh.
    """
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return _sdk_image_id(ref)
    socket_path = host.removeprefix("unix://") or _DEFAULT_SOCKET
    if not Path(socket_path).exists():
        return ""
    conn = _UnixHTTPConnection(socket_path, timeout=3)
    try:
        conn.request("GET", f"/images/{urllib.parse.quote(ref, safe='/:@')}/json")
        answer = conn.getresponse()
        body = answer.read()
        return str(json.loads(body).get("Id", "")) if answer.status == 200 else ""
    except (OSError, ValueError, http.client.HTTPException):
        return ""
    finally:
        conn.close()


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP to the engine's Unix socket (the Docker SDK does the same with more layers)."""

    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


def _sdk_image_id(ref: str) -> str:
    try:
        import docker
        from docker.errors import DockerException

        client = docker.from_env(timeout=3)
    except Exception:  # a broken SDK configuration means "not resolvable", not a crash
        return ""
    try:
        return str(client.images.get(ref).id)
    except (DockerException, OSError):
        return ""
    finally:
        client.close()
