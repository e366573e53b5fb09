"""Docker build contexts for the Python and stock nodes of a graph (and, through
`assemble`, for generated server images: server_context.py).

`plan_context` is pure: the same spec, node and role give byte-identical files, and the
image tag is a hash of them, so an unchanged node is never rebuilt. `write_context` puts a
plan on disk atomically (for `docker build`, `s2i build`, or a look inside).

Context layout (flat, so `s2i build` works on it too):

    Dockerfile              base image, venv, requirements layer, code layer, USER 8888
    requirements.txt        seldon-core==<runtime> (+ setuptools<81), then the node's lines
    seldon_graphs_adapter.py  wrapper/adapter.py verbatim
    seldon_graphs_entry.py  `Adapter = make_adapter(<Class>, "<ROLE>")`
    seldon_graphs_init.py   wrapper/init.py verbatim: PID 1, stops the whole server
    seldon_graphs_launch.py wrapper/launcher.py verbatim: the command (seldon-core-microservice
                            with keep-alive and no idle metrics round trips)
    <module>.py             the user's (or the stock) module, plus the node's `files`
    .seldon-graphs-data/    the files of LARGE_FILE bytes and more, for a layer of their own
    .s2i/environment        MODEL_NAME, SERVICE_TYPE, PERSISTENCE=0, API_TYPE=REST
    .dockerignore           keeps the build files out of /app (the engine applies it)

Every value that reaches the Dockerfile or requirements.txt is validated here: paths stay
inside the project root, names are identifiers, requirement lines are plain PEP 508
requirements without pip options, URLs or variables, and no secret or machine-specific value
is written into any file (which project files are copied: collect.py). The checks report
findings at graph keys; `validate` runs them through `check_context`
(seldon_graphs.context_check), so compile and build never meet a problem validate missed.

Large files are held by reference (FileRef: path, size, sha256), never in memory: planning
reads each once, in CHUNKs, to hash it; sending (images.py) or writing the context streams
it once more through a CheckedReader, which refuses a file changed since (FileChanged). So
memory does not grow with a file's size, and the digest is the one of the files' contents.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections import deque
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar, assert_never

from seldon_graphs import emit, safety
from seldon_graphs.generated_servers import builds_image, is_generated
from seldon_graphs.settings import SELDON_CORE_HELP, SELDON_CORE_RELEASES
from seldon_graphs.spec import (
    BuiltinSource,
    GraphSpec,
    ImageSource,
    NodeSpec,
    NoSource,
    PythonRef,
    PythonSource,
    Role,
    ServerSource,
    StockSource,
)
from seldon_graphs.tree import TreeNode

from .collect import collect_files, credential_why, project_file
from .findings import ContextError, Finding, Findings

__all__ = [
    "ADAPTER_MODULE",
    "APP_DIR",
    "ENTRY_MODULE",
    "RUNTIME_UID",
    "CheckedReader",
    "Content",
    "ContextError",
    "ContextPlan",
    "FileChanged",
    "FileRef",
    "Finding",
    "SmokeInputs",
    "builds_image",
    "check_context",
    "image_tag",
    "label_arguments",
    "plan_context",
    "plan_graph",
    "plan_node",
    "runtime_licence",
    "write_context",
]

ADAPTER_MODULE = "seldon_graphs_adapter"
ENTRY_MODULE = "seldon_graphs_entry"
INIT_MODULE = "seldon_graphs_init"
LAUNCH_MODULE = "seldon_graphs_launch"
HOME_DIR = "/home/seldon"
# Files at least this big go into their own layer, below the code: a code change then
# does not copy them again, and nodes sharing them share the layer.
LARGE_FILE = 1 << 20
DATA_DIR = ".seldon-graphs-data"  # where large files wait in the context, for that layer
CHUNK = 1 << 20  # how much of a large file is in memory at a time
APP_DIR = "/app"
VENV_DIR = "/opt/venv"
RUNTIME_UID = 8888
PORTS = (9000, 9500, 6000)  # REST, gRPC, metrics: what the operator injects via env
DEFAULT_REGISTRY = "seldon-graphs"
# Reproducible-builds convention: a fixed creation date instead of the build time.
CREATED = "1970-01-01T00:00:00Z"
# seldon-core-microservice --service-type choices; it has no OUTPUT_TRANSFORMER (the flag is
# parsed but unused: every endpoint is served whatever the type).
SERVICE_TYPES: dict[Role, str] = {
    Role.MODEL: "MODEL",
    Role.TRANSFORMER: "TRANSFORMER",
    Role.OUTPUT_TRANSFORMER: "TRANSFORMER",
    Role.ROUTER: "ROUTER",
    Role.COMBINER: "COMBINER",
}

_SAFE_PATH_CHARS = re.compile(r"[A-Za-z0-9._/-]+\Z")
_GENERATED = frozenset(
    {"Dockerfile", "requirements.txt", ".dockerignore", ".s2i/environment"}
    | {f"{ADAPTER_MODULE}.py", f"{ENTRY_MODULE}.py", f"{INIT_MODULE}.py", f"{LAUNCH_MODULE}.py"}
)
_BUILD_ONLY = frozenset({"Dockerfile", ".dockerignore", ".s2i", DATA_DIR})  # top-level names


@dataclass(frozen=True)
class SmokeInputs:
    """What the build's smoke run needs to load the node as the cluster will. Not part of
    the image (the operator passes parameters and environment at run time)."""

    module: str = ""
    class_name: str = ""
    parameters: str = "[]"  # PREDICTIVE_UNIT_PARAMETERS
    environment: tuple[tuple[str, str], ...] = ()  # the node's plain `env` (never secrets)
    # Inputs only the cluster provides (secret_env names, a model_uri): when the node has
    # any, a failure inside its __init__ may be theirs, and is a warning, not an error.
    cluster_only: tuple[str, ...] = ()
    where: str = ""  # graph file:line:col of the node, for messages


@dataclass(frozen=True)
class FileRef:
    """A large project file in a plan, held by reference: its content is streamed from
    `path` when the context is sent or written, and checked against `size` and `sha256`
    then, so a file changed since planning never goes out under the planned tag."""

    path: Path
    size: int
    sha256: str


# A context file's content: in memory (generated files, project files under LARGE_FILE), or
# a large project file by reference.
Content = bytes | FileRef


class FileChanged(ContextError):
    """A large file is not what planning hashed (size or content): the plan's tag is not its."""

    def __init__(self, ref: FileRef, now: str) -> None:
        super().__init__(
            f"`{ref.path}` changed after its build context was planned (planned: {ref.size} "
            f"bytes, sha256 {ref.sha256[:12]}; now: {now})"
        )
        self.ref = ref


