"""Registry credentials where Docker users already keep them, never shown.

Looked up the way the docker CLI does: `--registry-auth-file FILE` (same format) replaces
the Docker config, which is `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`; in
it `credHelpers[host]`, then `auths[host]` (`auth` is base64 of `user:password`, or
`username`/`password`), then `credsStore`. A helper is `docker-credential-<name>`, asked
with `get` and the host on stdin.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RegistryError

DOCKER_HUB = "docker.io"
_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
_HELPER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credentials:
    """A user name and password (or token) for one registry; `source` says where from."""

    username: str = field(repr=False)
    password: str = field(repr=False)
    source: str = ""

    def auth_config(self) -> dict[str, str]:
        """The docker SDK's `auth_config` for push and pull."""
        return {"username": self.username, "password": self.password}

    def auth(self) -> str:
        """base64 of `user:password`, the `auth` of a Docker config entry."""
        return base64.b64encode(f"{self.username}:{self.password}".encode()).decode()


def registry_host(reference: str) -> str:
    """The registry of an image reference or repository prefix, as Docker reads it: the
    first path component if it has a `.` or `:` or is `localhost`, else Docker Hub."""
    first, sep, _ = reference.partition("/")
    if sep and (("." in first or ":" in first) or first == "localhost"):
        return first
    return DOCKER_HUB


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the docker CLI keeps its config (DOCKER_CONFIG is a directory)."""
    env = os.environ if environ is None else environ
    folder = env.get("DOCKER_CONFIG") or str(Path(env.get("HOME") or Path.home()) / ".docker")
    return Path(folder) / "config.json"


def lookup(
    host: str, auth_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Credentials | None:
    """The credentials for `host`, or None when there are none (anonymous access)."""
    path = Path(auth_file) if auth_file else config_path(environ)
    if not path.exists():
        if auth_file:
            raise RegistryError(
                f"--registry-auth-file {path} does not exist",
                "give a Docker config file (the format of ~/.docker/config.json)",
            )
        return None
    config = _read_config(path)
    keys = _HUB_KEYS if host == DOCKER_HUB else (host,)
    helper = _helper_for(config, keys)
    if helper:
        return _from_helper(helper, keys[0], path)
    entry = _auths_entry(config, keys)
    found = _from_entry(entry, path) if entry is not None else None
    if found is not None:
        return found
    # `docker login` with a credsStore leaves an empty auths entry: the store has the secret
    store = config.get("credsStore")
    return _from_helper(str(store), keys[0], path, missing_ok=True) if store else None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError):  # never quote the content: it holds passwords
        raise RegistryError(
            f"{path} is not a JSON Docker config",
            "write it with `docker login` or in the format of ~/.docker/config.json",
        ) from None
    if not isinstance(config, dict):
        raise RegistryError(f"{path} is not a JSON object (a Docker config)")
    return config


def _helper_for(config: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    helpers = config.get("credHelpers") or {}
    return next((str(helpers[k]) for k in keys if isinstance(helpers, dict) and k in helpers), None)


def _auths_entry(config: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
    auths = config.get("auths") or {}
    if not isinstance(auths, dict):
        return None
    for name, entry in auths.items():
        if _bare(str(name)) in keys and isinstance(entry, dict):
            return entry
    return None


def _bare(name: str) -> str:
    """`https://host/v1/` -> `host` (old `docker login` wrote URLs), Hub's URL kept whole."""
    if name in _HUB_KEYS:
        return name
    return name.removeprefix("https://").removeprefix("http://").split("/", 1)[0]


def _from_entry(entry: Mapping[str, Any], path: Path) -> Credentials | None:
    source = str(path)
    if entry.get("username") and entry.get("password"):
        return Credentials(str(entry["username"]), str(entry["password"]), source)
    if not entry.get("auth"):
        return None  # `docker login` with a credsStore leaves an empty entry
    try:
        user, sep, password = base64.b64decode(str(entry["auth"])).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        sep, user, password = "", "", ""
    if not sep:
        raise RegistryError(
            f"{path}: an `auth` entry is not base64 of user:password",
            "log in again with `docker login` (it rewrites the entry)",
        )
    return Credentials(user, password, source)


def _from_helper(
    helper: str, host: str, path: Path, missing_ok: bool = False
) -> Credentials | None:
    program = f"docker-credential-{helper}"
    found = shutil.which(program)
    if found is None:
        raise RegistryError(
            f"{path} names the credential helper {helper}, but {program} is not on PATH",
            f"install {program}, or remove `{helper}` from {path}",
        )
    try:
        proc = subprocess.run(
            [found, "get"],
            input=host,
            capture_output=True,
            text=True,
            timeout=_HELPER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RegistryError(
            f"{program} get did not answer within {_HELPER_TIMEOUT:.0f} s"
        ) from None
    if proc.returncode != 0:
        if missing_ok:
            return None  # a credsStore holds no entry for this host: anonymous
        # Its stderr says "credentials not found" or why it failed; it never holds the secret.
        reason = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RegistryError(
            f"{program} has no credentials for {host}: {reason[0][:200]}",
            f"log in with `docker login {host}`",
        )
    return _helper_answer(proc.stdout, program)


def _helper_answer(out: str, program: str) -> Credentials:
    try:
        answer = json.loads(out)
        return Credentials(str(answer["Username"]), str(answer["Secret"]), program)
    except (ValueError, KeyError, TypeError):
        raise RegistryError(f"{program} get answered something that is not its JSON") from None


def docker_config_json(host: str, credentials: Credentials) -> str:
    """A `.dockerconfigjson` value granting `host` (for a kubernetes.io/dockerconfigjson Secret).
    The Hub's key is its v1 URL, which is what the kubelet looks up."""
    key = _HUB_KEYS[0] if host == DOCKER_HUB else host
    entry = {
        "username": credentials.username,
        "password": credentials.password,
        "auth": credentials.auth(),
    }
    return json.dumps({"auths": {key: entry}}, sort_keys=True)


def hosts_in_docker_config_json(text: str) -> set[str] | None:
    """The registries a `.dockerconfigjson` value grants (bare host names); None if unreadable."""
    try:
        auths = json.loads(text).get("auths")
    except (ValueError, AttributeError):
        return None
    if not isinstance(auths, dict):
        return None
    hosts = {_bare(str(name)) for name in auths}
    return {DOCKER_HUB if h in _HUB_KEYS else h for h in hosts}


def repository_path(repository: str) -> str:
    """The repository's name inside its registry: without the host, and with Docker Hub's
    `library/` for one-word names."""
    host = registry_host(repository)
    if host != DOCKER_HUB or repository.startswith(f"{DOCKER_HUB}/"):
        path = repository.split("/", 1)[1]
    else:
        path = repository
    return path if host != DOCKER_HUB or "/" in path else f"library/{path}"
