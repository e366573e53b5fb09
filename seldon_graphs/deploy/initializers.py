"""The storage initializer the operator injects for a `modelUri`, and what it reads.

Seldon Core 1.17.1 runs `seldonio/rclone-storage-initializer:1.17.1` as an init container:
`rclone copy <modelUri> /mnt/models` with the node's secret as its environment
(`envFrom.secretRef`). rclone names its remote after the URI's scheme, so `s3://b/p` reads
`RCLONE_CONFIG_S3_*`. Seldon <= 1.7 (and the MLOps for ALL walkthrough) used kfserving's
initializer, which reads `AWS_*` keys instead. The image comes, in this order, from the
node's `storageInitializerImage`, the ConfigMap `seldon-config` (key `storageInitializer`)
in the operator's namespace, else an rclone image (the operator's own fallback).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping

DEFAULT_IMAGE = "seldonio/rclone-storage-initializer:1.17.1"
OPERATOR_NAMESPACE = "seldon-system"  # the Helm chart's; `seldon-config` lives there
CONFIG_MAP = "seldon-config"
# ENV lines of Seldon's components/rclone-storage-initializer/Dockerfile (1.17.1): the
# container sees them under the secret's keys.
RCLONE_IMAGE_ENV = {
    "RCLONE_CONFIG_GS_TYPE": "google cloud storage",
    "RCLONE_CONFIG_GS_ANONYMOUS": "true",
    "RCLONE_VERBOSE": "1",
}
KFSERVING_S3_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_]*):")
_NO_DOWNLOAD = ("pvc", "file")  # mounted by the operator, or local: no credentials


class Flavour(enum.Enum):
    RCLONE = "rclone"
    KFSERVING = "kfserving"
    UNKNOWN = "unknown"


def flavour(image: str) -> Flavour:
    name = image.rsplit("/", 1)[-1]
    if name.startswith("rclone-storage-initializer"):
        return Flavour.RCLONE
    if name.startswith("storage-initializer"):  # gcr.io/kfserving/..., kserve/...
        return Flavour.KFSERVING
    return Flavour.UNKNOWN


def image_from_config_map(data: Mapping[str, str] | None) -> str:
    """The `storageInitializer` image of a `seldon-config` ConfigMap's data, else the default."""
    raw = (data or {}).get("storageInitializer")
    try:
        image = json.loads(raw).get("image") if raw else None
    except (ValueError, AttributeError):
        image = None  # the operator would fail on it too; its own reconcile error says so
    return str(image) if image else DEFAULT_IMAGE


def remote_of(model_uri: str) -> str | None:
    """rclone's remote for a URI (`s3://b/p` -> `s3`); None when nothing is downloaded."""
    found = _SCHEME.match(model_uri)
    if found is None or found.group(1).lower() in _NO_DOWNLOAD:
        return None
    return found.group(1)


def missing_keys(image: str, model_uri: str, secret: Mapping[str, str]) -> list[str]:
    """Keys `image` needs from the secret to download `model_uri` that `secret` lacks.

    `secret` maps keys to decoded values; only TYPE and ENV_AUTH values are looked at.
    """
    remote = remote_of(model_uri)
    if remote is None:
        return []
    kind = flavour(image)
    if kind is Flavour.KFSERVING:
        s3 = remote.lower() == "s3"
        return [k for k in KFSERVING_S3_KEYS if s3 and not secret.get(k)]
    if kind is Flavour.UNKNOWN:
        return []
    env = initializer_env(secret)
    prefix = f"RCLONE_CONFIG_{remote.upper()}_"
    needed = [prefix + "TYPE"]
    if env.get(prefix + "TYPE") == "s3" and env.get(prefix + "ENV_AUTH", "").lower() != "true":
        needed += [prefix + "ACCESS_KEY_ID", prefix + "SECRET_ACCESS_KEY"]
    return [k for k in needed if not env.get(k)]


def initializer_env(secret: Mapping[str, str]) -> dict[str, str]:
    """The variables rclone sees in the init container: the image's, then the secret's."""
    return {**RCLONE_IMAGE_ENV, **secret}
