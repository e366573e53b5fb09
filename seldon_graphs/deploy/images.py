"""The real image step: build the graph's wrapper images, then load them into kind or push.

Building is `seldon_graphs.wrapper.images.build_images`; this adapter decides
where the images go, and turns its BuildErrors into DeployErrors. It is imported lazily so
`--help` and the non-building commands never import the Docker SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import DeployError
from .flow import ImageTarget
from .target import Target


def build_images_step(target: Target, dest: ImageTarget) -> None:
    plans = list(getattr(target.graph, "contexts", None) or [])
    if not plans:
        return  # nothing of ours to build: prepackaged servers and ready-made images only
    if dest.push and not getattr(target.spec, "registry", None):
        raise DeployError(
            f"{target.file}: the graph has Python nodes but no `registry:` (nor any other "
            "registry setting), and the cluster is not kind, so their images have nowhere to go",
            "set one (--registry, SELDON_GRAPHS_REGISTRY, [images] registry in "
            "seldon-graphs.toml, or `registry:` in the graph file), or deploy to a kind context",
        )
    images = importlib.import_module("seldon_graphs.wrapper.images")
    try:
        images.build_images(
            plans,
            push=dest.push,
            kind_cluster=dest.kind_cluster,
            progress=images.ConsoleProgress(),
        )
    except images.BuildError as err:
        raise _translated(err) from None


def _translated(err: Any) -> DeployError:
    return DeployError(str(err.message), str(err.hint) or None)
