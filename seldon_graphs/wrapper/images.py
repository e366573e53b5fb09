"""Build the wrapper images of a graph with a real Docker engine (docker SDK 7.x).

    graph = api.load(path, Flags(base_image="seldon-graphs/base:bookworm"))
    plans = plan_graph(graph.spec, graph.tree)
    results = build_images(plans, push=False, kind_cluster=None, progress=ConsoleProgress())

- Tags are content hashes (`ContextPlan.image`): a plan whose tag exists locally is not
  built again, so building an unchanged graph builds nothing.
- The context is streamed to the engine from a temporary tar file with fixed metadata;
  large files go into it in chunks, checked against the plan (a file changed since
  planning fails the build: BuildFailed naming it, nothing tagged). Builds use host
  networking (`network_mode="host"`) and never inject proxy settings or build args, so
  nothing from this machine ends up in a layer.
- A build has three steps: `docker build` (untagged), a smoke run of the new image as its
  user (import the module, construct the class with the node's parameters, read the lock of
  installed versions), then a one-line build on top that adds the lock and base-image ID
  labels and the tag. So a tag exists only for an image that passed its smoke run.
- A failed build raises BuildFailed with the failing step and the tail of its log (control
  characters escaped); a failed smoke run raises SmokeFailed naming the node and its line.
- `push=True` first makes sure each registry lets us in (seldon_graphs.registry: the
  credentials from the Docker config or `auth_file`, a ping of /v2/), before anything is
  built. It then pushes each image with progress per layer (layers the registry has are
  skipped), tries a transient failure again (at most 3 times), and records the registry's
  digest; it never pushes over a registry tag that holds another image (that one is kept,
  with a warning) unless `force=True`. `kind_cluster` runs `kind load docker-image`.

Errors: BuildError (base), with DockerUnavailable, BuildFailed, SmokeFailed, PushFailed,
KindLoadFailed. Each has `render() -> str` for the CLI.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol, TextIO

from .. import engine
from .. import registry as _registry
from ..errors import SeldonGraphsError
from . import smoke as _smoke_module
from .context import CHUNK, CheckedReader, Content, ContextPlan, FileChanged

__all__ = [
    "BuildError",
    "BuildFailed",
    "BuildResult",
    "ConsoleProgress",
    "DockerUnavailable",
    "KindLoadFailed",
    "Progress",
    "PushFailed",
    "SmokeFailed",
    "build_images",
    "context_tar",
    "docker_client",
    "printable",
    "push_decision",
    "write_context_tar",
]

LOG_TAIL = 25  # lines of the failing step shown on failure
SMOKE_TIMEOUT = 120.0  # seconds for the smoke run (imports, the class's __init__)
LOCK_LABEL = "io.seldon-graphs.lock"
BASE_ID_LABEL = "io.seldon-graphs.base.id"
# Paths the .dockerignore keeps out of the image; `docker build DIR` drops them client-side,
# and so do we when making the tar. The daemon itself drops Dockerfile and .dockerignore.
_NOT_SENT = (".s2i/",)
# Terminal escape sequences (colours, cursor moves) in build output, then any other control
# character: printed raw they could rewrite the terminal or forge lines in a CI log.
_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class BuildError(SeldonGraphsError):
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


class SmokeFailed(BuildError):
    """The image built, but its node would not start: the import or the construction failed."""

    def __init__(self, plan: ContextPlan, problem: str, hint: str = "") -> None:
        where = f"{plan.smoke.where}: " if plan.smoke.where else ""
        super().__init__(
            f"{where}node {plan.node}: the image builds but the server would not start: "
            f"{printable(problem)}",
            printable(hint),
        )
        self.node = plan.node


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
    digest: str = ""  # the registry's manifest digest, once pushed (or found there)
    loaded_into: str | None = None  # kind cluster name
    licence: str = "Apache-2.0"  # of the seldon-core runtime inside
    warning: str = ""  # the smoke run's, when the node's __init__ may need the cluster


class Progress(Protocol):
    """Receives build events; ConsoleProgress prints them compactly."""

    def begin(self, plan: ContextPlan, cached: bool) -> None: ...

    def step(self, plan: ContextPlan, line: str) -> None: ...

    def output(self, plan: ContextPlan, line: str) -> None: ...

    def note(self, plan: ContextPlan, line: str) -> None: ...

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

    def note(self, plan: ContextPlan, line: str) -> None:
        self._write(f"[{plan.node}] {line}", whole=True)  # digests are not cut

    def end(self, result: BuildResult) -> None:
        size = f", {result.size / 1e6:.0f} MB" if result.size else ""
        how = f"built in {result.seconds:.1f}s" if result.built else "up to date"
        extra = (" pushed" if result.pushed else "") + (
            f" loaded into kind/{result.loaded_into}" if result.loaded_into else ""
        )
        self._write(f"[{result.node}] {how}: {result.image}{size}{extra}")
        if result.warning:
            self._write(f"warning: {result.warning}", whole=True)

    def close(self) -> None:
        """End a step line left open on a terminal (before printing an error)."""
        if self._tty and self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def _write(self, text: str, transient: bool = False, whole: bool = False) -> None:
        text = text if whole or len(text) <= self.width else text[: self.width - 1] + "…"
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

    def note(self, plan: ContextPlan, line: str) -> None:
        pass

    def end(self, result: BuildResult) -> None:
        pass


def docker_client() -> Any:
    """A docker SDK client that answers (a build may take minutes: a long request timeout),
    or DockerUnavailable saying what to do."""
    try:
        return engine.client(timeout=600)
    except engine.Unreachable as exc:
        raise DockerUnavailable(str(exc), engine.HINT) from exc


def printable(text: str) -> str:
    """`text` without terminal escape sequences, other control characters shown as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", _ESCAPE.sub("", text))


