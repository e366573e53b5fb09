"""The real image step: build the graph's wrapper images, then load them into kind or push.

Building is `seldon_graphs.wrapper.images.build_images` (its own module); this adapter decides
where the images go, and turns its BuildErrors into DeployErrors. Pushed images are pinned
in the manifest by the registry's digest (`repo@sha256:...`), so the cluster runs exactly
what was built. It is imported lazily so `--help` and the non-building commands never
import the Docker SDK.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import DeployError
from .flow import ImageTarget
from .kube import JsonDict
from .target import Target


def build_images_step(
    target: Target, dest: ImageTarget, registry: str | None = None, auth_file: str | None = None
) -> Target:
    """Build, then push (pinning the manifest by digest) or kind-load. `registry` is an
    explicit --registry: it pushes even to a kind cluster."""
    plans = list(getattr(target.graph, "contexts", None) or [])
    if not plans:
        return target  # nothing of ours to build: prepackaged servers and ready-made images only
    push = dest.push or registry is not None
    if push and not target.registry:
        raise DeployError(
            f"{target.file}: the graph has Python nodes but no `registry:` (nor any other "
            "registry setting), and the cluster is not kind, so their images have nowhere to go",
            "set one (--registry, SELDON_GRAPHS_REGISTRY, [images] registry in "
            "seldon-graphs.toml, or `registry:` in the graph file), or deploy to a kind context",
        )
    images = importlib.import_module("seldon_graphs.wrapper.images")
    try:
        results = images.build_images(
            plans,
            push=push,
            kind_cluster=None if push else dest.kind_cluster,
            progress=images.ConsoleProgress(),
            auth_file=auth_file,
        )
    except images.BuildError as err:
        raise _translated(err) from None
    digests = {r.image: pinned(r.image, r.digest) for r in results if r.digest}
    return Target(target.file, pin(target.manifest, digests), target.graph)


def pinned(image: str, digest: str) -> str:
    """`registry/repo:tag` -> `registry/repo@sha256:...` (the tag says nothing more)."""
    return f"{image.rsplit(':', 1)[0]}@{digest}"


def pin(manifest: JsonDict, images: Mapping[str, str]) -> JsonDict:
    """`manifest` with each container image found in `images` replaced by its value."""
    out = copy.deepcopy(manifest)
    for container in containers(out):
        container["image"] = images.get(str(container.get("image")), container.get("image"))
    return out


def containers(manifest: JsonDict) -> Iterator[dict[str, Any]]:
    for predictor in manifest.get("spec", {}).get("predictors") or []:
        for component in predictor.get("componentSpecs") or []:
            yield from ((component or {}).get("spec") or {}).get("containers") or []


def is_pinned(manifest: JsonDict | None) -> bool:
    """Whether any container image of `manifest` is pinned by digest."""
    return manifest is not None and any(
        "@sha256:" in str(c.get("image", "")) for c in containers(manifest)
    )


def registry_digests(target: Target, auth_file: str | None = None) -> dict[str, str]:
    """The pinned form of each wrapper image the registry already holds (asked over its
    HTTP API, nothing pushed); images it does not hold are left out."""
    from ..registry import RegistryError, open_registries, registry_host, repository_path

    plans = list(getattr(target.graph, "contexts", None) or [])
    out: dict[str, str] = {}
    try:
        registries = open_registries((p.repository for p in plans), auth_file)
        for plan in plans:
            access = registries[registry_host(plan.repository)]
            digest = access.manifest_digest(repository_path(plan.repository), plan.tag)
            if digest:
                out[plan.image] = pinned(plan.image, digest)
    except RegistryError as err:
        raise DeployError(err.message, err.hint or None) from None
    return out


def _translated(err: Any) -> DeployError:
    return DeployError(str(err.message), str(err.hint) or None)
