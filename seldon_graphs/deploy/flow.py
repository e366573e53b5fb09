"""`deploy`: preflight -> images -> namespace -> server-side apply -> wait -> endpoint.

The image step is injected (`ImageStep`), so tests substitute it and the slow build only
runs after every cheap check has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .endpoint import Endpoint, endpoint_of
from .errors import RejectedError
from .kube import Kube
from .locate import render_rejection
from .preflight import preflight
from .target import Target
from .wait import Clock, ProgressSink, wait_available


@dataclass(frozen=True)
class ImageTarget:
    """Where built images go: loaded into a kind cluster, or pushed to the graph's registry."""

    kind_cluster: str | None
    push: bool


# Returns the target to apply (its images pinned by digest once pushed), or None: unchanged.
ImageStep = Callable[[Target, ImageTarget], "Target | None"]
Say = Callable[[str], None]


@dataclass(frozen=True)
class DeployOptions:
    wait: float = 300.0  # seconds; 0 = apply and return at once
    dry_run: bool = False  # --dry-run=server
    build: bool = True  # False = --no-build: the images are already where the cluster pulls
    ingress: str | None = None  # base URL of an ingress gateway, for the printed curl


def kind_cluster_of(context: str) -> str | None:
    """kind names its contexts `kind-<cluster>`."""
    return context.removeprefix("kind-") if context.startswith("kind-") else None


def image_target(kube: Kube) -> ImageTarget:
    cluster = kind_cluster_of(kube.conn.context)
    return ImageTarget(kind_cluster=cluster, push=cluster is None)


def deploy(
    kube: Kube,
    target: Target,
    options: DeployOptions,
    images: ImageStep,
    say: Say,
    progress: ProgressSink = lambda _p: None,
    clock: Clock | None = None,
) -> Endpoint | None:
    """Deploy `target`; return its endpoint (None for a dry run)."""
    ns, name = target.namespace, target.name
    ns_exists = preflight(kube, target.manifest)
    if options.dry_run:
        _dry_run(kube, target, ns_exists, say)
        return None
    if options.build and target.graph is not None:
        target = images(target, image_target(kube)) or target
    if not ns_exists:
        kube.apply_namespace(ns)
        say(f"created namespace {ns}")
    applied = _apply(kube, target, dry_run=False)
    say(f"applied SeldonDeployment {ns}/{name} (server-side apply, field manager seldon-graphs)")
    if options.wait <= 0:
        return endpoint_of(applied, kube.conn.context, options.ingress)
    say(f"waiting up to {options.wait:g}s for {ns}/{name} to become Available")
    sdep = wait_available(kube, ns, name, options.wait, progress, clock)
    say(f"{ns}/{name} is Available")
    return endpoint_of(sdep, kube.conn.context, options.ingress)


def _apply(kube: Kube, target: Target, dry_run: bool) -> dict[str, object]:
    try:
        return kube.apply_sdep(target.manifest, dry_run=dry_run)
    except RejectedError as err:
        raise RejectedError(
            f"the cluster rejected SeldonDeployment {target.namespace}/{target.name}:\n"
            + render_rejection(err, target),
            err.causes,
            err.hint,
        ) from None


def _dry_run(kube: Kube, target: Target, ns_exists: bool, say: Say) -> None:
    if not ns_exists:
        kube.apply_namespace(target.namespace, dry_run=True)
        say(
            f"dry run: namespace {target.namespace} would be created; the SeldonDeployment "
            "itself cannot be dry-run into a namespace that does not exist yet"
        )
        return
    _apply(kube, target, dry_run=True)
    say(
        f"dry run: the API server and Seldon's webhook accept SeldonDeployment "
        f"{target.namespace}/{target.name} (nothing was changed)"
    )