@dataclass(frozen=True)
class ContextPlan:
    """One node's build context. `files` maps POSIX paths to contents, sorted; large project
    files are FileRefs (by reference), everything else bytes."""

    node: str
    files: dict[str, Content] = field(hash=False)  # the digest stands for them
    digest: str  # sha256 hex over every path and content
    image: str  # <registry>/<graph>-<node>:<tag>, tag: see `image_tag`
    role: Role = Role.MODEL
    seldon_core: str = "1.17.1"
    base_image: str = "python:3.11-slim"
    # What planning left out and said so (credential-like files, ...); validate shows them.
    warnings: tuple[Finding, ...] = field(default=(), compare=False)
    base_id: str = ""  # the base image's ID on this engine when it had one at planning time
    smoke: SmokeInputs = field(default_factory=lambda: SmokeInputs())

    @property
    def tag(self) -> str:
        return self.image.rsplit(":", 1)[1]

    @property
    def repository(self) -> str:
        return self.image.rsplit(":", 1)[0]

    @property
    def dockerfile(self) -> str:
        content = self.files["Dockerfile"]
        assert isinstance(content, bytes)  # generated: always in memory
        return content.decode()

    @property
    def licence(self) -> str:
        return runtime_licence(self.seldon_core)


def runtime_licence(version: str) -> str:
    """The licence of a seldon-core release: 1.18.0 and later are BSL 1.1."""
    match = SELDON_CORE_RELEASES.match(version)
    minor = int(match.group(1)) if match else 99
    return "Apache-2.0" if minor < 18 else "Business Source License 1.1"


@dataclass(frozen=True)
class _Inputs:
    """What a node's context is made of, every value checked; nothing read yet but the
    requirements file."""

    root: Path
    graph: str
    name: str
    registry: str
    version: str
    base: str
    module: str
    class_name: str
    code: Path
    files: dict[str, Path]
    requirements: tuple[str, ...]


