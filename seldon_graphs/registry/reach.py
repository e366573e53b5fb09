"""Before any build: find the credentials for a registry and make sure it lets us in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .credentials import lookup, registry_host
from .v2 import Access, connect, engine_insecure

# What a Docker engine without insecure-registries settings treats as plain HTTP.
ENGINE_DEFAULTS = {"InsecureRegistryCIDRs": ["127.0.0.0/8"]}


def open_registry(
    reference: str,
    auth_file: str | Path | None = None,
    registry_config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Access:
    """The registry of `reference` (an image or a repository prefix), pinged with its
    credentials; `registry_config` is the engine's (`docker info`), which says whether
    the engine talks plain HTTP to it. RegistryError, naming the fix, when it cannot be used."""
    host = registry_host(reference)
    credentials = lookup(host, auth_file, environ)
    insecure = engine_insecure(registry_config or ENGINE_DEFAULTS, host)
    return connect(host, credentials, insecure)


def open_registries(
    references: Iterable[str],
    auth_file: str | Path | None = None,
    registry_config: Mapping[str, Any] | None = None,
) -> dict[str, Access]:
    """`open_registry` for each registry host among `references`, each asked once."""
    out: dict[str, Access] = {}
    for reference in references:
        host = registry_host(reference)
        if host not in out:
            out[host] = open_registry(reference, auth_file, registry_config)
    return out
