"""Container registries: credentials, a reachability and login check, and push streams.

Modules, in the order a push uses them:

    credentials.py  where the credentials are (Docker config, helpers, --registry-auth-file)
    v2.py           the registry's HTTP API: ping /v2/ with them, the digest of a tag
    reach.py        both together, before any build: `open_registry(reference, ...)`
    push_stream.py  the engine's push stream: per-layer progress, digest, retries
    errors.py       RegistryError (transient or not), rendered with a `help:` line

No credential is ever part of a message, a log line or a repr.
"""

from __future__ import annotations

from .credentials import (
    Credentials,
    docker_config_json,
    hosts_in_docker_config_json,
    lookup,
    registry_host,
    repository_path,
)
from .errors import RegistryError
from .push_stream import PushReport, follow_push, retried, transient
from .reach import open_registries, open_registry
from .v2 import Access, connect, engine_insecure

__all__ = [
    "Access",
    "Credentials",
    "PushReport",
    "RegistryError",
    "connect",
    "docker_config_json",
    "engine_insecure",
    "follow_push",
    "hosts_in_docker_config_json",
    "lookup",
    "open_registries",
    "open_registry",
    "registry_host",
    "repository_path",
    "retried",
    "transient",
]