def runtime_files() -> dict[str, bytes]:
    """What every image we build runs besides its own code: the init module and the
    launcher the Dockerfile's command starts (wrapper images and generated servers alike)."""
    return {
        f"{INIT_MODULE}.py": _own_source("init.py"),
        f"{LAUNCH_MODULE}.py": _own_source("launcher.py"),
    }


def _own_source(name: str) -> bytes:
    """A module of this package that images carry, read as a file and not imported:
    `validate` checks contexts without making them and need not load it."""
    return Path(__file__).with_name(name).read_bytes()


def plan_context(
    spec: GraphSpec, node: NodeSpec, role: Role | str, base_id: str | None = None
) -> ContextPlan:
    """The build context of one PYTHON or STOCK node serving `role`.

    Raises ContextError (with every finding) when any check fails; `check_context` runs
    the same checks without raising. The files are a pure function of the arguments. The
    tag also covers `base_id`, the base image's ID (looked up on the local engine when
    None, "" when it has none), so a moved base tag gives a new image tag.
    """
    role = _check_role(node, role)
    found = Findings(node.name)
    inputs = _inputs(spec, node, found)
    found.raise_if_failed()
    assert inputs is not None
    small, large = _split_by_size({f"{inputs.module}.py": inputs.code, **inputs.files}, inputs.name)
    generated = {
        "requirements.txt": _requirements(inputs.version, inputs.requirements),
        f"{ADAPTER_MODULE}.py": _own_source("adapter.py"),
        f"{ENTRY_MODULE}.py": _entry(inputs.module, inputs.class_name, role).encode(),
        **runtime_files(),
        ".s2i/environment": _s2i_environment(role).encode(),
        ".dockerignore": _DOCKERIGNORE.encode(),
    }
    parts = Parts(
        inputs.root,
        inputs.name,
        ImageSettings(inputs.registry, inputs.version, inputs.base),
        role,
        f"seldon-graphs wrapper: node {inputs.name} ({role})",
        small,
        large,
        generated,
    )
    smoke = _smoke_inputs(spec, inputs.root, node, inputs.module, inputs.class_name)
    return assemble(spec, parts, smoke, base_id, tuple(found.items))


@dataclass(frozen=True)
class ImageSettings:
    registry: str
    version: str  # of the seldon-core runtime
    base: str  # base image


@dataclass(frozen=True)
class Parts:
    """One image's context before hashing: the project files (read, or measured when
    large) and the generated files; the Dockerfile is made from them."""

    root: Path
    name: str  # the node's
    settings: ImageSettings
    role: Role
    description: str  # the image's description label
    small: dict[str, bytes]
    large: dict[str, _Pending]
    generated: dict[str, bytes]


def assemble(
    spec: GraphSpec,
    parts: Parts,
    smoke: SmokeInputs,
    base_id: str | None = None,
    warnings: tuple[Finding, ...] = (),
) -> ContextPlan:
    """The plan of `parts`: their Dockerfile, digest and content-hash tag.

    The files are a pure function of the arguments. The tag also covers `base_id`, the base
    image's ID (looked up on the local engine when None, "" when it has none)."""
    name, role, (registry, version, base) = parts.name, parts.role, astuple(parts.settings)
    graph = spec.name
    # Two digests, each over every path and content: the inputs' (a label) and the final
    # context's (the tag). One read of each large file feeds both.
    planned: dict[str, bytes | _Pending] = {**parts.small, **parts.large, **parts.generated}
    views = (_RunningDigest(planned), _RunningDigest(_large_files_apart(planned)))
    refs = {rel: _hash_large(parts.large[rel], views, name) for rel in sorted(parts.large)}
    digest_of_inputs = views[0].finish()
    labels = {
        "org.opencontainers.image.title": f"{graph}-{name}",
        "org.opencontainers.image.description": parts.description,
        "org.opencontainers.image.source": _source_label(spec, parts.root),
        "org.opencontainers.image.version": digest_of_inputs[:12],
        "org.opencontainers.image.created": CREATED,
        "org.opencontainers.image.base.name": base,
        "io.seldon-graphs.graph": graph,
        "io.seldon-graphs.node": name,
        "io.seldon-graphs.role": str(role),
        "io.seldon-graphs.runtime": f"seldon-core=={version} ({runtime_licence(version)})",
    }
    contents: dict[str, Content] = {**parts.small, **refs, **parts.generated}
    files = _large_files_apart(contents)
    grpc = spec.transport == "grpc"
    dockerfile = _dockerfile(base, labels, role, graph, name, files, grpc).encode()
    files["Dockerfile"] = dockerfile
    files = dict(sorted(files.items()))
    digest = views[1].finish({"Dockerfile": dockerfile})
    if base_id is None:
        from seldon_graphs.settings import base_image_id

        base_id = base_image_id(base)
    image = f"{registry}/{graph}-{name}:{image_tag(digest, base_id)}"
    return ContextPlan(
        name,
        files,
        digest,
        image,
        role,
        version,
        base,
        warnings=warnings,
        base_id=base_id,
        smoke=smoke,
    )


