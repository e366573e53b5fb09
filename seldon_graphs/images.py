"""Build the wrapper images of a graph with a real Docker engine (docker SDK 7.x).

    plans = plan_graph(with_overrides(spec, base_image="seldon-graphs/base:bookworm"), tree)
    results = build_images(plans, push=False, kind_cluster=None, progress=ConsoleProgress())

- Tags are content hashes (`ContextPlan.image`): a plan whose tag exists locally is not
  built again, so building an unchanged graph builds nothing.
- The context is sent as an in-memory tar with fixed metadata (nothing touches the disk);
  builds use host networking (`network_mode="host"`) and never inject proxy settings or
  build args, so nothing from this machine ends up in a layer.
- A failed build raises BuildFailed with the failing step and the tail of its log.
- `push=True` pushes each image; `kind_cluster` runs `kind load docker-image`.

Errors: BuildError (base), with DockerUnavailable, BuildFailed, PushFailed, KindLoadFailed.
Each has `render() -> str` for the CLI.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from .wrapper.context import ContextPlan

__all__ = [
    "BuildError",
    "BuildFailed",
    "BuildResult",
    "ConsoleProgress",
    "DockerUnavailable",
    "KindLoadFailed",
    "Progress",
    "PushFailed",
    "build_images",
    "context_tar",
    "docker_client",
]

LOG_TAIL = 25  # lines of the failing step shown on failure
# Paths the .dockerignore keeps out of the image; `docker build DIR` drops them client-side,
# and so do we when making the tar. The daemon itself drops Dockerfile and .dockerignore.
_NOT_SENT = (".s2i/",)


class BuildError(Exception):
    """Base of image-build errors; `render()` is what the CLI prints."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        return f"error: {self.message}" + (f"\nhelp: {self.hint}" if self.hint else "")


class DockerUnavailable(BuildError):
    """No Docker engine answers."""


class BuildFailed(BuildError):
    """`docker build` of one node failed; `step` and `log` say where and why."""

    def __init__(
        self, node: str, image: str, step: str, log: Sequence[str], reason: str, hint: str = ""
    ) -> None:
        super().__init__(f"building node {node} ({image}) failed: {reason}", hint)
        self.node, self.image, self.step, self.log, self.reason = (
            node,
            image,
            step,
            list(log),
            reason,
        )

    def render(self) -> str:
        lines = [f"error: {self.message}"]
        if self.step:
            lines.append(f"  failing step: {self.step}")
        if self.log:
            lines.append(f"  last {len(self.log)} lines of its output:")
            lines.extend(f"  | {line}" for line in self.log)
        if self.hint:
            lines.append(f"help: {self.hint}")
        return "\n".join(lines)


class PushFailed(BuildError):
    """Pushing an image to its registry failed."""


class KindLoadFailed(BuildError):
    """`kind load docker-image` failed or kind is not installed."""


@dataclass(frozen=True)
class BuildResult:
    node: str
    image: str
    built: bool  # False: an image with this content tag already existed
    seconds: float
    size: int | None = None  # bytes, as the engine reports it
    pushed: bool = False
    loaded_into: str | None = None  # kind cluster name
    licence: str = "Apache-2.0"  # of the seldon-core runtime inside


class Progress(Protocol):
    """Receives build events; ConsoleProgress prints them compactly."""

    def begin(self, plan: ContextPlan, cached: bool) -> None: ...

    def step(self, plan: ContextPlan, line: str) -> None: ...

    def output(self, plan: ContextPlan, line: str) -> None: ...

    def end(self, result: BuildResult) -> None: ...


@dataclass
class ConsoleProgress:
    """One line per node, rewritten in place on a terminal; one line per step otherwise."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    verbose: bool = False  # echo the build output itself too
    width: int = 100

    def __post_init__(self) -> None:
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._open = False

    def begin(self, plan: ContextPlan, cached: bool) -> None:
        if not cached:
            self._write(f"[{plan.node}] building {plan.image}")

    def step(self, plan: ContextPlan, line: str) -> None:
        self._write(f"[{plan.node}] {line}", transient=True)

    def output(self, plan: ContextPlan, line: str) -> None:
        if self.verbose:
            self._write(f"[{plan.node}]   {line}")

    def end(self, result: BuildResult) -> None:
        size = f", {result.size / 1e6:.0f} MB" if result.size else ""
        how = f"built in {result.seconds:.1f}s" if result.built else "up to date"
        extra = (" pushed" if result.pushed else "") + (
            f" loaded into kind/{result.loaded_into}" if result.loaded_into else ""
        )
        self._write(f"[{result.node}] {how}: {result.image}{size}{extra}")

    def close(self) -> None:
        """End a step line left open on a terminal (before printing an error)."""
        if self._tty and self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def _write(self, text: str, transient: bool = False) -> None:
        text = text if len(text) <= self.width else text[: self.width - 1] + "…"
        if self._tty:  # steps overwrite each other; results stay
            self.stream.write("\r\x1b[2K" + text + ("" if transient else "\n"))
            self._open = transient
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


class _Quiet:
    def begin(self, plan: ContextPlan, cached: bool) -> None:
        pass

    def step(self, plan: ContextPlan, line: str) -> None:
        pass

    def output(self, plan: ContextPlan, line: str) -> None:
        pass

    def end(self, result: BuildResult) -> None:
        pass


def docker_client() -> Any:
    """A docker SDK client that answers, or DockerUnavailable saying what to do."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except DockerException as exc:
        raise DockerUnavailable(
            f"no Docker engine answers: {exc}",
            "start one (e.g. `dockerd`, or Docker Desktop) or point DOCKER_HOST at it",
        ) from exc
    return client