def write_context_tar(files: Mapping[str, Content], out: IO[bytes]) -> None:
    """`files` as a tar with fixed owners, modes and times: same files, same bytes.

    Large files (FileRef) are streamed in CHUNKs and checked as they go: FileChanged if one
    is not what was planned."""
    with tarfile.TarFile(
        fileobj=out, mode="w", format=tarfile.PAX_FORMAT, copybufsize=CHUNK
    ) as tar:
        for rel, content in files.items():
            if rel.startswith(_NOT_SENT):
                continue
            info = tarfile.TarInfo(rel)
            info.mode, info.mtime = 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if isinstance(content, bytes):
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))  # shares the bytes, no copy
            else:
                info.size = content.size
                with CheckedReader(content) as source:
                    tar.addfile(info, source)


def context_tar(plan: ContextPlan) -> bytes:
    """The plan's context tar in memory (for tests and small contexts)."""
    buf = io.BytesIO()
    write_context_tar(plan.files, buf)
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
    force: bool = False,
    check: bool = False,
    auth_file: str | Path | None = None,
) -> list[BuildResult]:
    """Build (if missing), then optionally push and kind-load, every plan's image.

    `no_cache` rebuilds every layer of images that are missing (a cold build); images whose
    tag exists are still skipped. `check` smoke-runs those too (parameters are not part of
    the tag). `force` lets a push overwrite a registry tag that holds another image.
    `auth_file` (a Docker config file) replaces ~/.docker/config.json for the registry.
    """
    plans = list(plans)
    progress = progress or _Quiet()
    if kind_cluster:
        _kind_binary()  # fail before building anything
    client = client or docker_client()
    registries = _registries(client, plans, auth_file) if push else {}
    results = []
    for plan in plans:
        result = _build_one(client, plan, progress, network_mode, no_cache)
        if check and not result.built:
            _, warning = smoke_run(client, plan.image, plan, network_mode)
            result = _replace(result, warning=warning)
        if push:
            access = registries[_registry.registry_host(plan.repository)]
            pushed, digest, kept = _push(client, plan, access, force, progress)
            warnings = "\n".join(filter(None, (result.warning, kept)))
            result = _replace(result, pushed=pushed, digest=digest, warning=warnings)
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
    with tempfile.TemporaryFile(prefix="seldon-graphs-context-") as context:
        _context_file(plan, context)
        options = {"nocache": no_cache, "network_mode": network_mode}
        image_id = _follow(_build(client, context, None, options), plan, progress, base_present)
    if not image_id:
        raise BuildFailed(plan.node, plan.image, "", [], "the engine reported no image ID")
    try:
        lock, warning = smoke_run(client, image_id, plan, network_mode)
        _label_and_tag(client, plan, image_id, lock, network_mode)
    finally:
        _remove(client, image_id)  # untags nothing: drops the bare image if it was refused
    return BuildResult(
        plan.node,
        plan.image,
        True,
        time.monotonic() - start,
        _image_size(client, plan.image),
        licence=plan.licence,
        warning=warning,
    )