def check_context(spec: GraphSpec, node: NodeSpec) -> tuple[Finding, ...]:
    """Every error and warning planning `node`'s context would give, without planning it."""
    found = Findings(node.name)
    if is_generated(node):  # no project files: the image settings are all it reads
        _settings(spec, node, found)
        _root(spec, found)
    else:
        _inputs(spec, node, found)
    return tuple(found.items)


def image_tag(digest: str, base_id: str) -> str:
    """12 hex digits over the context's digest and the resolved base image ID (if any)."""
    if not base_id:
        return digest[:12]
    return hashlib.sha256(f"{digest}\0{base_id}".encode()).hexdigest()[:12]


def plan_node(spec: GraphSpec, node: NodeSpec, role: Role | str) -> ContextPlan:
    """The build context of a node whose image seldon-graphs builds (see builds_image)."""
    if is_generated(node):
        from .server_context import plan_server_context  # it builds on this module

        return plan_server_context(spec, node)
    return plan_context(spec, node, role)


def plan_graph(spec: GraphSpec, tree: TreeNode) -> list[ContextPlan]:
    """The contexts of every node whose image seldon-graphs builds, in tree (pre-)order."""
    return [
        plan_node(spec, spec.node(t.name), t.role)
        for t in tree.walk()
        if builds_image(spec.node(t.name))
    ]


def write_context(plan: ContextPlan, dest: Path) -> Path:
    """Write the context to `dest` atomically: a sibling temp dir renamed into place.

    An existing `dest` is replaced only if it is a directory written by us before (it holds
    a `seldon_graphs_entry.py`); anything else is refused rather than deleted.
    """
    dest = Path(dest)
    if dest.exists() and not (dest / f"{ENTRY_MODULE}.py").is_file():
        raise ContextError(f"{dest} exists and is not a seldon-graphs build context")
    with emit.staged_dir(dest) as staged:
        for rel, content in plan.files.items():
            path = staged / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                with CheckedReader(content) as source, path.open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
    return dest


class CheckedReader:
    """A large file of a plan, read as planned (for streaming it into a tar or a copy):
    `read` raises FileChanged as soon as the file turns out shorter, longer or other than
    what planning hashed. Its last read of the planned size does the final checks."""

    def __init__(self, ref: FileRef) -> None:
        self.ref = ref
        self._hash = hashlib.sha256()
        self._left = ref.size
        try:
            self._file = ref.path.open("rb")
        except OSError as exc:
            raise FileChanged(ref, f"unreadable: {exc.strerror or exc}") from None

    def __enter__(self) -> CheckedReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()

    def read(self, size: int = -1) -> bytes:
        want = self._left if size < 0 else min(size, self._left)
        data = self._file.read(want)
        self._hash.update(data)
        self._left -= len(data)
        if len(data) < want:
            raise FileChanged(self.ref, f"{self.ref.size - self._left} bytes")
        if want and not self._left:
            if self._file.read(1):
                raise FileChanged(self.ref, f"more than {self.ref.size} bytes")
            if (now := self._hash.hexdigest()) != self.ref.sha256:
                raise FileChanged(self.ref, f"sha256 {now[:12]}")
        return data


# --- validation -----------------------------------------------------------------------


def _check_role(node: NodeSpec, role: Role | str) -> Role:
    try:
        resolved = Role(str(role))
    except ValueError:
        resolved = None
    if resolved not in SERVICE_TYPES:
        raise ContextError(f"node {node.name}: role {role!s} has no wrapper image")
    assert resolved is not None
    return resolved


