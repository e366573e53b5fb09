"""`diff`: the live SeldonDeployment against what we would apply, like `kubectl diff`.

The "would apply" side is the API server's answer to a server-side dry-run apply, so
defaults filled in by the server appear on both sides and cancel out; fields the server
owns (status, resourceVersion, managedFields, ...) are dropped from both. When the dry
run is impossible (not deployed, namespace missing) the compiled manifest is used as is.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

import yaml

from .kube import JsonDict, Kube
from .target import Target

SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "finalizers",
    "ownerReferences",
)
SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def normalize(obj: JsonDict) -> JsonDict:
    """Drop what the server populates, keep what a user or a field manager set."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta: dict[str, Any] = out.get("metadata") or {}
    for key in SERVER_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    for key in SERVER_ANNOTATIONS:
        annotations.pop(key, None)
    if "annotations" in meta and not annotations:
        meta.pop("annotations")
    return out


def diff_text(live: JsonDict | None, wanted: JsonDict, label: str) -> str:
    """A unified diff (`live` -> `wanted`); '' when they agree."""
    before = _yaml(normalize(live)) if live is not None else []
    after = _yaml(normalize(wanted))
    lines = difflib.unified_diff(before, after, f"live/{label}", f"compiled/{label}")
    return "".join(lines)


def live_and_wanted(kube: Kube, target: Target) -> tuple[JsonDict | None, JsonDict]:
    live = kube.get_sdep(target.namespace, target.name)
    if live is None:
        return None, target.manifest
    return live, kube.apply_sdep(target.manifest, dry_run=True)


def _yaml(obj: JsonDict) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines(keepends=True)