def _context_file(plan: ContextPlan, out: IO[bytes]) -> None:
    """The plan's context tar in `out`, rewound; BuildFailed if a file changed since planning
    (before anything reaches the engine: nothing is built or tagged)."""
    try:
        write_context_tar(plan.files, out)
    except FileChanged as exc:
        raise BuildFailed(
            plan.node,
            plan.image,
            "",
            [],
            str(exc),
            "build again when the file no longer changes: its new content gets a new tag",
        ) from None
    out.seek(0)


def _build(
    client: Any, context: IO[bytes], tag: str | None, options: Mapping[str, Any]
) -> Iterator[Mapping[str, Any]]:
    stream: Iterator[Mapping[str, Any]] = client.api.build(
        fileobj=context,
        custom_context=True,
        tag=tag,
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
        use_config_proxy=False,  # proxy settings would become build args, visible in layers
        **options,
    )
    return stream


def _label_and_tag(
    client: Any, plan: ContextPlan, image_id: str, lock: Sequence[str], network_mode: str
) -> None:
    """The smoke-tested image, with the lock and base ID labels, under the plan's tag."""
    from .context import label_arguments

    labels = {LOCK_LABEL: " ".join(lock), BASE_ID_LABEL: plan.base_id or "unknown"}
    text = f"FROM {image_id}\nLABEL {label_arguments(labels)}"
    buf = io.BytesIO()
    write_context_tar({"Dockerfile": text.encode() + b"\n"}, buf)
    buf.seek(0)
    stream = _build(client, buf, plan.image, {"network_mode": network_mode})
    _follow(stream, plan, _Quiet(), True)


def _remove(client: Any, image_id: str) -> None:
    from docker.errors import APIError

    # Refused while it is the parent of the tagged image (the usual case): that is fine.
    with contextlib.suppress(APIError):
        client.images.remove(image_id, noprune=False)


def smoke_run(
    client: Any, image: str, plan: ContextPlan, network_mode: str = "host"
) -> tuple[list[str], str]:
    """Load the node in `image` as seldon-core-microservice will: (the lock of installed
    versions, a warning or ""), or SmokeFailed.

    It runs with the build's network: a class that fetches something in __init__ (model
    weights into ~/.cache) can, as it will in the cluster.
    """
    inputs = plan.smoke
    command = ["python3", "-I", "-c", _SMOKE_SOURCE, inputs.module, inputs.class_name]
    environment = dict(inputs.environment)
    environment |= {
        "PREDICTIVE_UNIT_PARAMETERS": inputs.parameters,
        "PREDICTIVE_UNIT_ID": plan.node,
    }
    container = client.containers.create(
        image, command, environment=environment, network_mode=network_mode
    )
    try:
        container.start()
        _wait(container, plan)
        out = container.logs(stdout=True, stderr=False).decode(errors="replace")
        err = container.logs(stdout=False, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True)
    return _smoke_answer(plan, out, err)


_SMOKE_SOURCE = Path(_smoke_module.__file__).read_text(encoding="utf-8")


def _wait(container: Any, plan: ContextPlan) -> None:
    import requests

    try:
        container.wait(timeout=SMOKE_TIMEOUT)
    except requests.exceptions.RequestException:
        raise SmokeFailed(
            plan,
            f"loading the class did not finish within {SMOKE_TIMEOUT:.0f} s",
            "the class's __init__ (or the module's top level) must not block; do slow "
            "work in load()",
        ) from None


def _smoke_answer(plan: ContextPlan, out: str, err: str) -> tuple[list[str], str]:
    answer = _last_json(out)
    if answer is None:
        tail = " | ".join(err.strip().splitlines()[-5:])
        raise SmokeFailed(plan, f"the smoke run printed no result: {tail or 'no output'}")
    lock = [str(item) for item in answer.get("lock", [])]
    if answer.get("ok"):
        return lock, ""
    error, hint = str(answer.get("error")), str(answer.get("hint") or "")
    if answer.get("stage") != "construct" or not plan.smoke.cluster_only:
        raise SmokeFailed(plan, error, hint)
    needs = ", ".join(plan.smoke.cluster_only)
    return lock, printable(
        f"{plan.smoke.where}: node {plan.node}: its class could not be built here ({error}); "
        f"it uses {needs}, which only the cluster provides, so the image is kept: check the "
        "node's log after deploying"
    )


def _last_json(out: str) -> dict[str, Any] | None:
    """The smoke run's answer: its last line (the user's code may print before it)."""
    for line in reversed(out.splitlines()):
        try:
            answer = json.loads(line)
        except ValueError:
            continue
        return answer if isinstance(answer, dict) else None
    return None