def _inputs(spec: GraphSpec, node: NodeSpec, found: Findings) -> _Inputs | None:
    """Every check of a node's context, reported to `found`; the inputs if all pass."""
    settings = _settings(spec, node, found)
    root = _root(spec, found)
    if root is None:
        return None
    code = _node_code(root, node, found)
    requirements, requirements_path = _requirement_lines(root, node, found)
    module, class_name, module_file = code or ("", "", None)
    reserved = _GENERATED | ({f"{module}.py"} if module else set())
    already = tuple(p for p in (module_file, requirements_path) if p is not None)
    files = collect_files(root, node, reserved, already, found)
    if found.failed or settings is None or module_file is None:
        return None
    registry, version, base = settings
    return _Inputs(
        root,
        spec.name,
        node.name,
        registry,
        version,
        base,
        module,
        class_name,
        module_file,
        files,
        requirements,
    )


def _settings(spec: GraphSpec, node: NodeSpec, found: Findings) -> tuple[str, str, str] | None:
    """(registry, runtime version, base image), checked with the graph and node names."""
    version = _check_version(spec.runtime.seldon_core, found)
    base = _check_image_ref(spec.runtime.base_image, found)
    if version is not None and base is not None:
        _check_python_for_runtime(version, base, found)
    if why := safety.dns_label(spec.name):
        found.graph_error("name", f"graph name: {why}", "bad-name")
    if why := safety.dns_label(node.name):
        found.error("", f"node name: {why}", "bad-name")
    registry = _check_registry(spec.registry or DEFAULT_REGISTRY, found)
    if registry is None or version is None or base is None:
        return None
    return registry, version, base


def _check_version(version: str, found: Findings) -> str | None:
    if SELDON_CORE_RELEASES.match(version):
        return version
    found.graph_error(
        "runtime.seldon_core",
        f"runtime.seldon_core `{safety.shown(version)}` is not supported",
        "bad-runtime",
        SELDON_CORE_HELP,
    )
    return None


def _check_python_for_runtime(version: str, base: str, found: Findings) -> None:
    """seldon-core 1.19 needs Python >= 3.12; catch the base images whose Python we know."""
    if not version.startswith("1.19."):
        return
    known = re.match(r"(?:docker\.io/)?(?:library/)?python:3\.(\d+)", base)
    old = (known is not None and int(known.group(1)) < 12) or base.startswith(
        "seldon-graphs/base:bookworm"
    )
    if old:
        found.graph_error(
            "runtime.seldon_core",
            f"seldon-core {version} needs Python >= 3.12 but base image {base} has an older Python",
            "bad-runtime",
            "set runtime.base_image (or --base-image) to e.g. python:3.12-slim, or use "
            "seldon-core 1.17.1",
        )


def _check_image_ref(ref: str, found: Findings) -> str | None:
    if why := safety.image_ref(ref):
        found.graph_error("runtime.base_image", f"runtime.base_image: {why}", "bad-image")
        return None
    return ref


def _check_registry(registry: str, found: Findings) -> str | None:
    from seldon_graphs.settings import registry_problem

    if why := registry_problem(registry):
        found.graph_error(
            "registry",
            why,
            "bad-image",
            "write host[:port]/path in lower case, e.g. registry.example.com/ml",
        )
        return None
    return registry


def _check_identifier(name: str, key: str, what: str, found: Findings) -> str | None:
    if why := safety.python_identifier(name):
        found.error(key, f"{what}: {why}", "bad-module")
        return None
    return name


def _root(spec: GraphSpec, found: Findings) -> Path | None:
    try:
        return Path(spec.root).resolve(strict=True)
    except OSError:
        found.graph_error("", f"project root {spec.root} does not exist", "missing-file")
        return None


# --- contents -------------------------------------------------------------------------


def _node_code(root: Path, node: NodeSpec, found: Findings) -> tuple[str, str, Path] | None:
    """(module name, class name, module file) of a PYTHON or STOCK node."""
    match node.source:
        case StockSource(name=name, component=component):
            if component is None:
                found.error("stock", f"unknown stock component `{name}`", "unknown-stock")
                return None
            module = _check_identifier(component.module, "stock", "stock module", found)
            return (module, component.class_name, component.file) if module else None
        case PythonSource(ref=ref):
            return _python_code(root, ref, found)
        case ServerSource() | ImageSource() | BuiltinSource() | NoSource():
            found.error("", "only python and stock nodes get wrapper images", "no-source")
            return None
        case _:
            assert_never(node.source)


