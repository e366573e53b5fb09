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
from dataclasses import dataclass
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


def secret_body(
    name: str, namespace: str, values: Mapping[str, str], kind: str = "Opaque"
) -> JsonDict:
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
        "type": kind,
        "data": data,
    }


DOCKER_CONFIG_TYPE = "kubernetes.io/dockerconfigjson"
DOCKER_CONFIG_KEY = ".dockerconfigjson"


def registry_values(registry: str, auth_file: str | None = None) -> dict[str, str]:
    """The `.dockerconfigjson` of a pull secret for `registry` (a host, or an image prefix),
    from the credentials `docker login` stored (or `auth_file`); never shown."""
    from ..registry import RegistryError, docker_config_json, lookup, registry_host

    bare = registry.removeprefix("https://").removeprefix("http://").rstrip("/")
    host = registry_host(bare) if "/" in bare else bare
    try:
        found = lookup(host, auth_file)
    except RegistryError as err:
        raise DeployError(err.message, err.hint or None) from None
    if found is None:
        raise DeployError(
            f"no credentials for registry {host} in "
            f"{auth_file or 'the Docker config (~/.docker/config.json)'}",
            f"log in first (`docker login {host}`), or pass --registry-auth-file FILE",
        )
    return {DOCKER_CONFIG_KEY: docker_config_json(host, found)}


# The kfserving storage initializer's keys (Seldon <= 1.11, the MLOps for ALL walkthrough).
AWS_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "USE_SSL")
_REGION_KEYS = ("AWS_REGION", "AWS_DEFAULT_REGION")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class RcloneOptions:
    """How AWS-style input becomes the rclone storage initializer's environment."""

    remote: str = "s3"  # the model URI's scheme: `s3://bucket/path` is remote `s3`
    provider: str | None = None  # default: Minio with an endpoint (path-style), else AWS
    keep_aws: bool = False  # also keep the AWS_* keys, for kfserving-style initializers


def rclone_form(values: Mapping[str, str], options: RcloneOptions) -> dict[str, str]:
    """`values` with AWS_* input turned into `RCLONE_CONFIG_<REMOTE>_*` keys.

    Input without AWS keys (already rclone form, or anything else) passes through unchanged.
    Errors name keys only: the values are credentials.
    """
    if not any(k in values for k in AWS_KEYS):
        return dict(values)
    missing = [k for k in AWS_KEYS[:2] if not values.get(k)]
    if missing:
        raise DeployError(
            f"the AWS-style input lacks {', '.join(missing)}",
            "give both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or RCLONE_CONFIG_* keys)",
        )
    prefix = f"RCLONE_CONFIG_{_remote_name(options.remote)}_"
    converted = {prefix + k: v for k, v in _rclone_options(values, options).items()}
    clash = sorted(set(converted) & set(values))
    if clash:
        raise DeployError(
            f"both AWS_* keys and {', '.join(clash)} given",
            "give one form: the AWS_* keys (converted for you) or the RCLONE_CONFIG_* keys",
        )
    dropped = () if options.keep_aws else (*AWS_KEYS, *_REGION_KEYS)
    rest = {k: v for k, v in values.items() if k not in dropped}
    return {**converted, **rest}


def _remote_name(remote: str) -> str:
    name = remote.removesuffix("://").removesuffix(":")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise DeployError(
            f"invalid rclone remote {remote!r}",
            "use the model URI's scheme, e.g. `s3` for s3://bucket/path",
        )
    return name.upper()


def _rclone_options(values: Mapping[str, str], options: RcloneOptions) -> dict[str, str]:
    endpoint = _endpoint(values)
    out = {
        "TYPE": "s3",
        "PROVIDER": options.provider or ("Minio" if endpoint else "AWS"),
        "ENV_AUTH": "false",
        "ACCESS_KEY_ID": values["AWS_ACCESS_KEY_ID"],
        "SECRET_ACCESS_KEY": values["AWS_SECRET_ACCESS_KEY"],
    }
    if endpoint:
        out["ENDPOINT"] = endpoint
    region = next((values[k] for k in _REGION_KEYS if values.get(k)), None)
    if region:
        out["REGION"] = region
    return out


def _endpoint(values: Mapping[str, str]) -> str | None:
    """AWS_ENDPOINT_URL with the scheme USE_SSL implies (kfserving read both)."""
    endpoint = values.get("AWS_ENDPOINT_URL", "").strip()
    use_ssl = values.get("USE_SSL", "").strip().lower()
    if not endpoint:
        return None
    scheme = "http" if use_ssl in _FALSE else "https"
    if "://" not in endpoint:
        return f"{scheme}://{endpoint}"
    if use_ssl and not endpoint.startswith(f"{scheme}://"):
        raise DeployError(
            "USE_SSL contradicts the scheme of AWS_ENDPOINT_URL",
            "use an http:// endpoint with USE_SSL=false, https:// with USE_SSL=true",
        )
    return endpoint