def _follow(
    stream: Iterator[Mapping[str, Any]], plan: ContextPlan, progress: Progress, base_present: bool
) -> str:
    """Consume the engine's build stream: the new image's ID, or BuildFailed."""
    step, tail, image_id = "", deque[str](maxlen=LOG_TAIL), ""
    for record in stream:
        if "error" in record:
            reason = printable(
                str(record.get("error") or record.get("errorDetail", {}).get("message", ""))
            ).strip()
            hint = _hint(plan, step, reason, base_present)
            raise BuildFailed(plan.node, plan.image, step, list(tail), reason, hint)
        image_id = str(record.get("aux", {}).get("ID", image_id))
        for raw in str(record.get("stream", "")).splitlines():
            line = printable(raw.rstrip())
            if line.startswith("Step ") and " : " in line:
                step = line
                tail.clear()
                progress.step(plan, line)
            elif line and not line.startswith((" ---> ", "Removing intermediate container")):
                tail.append(line)
                progress.output(plan, line)
    return image_id


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


PushAction = Literal["push", "skip", "keep"]


def push_decision(remote: str | None, local: Iterable[str], force: bool) -> PushAction:
    """Whether to push, given the registry's manifest digest for the tag (None: no such
    tag) and the digests this image is known by in that repository (its RepoDigests).

    A tag already holding this image is skipped. One holding another image (built from the
    same inputs elsewhere, e.g. by an earlier CI runner: the tag is their hash) is kept as
    it is, unless `force`: a tag keeps the content it was first pushed with.
    """
    if remote is None:
        return "push"
    if remote in set(local):
        return "skip"
    return "push" if force else "keep"


def _registries(
    client: Any, plans: Sequence[ContextPlan], auth_file: str | Path | None
) -> dict[str, _registry.Access]:
    """Each registry the plans push to, logged into and pinged: before anything is built."""
    config = client.info().get("RegistryConfig") or {}
    try:
        return _registry.open_registries((p.repository for p in plans), auth_file, config)
    except _registry.RegistryError as err:
        raise PushFailed(err.message, err.hint) from None


def _push(
    client: Any, plan: ContextPlan, access: _registry.Access, force: bool, progress: Progress
) -> tuple[bool, str, str]:
    """Push unless the registry has an image under this tag: (pushed, digest, a warning
    or ""); a transient failure is tried again."""

    def say(line: str) -> None:
        progress.note(plan, printable(line))

    def step(line: str) -> None:
        progress.step(plan, printable(line))

    def attempt() -> tuple[bool, str, str]:
        path = _registry.repository_path(plan.repository)
        remote = access.manifest_digest(path, plan.tag)
        action = push_decision(remote, _local_digests(client, plan), force)
        if action == "push":
            records = _push_records(client, plan, access)
            report = _registry.follow_push(records, plan.image, say, step)
            say(f"pushed {plan.repository}@{report.digest}: {report.summary()}")
            return True, report.digest, ""
        assert remote is not None  # only "push" answers a missing tag
        if action == "skip":
            say(f"{plan.repository}@{remote} is already in the registry: nothing to push")
            return False, remote, ""
        return False, remote, _kept(plan, remote)

    try:
        return _registry.retried(attempt, f"pushing {plan.image}", say)
    except _registry.RegistryError as err:
        raise PushFailed(printable(err.message), err.hint) from None


def _kept(plan: ContextPlan, remote: str) -> str:
    return (
        f"the registry already has {plan.image} ({remote}), pushed from elsewhere; it is "
        "kept, not overwritten, and the cluster will run it (its io.seldon-graphs.lock label "
        "says what it holds). Pin requirements for tags that mean one content everywhere, "
        "or push with --force to replace it"
    )


def _local_digests(client: Any, plan: ContextPlan) -> list[str]:
    digests = client.images.get(plan.image).attrs.get("RepoDigests") or []
    prefix = f"{plan.repository}@"
    return [d.removeprefix(prefix) for d in digests if d.startswith(prefix)]


def _push_records(
    client: Any, plan: ContextPlan, access: _registry.Access
) -> Iterator[Mapping[str, Any]]:
    """The engine's push stream; its API errors as RegistryErrors (transient or not)."""
    from docker.errors import APIError

    auth = access.credentials.auth_config() if access.credentials else None
    try:
        yield from client.api.push(
            plan.repository, tag=plan.tag, stream=True, decode=True, auth_config=auth
        )
    except APIError as exc:
        message = str(exc.explanation or exc)
        raise _registry.RegistryError(
            f"pushing {plan.image} failed: {message}",
            transient=_registry.transient(message),
        ) from None


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