def _python_code(
    root: Path, ref: PythonRef | None, found: Findings
) -> tuple[str, str, Path] | None:
    if ref is None:
        found.error("python", "`python` takes `path/to/module.py:ClassName`", "bad-value")
        return None
    if not ref.path.endswith(".py"):
        found.error("python", f"python module `{ref.path}` must be a .py file", "missing-file")
        return None
    path = project_file(root, ref.path, "python", "python module", found)
    module = _check_identifier(ref.module, "python", "module name", found)
    class_name = _check_identifier(ref.class_name, "python", "class name", found)
    if module in (ADAPTER_MODULE, ENTRY_MODULE):
        found.error("python", f"module name {module} is reserved", "bad-module", "rename it")
        return None
    if path is None or module is None or class_name is None:
        return None
    return module, class_name, path


def _requirement_lines(
    root: Path, node: NodeSpec, found: Findings
) -> tuple[tuple[str, ...], Path | None]:
    """The node's checked requirement lines, and the requirements file they came from."""
    lines = [
        line.strip()
        for i, line in enumerate(node.requirements)
        if _requirement_ok(line, f"requirements[{i}]", "", found)
    ]
    rel = node.requirements_file
    path = rel and project_file(root, rel, "requirements", "requirements file", found)
    if not rel or not path:
        return tuple(lines), None
    if why := credential_why(root, path):
        found.error("requirements", f"`{rel}` is not read: {why}", "credential-file")
        return tuple(lines), None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        found.error("requirements", f"`{rel}` cannot be read: {exc}", "io")
        return tuple(lines), None
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line and _requirement_ok(line, "requirements", f"`{rel}` line {number}: ", found):
            lines.append(line)
    return tuple(lines), path


def _requirement_ok(line: str, key: str, where: str, found: Findings) -> bool:
    if why := safety.requirement(line):
        help = "one PEP 508 requirement per line, e.g. `numpy>=1.26,<2`"
        if line.lstrip().startswith("-"):
            help = "private indexes are not supported; vendor wheels into the project"
        found.error(key, f"{where}{why}", "bad-requirement", help)
        return False
    if safety.requirement_owned_by_runtime(line):
        found.error(
            key,
            f"{where}seldon-core is the runtime, not a requirement",
            "bad-requirement",
            "remove it; choose the version with `runtime: {seldon_core: ...}`",
        )
        return False
    return True


def _requirements(version: str, user: tuple[str, ...]) -> bytes:
    lines = [f"seldon-core=={version}"]
    if not version.startswith("1.19."):
        lines.append("setuptools<81  # gunicorn 20.1 imports pkg_resources")
    header = "# Generated by seldon-graphs: the wrapper runtime, then the node's requirements.\n"
    return (header + "\n".join([*lines, *user]) + "\n").encode()


def _entry(module: str, class_name: str, role: Role) -> str:
    return (
        f'"""Generated by seldon-graphs: serves {module}.{class_name} as {role}."""\n\n'
        f"from {ADAPTER_MODULE} import make_adapter\n"
        f"from {module} import {class_name}\n\n"
        f'Adapter = make_adapter({class_name}, "{role}")\n'
    )


def _s2i_environment(role: Role) -> str:
    return (
        f"MODEL_NAME={ENTRY_MODULE}.Adapter\n"
        f"SERVICE_TYPE={SERVICE_TYPES[role]}\n"
        "PERSISTENCE=0\n"
        "API_TYPE=REST\n"
    )


# Which project files are in a context is decided when it is made (collect.py); this file
# only keeps the build's own files out of /app, which the engine does when it sees it.
_DOCKERIGNORE = """\
# Generated by seldon-graphs: the build files stay out of the image.
Dockerfile
.dockerignore
.s2i
"""


def _source_label(spec: GraphSpec, root: Path) -> str:
    try:
        rel = Path(spec.file).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        rel = Path(spec.file).name
    return rel if _SAFE_PATH_CHARS.match(rel) else f"{spec.name}.yaml"


