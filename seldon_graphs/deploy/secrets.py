"""Storage-credential secrets, created from environment variables or a file, never printed.

Graph files only name secrets (`secret: minio`). This replaces the walkthrough's hand-made
base64 Secret: values are read here, encoded here, sent by server-side apply, and nothing
but key names ever reaches the terminal.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import DeployError
from .kube import JsonDict

_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def from_env(names: Sequence[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Values of the named environment variables; every missing one is named in the error."""
    env = os.environ if environ is None else environ
    wanted = [n.strip() for n in names if n.strip()]
    missing = [n for n in wanted if n not in env]
    if missing:
        raise DeployError(
            f"environment variable(s) not set: {', '.join(missing)}",
            "export them first (values are read from the environment, never from arguments)",
        )
    return {n: env[n] for n in wanted}


def from_file(path: str | Path) -> dict[str, str]:
    """KEY=VALUE lines (dotenv style): `#` comments, blank lines, optional `export `, quotes."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeployError(f"cannot read {file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:  # the offset only: the bytes may be a secret's
        raise DeployError(f"{file} is not UTF-8 text (byte {exc.start})") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            # Never echo the line: it may hold a value.
            raise DeployError(f"{file}:{number}: expected KEY=VALUE")
        values[key.strip()] = _unquote(value.strip())
    if not values:
        raise DeployError(f"{file}: no KEY=VALUE lines")
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def secret_body(name: str, namespace: str, values: Mapping[str, str]) -> JsonDict:
    bad = [k for k in values if not _KEY.match(k)]
    if bad:
        raise DeployError(
            f"invalid secret key(s) {', '.join(map(repr, bad))}: use letters, digits, '-', '_', '.'"
        )
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "seldon-graphs"},
        },
        "type": "Opaque",
        "data": data,
    }