def context_tar(plan: ContextPlan) -> bytes:
    """The plan as a tar with fixed owners, modes and times: same plan, same bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, content in plan.files.items():
            if rel.startswith(_NOT_SENT):
                continue
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def build_images(
    plans: Iterable[ContextPlan],
    *,
    push: bool = False,
    kind_cluster: str | None = None,
    progress: Progress | None = None,
    client: Any = None,
    network_mode: str = "host",
    no_cache: bool = False,
) -> list[BuildResult]:
    """Build (if missing), then optionally push and kind-load, every plan's image.

    `no_cache` rebuilds every layer of images that are missing (a cold build); images whose
    tag exists are still skipped.
    """
    plans = list(plans)
    progress = progress or _Quiet()
    if kind_cluster:
        _kind_binary()  # fail before building anything
    client = client or docker_client()
    results = []
    for plan in plans:
        result = _build_one(client, plan, progress, network_mode, no_cache)
        if push:
            _push(client, plan)
            result = _replace(result, pushed=True)
        if kind_cluster:
            _kind_load(plan.image, kind_cluster)
            result = _replace(result, loaded_into=kind_cluster)
        progress.end(result)
        results.append(result)
    return results


def _replace(result: BuildResult, **changes: Any) -> BuildResult:
    from dataclasses import replace

    return replace(result, **changes)


def _image_size(client: Any, image: str) -> int | None:
    from docker.errors import ImageNotFound

    try:
        size = client.images.get(image).attrs.get("Size")
    except ImageNotFound:
        return None
    return int(size) if size is not None else None


def _build_one(
    client: Any, plan: ContextPlan, progress: Progress, network_mode: str, no_cache: bool
) -> BuildResult:
    start = time.monotonic()
    size = _image_size(client, plan.image)
    if size is not None:
        progress.begin(plan, cached=True)
        return BuildResult(
            plan.node, plan.image, False, time.monotonic() - start, size, licence=plan.licence
        )
    progress.begin(plan, cached=False)
    base_present = _image_size(client, plan.base_image) is not None
    stream = client.api.build(
        fileobj=io.BytesIO(context_tar(plan)),
        custom_context=True,
        tag=plan.image,
        rm=True,
        forcerm=True,
        pull=False,
        nocache=no_cache,
        decode=True,
        network_mode=network_mode,
        use_config_proxy=False,  # proxy settings would become build args, visible in layers
    )
    _follow(stream, plan, progress, base_present)
    return BuildResult(
        plan.node,
        plan.image,
        True,
        time.monotonic() - start,
        _image_size(client, plan.image),
        licence=plan.licence,
    )


def _follow(
    stream: Iterator[Mapping[str, Any]], plan: ContextPlan, progress: Progress, base_present: bool
) -> None:
    """Consume the engine's build stream; raise BuildFailed on an error record."""
    step, tail = "", deque[str](maxlen=LOG_TAIL)
    for record in stream:
        if "error" in record:
            reason = str(
                record.get("error") or record.get("errorDetail", {}).get("message", "")
            ).strip()
            hint = _hint(plan, step, reason, base_present)
            raise BuildFailed(plan.node, plan.image, step, list(tail), reason, hint)
        for line in str(record.get("stream", "")).splitlines():
            line = line.rstrip()
            if line.startswith("Step ") and " : " in line:
                step = line
                tail.clear()
                progress.step(plan, line)
            elif line and not line.startswith((" ---> ", "Removing intermediate container")):
                tail.append(line)
                progress.output(plan, line)


def _hint(plan: ContextPlan, step: str, reason: str, base_present: bool) -> str:
    at_from = not step or step.startswith("Step 1/")
    if (not base_present and at_from) or "pull access" in reason:
        return (
            f"the base image {plan.base_image} is not on this machine and could not be pulled: "
            "build a local one with scripts/build_base_image.sh and pass "
            "--base-image seldon-graphs/base:bookworm (or set runtime.base_image)"
        )
    if "pip install" in reason:
        return "a requirement failed to install: check the node's requirements (log above)"
    return ""


def _push(client: Any, plan: ContextPlan) -> None:
    from docker.errors import APIError

    repository, tag = plan.image.rsplit(":", 1)
    try:
        for record in client.api.push(repository, tag=tag, stream=True, decode=True):
            if "error" in record:
                raise PushFailed(
                    f"pushing {plan.image} failed: {record['error']}",
                    "log in to the registry first (`docker login <registry>`) and check the "
                    "graph's `registry:` or --registry",
                )
    except APIError as exc:
        raise PushFailed(f"pushing {plan.image} failed: {exc.explanation or exc}") from exc


def _kind_binary() -> str:
    found = shutil.which("kind")
    if found is None:
        raise KindLoadFailed(
            "--kind-load needs the `kind` command, which is not on PATH",
            "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation) "
            "or load the images some other way",
        )
    return found


def _kind_load(image: str, cluster: str) -> None:
    proc = subprocess.run(
        [_kind_binary(), "load", "docker-image", image, "--name", cluster],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise KindLoadFailed(
            f"kind load docker-image {image} --name {cluster} failed:\n  " + "\n  ".join(detail),
            f"is there a kind cluster named {cluster}? (`kind get clusters`)",
        )