def _dockerfile(
    base: str,
    labels: dict[str, str],
    role: Role,
    graph: str,
    node: str,
    files: Mapping[str, Content],
    grpc: bool,
) -> str:
    label_lines = label_arguments(labels, " \\\n      ")
    command = (
        "python3",
        "-I",
        f"{APP_DIR}/{INIT_MODULE}.py",
        "python3",
        f"{APP_DIR}/{LAUNCH_MODULE}.py",
        f"{ENTRY_MODULE}.Adapter",
        "--service-type",
        SERVICE_TYPES[role],
    )
    uid = RUNTIME_UID
    source = labels["org.opencontainers.image.source"]
    return f"""\
# Generated by seldon-graphs for node {node} of graph {graph} (role {role}); do not edit.
# Show it again with: seldon-graphs dockerfile {source} {node}
FROM {base}
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    VIRTUAL_ENV={VENV_DIR} \\
    PATH={VENV_DIR}/bin:$PATH \\
    HOME={HOME_DIR} \\
    TMPDIR=/tmp
# Requirements before code: changing the code does not reinstall them. The versions pip
# installed are locked in requirements.lock (and in the image's io.seldon-graphs.lock
# label); pip leaves the image in the same layer (nothing installs at run time).
# setuptools stays: gunicorn 20.1 imports pkg_resources when it starts.
COPY requirements.txt {VENV_DIR}/requirements.txt
RUN python3 -m venv {VENV_DIR} \\
 && pip install --no-cache-dir --requirement {VENV_DIR}/requirements.txt \\
 && pip freeze --all --exclude pip > {VENV_DIR}/requirements.lock \\
 && pip uninstall --yes --quiet pip \\
 && mkdir -p {HOME_DIR} && chown {uid}:0 {HOME_DIR} && chmod 0770 {HOME_DIR} \\
 && chmod 1777 /tmp
WORKDIR {APP_DIR}
# The code belongs to root: the user the server runs as can read it, not rewrite it.
{_copy_lines(files)}{"" if grpc else _NO_GRPC}
# Numeric user: works on bases without useradd; ports come from the operator's env.
USER {uid}
EXPOSE {" ".join(str(p) for p in PORTS)}
# Labels last, so nodes with the same requirements share every layer above.
LABEL {label_lines}
# PID 1 passes docker stop's SIGTERM to every server process: a stop takes a second.
CMD {json.dumps(list(command))}
"""


# A REST graph's executor never calls gRPC: no gRPC server process (less memory, and the
# main process exits as soon as its REST server stops).
_NO_GRPC = "\nENV GRPC_WORKERS=0"


def _copy_lines(files: Mapping[str, Content]) -> str:
    """COPY instructions: large files first (their own layer), then the code, by name.

    Naming each top-level entry keeps the context's build files (and the large files,
    already copied) out of the code layer; JSON form, so no name is read as syntax.
    """
    lines = []
    if any(rel.startswith(f"{DATA_DIR}/") for rel in files):
        lines.append(f"COPY {json.dumps([f'{DATA_DIR}/', f'{APP_DIR}/'])}")
    code = sorted({rel.split("/", 1)[0] for rel in files} - _BUILD_ONLY)
    top = [_literal(name) for name in code if name in files]
    lines.append(f"COPY {json.dumps([*top, f'{APP_DIR}/'])}")
    lines.extend(
        f"COPY {json.dumps([_literal(name), f'{APP_DIR}/{name}/'])}"
        for name in code
        if name not in files
    )
    return "\n".join(lines)


def _literal(name: str) -> str:
    """A COPY source that matches only `name`: COPY sources are Go filepath.Match patterns,
    so `*`, `?` and `[` go inside a one-character class."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _large_files_apart(files: Mapping[str, _Planned]) -> dict[str, _Planned]:
    """Large files (but never generated ones) moved under DATA_DIR for their own layer."""
    return {
        (f"{DATA_DIR}/{rel}" if _size(content) >= LARGE_FILE and rel not in _GENERATED else rel): (
            content
        )
        for rel, content in files.items()
    }


def _size(content: bytes | FileRef | _Pending) -> int:
    return len(content) if isinstance(content, bytes) else content.size


def _smoke_inputs(
    spec: GraphSpec, root: Path, node: NodeSpec, module: str, class_name: str
) -> SmokeInputs:
    parameters = [{"name": p.name, "value": p.text, "type": p.type} for p in node.params]
    cluster_only = [s.name for s in node.secret_env] + (["model_uri"] if node.model_uri else [])
    return SmokeInputs(
        module,
        class_name,
        json.dumps(parameters),  # as the operator passes PREDICTIVE_UNIT_PARAMETERS
        node.env,
        tuple(cluster_only),
        f"{_source_label(spec, root)}:{node.pos.line}:{node.pos.col}",
    )


def label_arguments(labels: dict[str, str], separator: str = " ") -> str:
    """`key="value"` pairs for a Dockerfile LABEL, each value quoted so it stays one value."""
    return separator.join(f"{k}={_quote(v)}" for k, v in labels.items())


def _quote(value: str) -> str:
    if any(c in value for c in "\n\r\x00"):
        raise ContextError(f"label value {value!r} contains a line break")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


# --- reading and hashing -------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    """A large file found by planning, not hashed yet."""

    path: Path
    size: int


_Planned = TypeVar("_Planned", bound=bytes | FileRef | _Pending)


def _split_by_size(
    sources: Mapping[str, Path], node: str
) -> tuple[dict[str, bytes], dict[str, _Pending]]:
    """The project files to copy: those under LARGE_FILE read, the others only measured."""
    small: dict[str, bytes] = {}
    large: dict[str, _Pending] = {}
    for rel, path in sources.items():
        try:
            size = path.stat().st_size
            if size < LARGE_FILE:
                small[rel] = path.read_bytes()
            else:
                large[rel] = _Pending(path, size)
        except OSError as exc:
            raise ContextError(
                f"node {node}: `{rel}` cannot be read: {exc.strerror or exc}"
            ) from None
    return small, large


def _hash_large(pending: _Pending, views: tuple[_RunningDigest, ...], node: str) -> FileRef:
    """Read a large file once, in chunks: its own sha256, fed to every digest on the way."""
    for view in views:
        view.start(pending)
    own, size = hashlib.sha256(), 0
    try:
        with pending.path.open("rb") as source:
            while size <= pending.size and (chunk := source.read(CHUNK)):
                size += len(chunk)
                own.update(chunk)
                for view in views:
                    view.update(chunk)
    except OSError as exc:
        raise ContextError(
            f"node {node}: `{pending.path}` cannot be read: {exc.strerror or exc}"
        ) from None
    if size != pending.size:
        raise ContextError(
            f"node {node}: `{pending.path}` changed while it was read ({pending.size} bytes, "
            f"then {'more' if size > pending.size else size}): run again once it is complete"
        )
    return FileRef(pending.path, pending.size, own.hexdigest())


class _RunningDigest:
    """The context digest: sha256 over `<len(path)>:<path>\\0<len(content)>:<content>` of
    every file, in path order. Fed in one pass: in-memory contents when their turn comes, a
    large file's chunks by the caller (so one read of it serves several digests)."""

    def __init__(self, entries: Mapping[str, bytes | _Pending]) -> None:
        self._hash = hashlib.sha256()
        self._todo = deque(sorted(entries.items(), key=lambda item: item[0]))
        self._last = ""

    def start(self, pending: _Pending) -> None:
        """Feed what sorts before `pending`, then its header: its chunks come next."""
        while self._todo:
            rel, content = self._todo.popleft()
            if isinstance(content, _Pending):
                assert content == pending, "large files come in the same order in every view"
                self._header(rel, content.size)
                return
            self._add(rel, content)
        raise AssertionError(f"{pending.path} is not in this digest")

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def finish(self, more: Mapping[str, bytes] | None = None) -> str:
        """The digest, with the entries left and `more` (which must sort after every large
        file: the Dockerfile does, `D` after `.seldon-graphs-data/`)."""
        rest = sorted([*self._todo, *(more or {}).items()], key=lambda item: item[0])
        assert not rest or rest[0][0] > self._last, "an entry came after its turn"
        for rel, content in rest:
            assert isinstance(content, bytes), "every large file was streamed"
            self._add(rel, content)
        self._todo.clear()
        return self._hash.hexdigest()

    def _add(self, rel: str, content: bytes) -> None:
        self._header(rel, len(content))
        self._hash.update(content)

    def _header(self, rel: str, size: int) -> None:
        self._hash.update(f"{len(rel)}:{rel}\0{size}:".encode())
        self._last = rel
