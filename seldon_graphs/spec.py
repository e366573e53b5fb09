"""The typed graph file: what `load` produces and every later stage consumes.

Values keep the position of the YAML token they came from, so later stages can report
problems at `file:line:col` without going back to the raw text.

What a node runs is one class per kind, `NodeSource`: `PythonSource`, `StockSource`,
`ServerSource`, `ImageSource`, `BuiltinSource`, or `NoSource` when the node has no source
key (already reported). Each holds only its own kind's fields; what every kind can have
(params, model_uri, env, ...) stays on `NodeSpec`. Code that branches on the kind does it
with `match node.source:` ending in `case _: assert_never(...)`, so that mypy names every
such place when a kind is added. A field that is None in a source class was written with
the wrong shape or a misspelt name, which the checks have already reported.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar, assert_never, get_args

from wrappers.stock import CATALOG, StockComponent

from . import catalog


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based position in a source file; `end_col` is exclusive (caret width)."""

    line: int
    col: int
    end_col: int = 0

    @property
    def width(self) -> int:
        return max(1, self.end_col - self.col)


NOWHERE = Pos(1, 1, 2)


class Role(enum.StrEnum):
    """Seldon v1 PredictiveUnit types a node can take after lowering."""

    MODEL = "MODEL"
    TRANSFORMER = "TRANSFORMER"
    OUTPUT_TRANSFORMER = "OUTPUT_TRANSFORMER"
    ROUTER = "ROUTER"
    COMBINER = "COMBINER"
    # RANDOM_ABTEST and friends keep no type in Seldon; we write UNKNOWN_TYPE explicitly.
    UNKNOWN_TYPE = "UNKNOWN_TYPE"


# `server_image` values: the operator's image for the server, or one we build with the
# versions that wrote the model (docs/decisions/0006-models-the-cluster-can-load.md).
SERVER_IMAGES = ("prepackaged", "generated")

# Seldon's names live in catalog; re-exported for the graph-file side that spells them.
SERVERS = catalog.SERVERS
BUILTINS = catalog.BUILTINS
PROTOCOLS = catalog.PROTOCOLS
TRANSPORTS = catalog.TRANSPORTS
PARAM_TYPES = catalog.PARAM_TYPES


@dataclass(frozen=True)
class Param:
    """A node parameter; `value` is the plain YAML value, `text` Seldon's string form."""

    name: str
    value: str | int | float | bool
    type: str
    pos: Pos = NOWHERE

    @property
    def text(self) -> str:
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)


@dataclass(frozen=True)
class PythonRef:
    """`path/to/module.py:ClassName`, the path relative to the project root."""

    path: str  # as written, POSIX, relative to the project root
    class_name: str
    pos: Pos = NOWHERE

    @property
    def module(self) -> str:
        return Path(self.path).stem


@dataclass(frozen=True)
class PythonSource:
    """`python: path/to/module.py:Class`: the user's class, wrapped into an image by us."""

    key: ClassVar[str] = "python"
    ref: PythonRef | None  # None: not `path:Class`


@dataclass(frozen=True)
class StockSource:
    """`stock: NAME`: one of our ready-made classes in wrappers/stock, wrapped by us."""

    key: ClassVar[str] = "stock"
    name: str | None  # as written: a name wrappers.stock.CATALOG may not have

    @property
    def component(self) -> StockComponent | None:
        """The catalog's entry; None for a name it lacks (reported as `unknown-stock`)."""
        return CATALOG.get(self.name or "")


@dataclass(frozen=True)
class ServerSource:
    """`server: NAME`: a Seldon prepackaged server (SKLEARN_SERVER, ...)."""

    key: ClassVar[str] = "server"
    implementation: str | None  # Seldon's name; None: not one of SERVERS
    image: str | None = None  # `image:` beside `server:` overrides the operator's image
    server_image: str | None = None  # "generated" = built with the model's versions


@dataclass(frozen=True)
class ImageSource:
    """`image: REF`: a ready-made image that already speaks the Seldon protocol."""

    key: ClassVar[str] = "image"
    image: str | None


@dataclass(frozen=True)
class BuiltinSource:
    """`builtin: NAME`: an executor built-in that needs no container (RANDOM_ABTEST)."""

    key: ClassVar[str] = "builtin"
    implementation: str | None  # Seldon's name; None: not one of BUILTINS


@dataclass(frozen=True)
class NoSource:
    """No source key: missing, or misspelt as an unknown key (already reported)."""

    key: ClassVar[str] = "none"


NodeSource = PythonSource | StockSource | ServerSource | ImageSource | BuiltinSource | NoSource

# The keys that say what a node runs, in the union's order: the first one written picks the
# source when there are several (a mistake that check reports, except `image` beside `server`).
SOURCE_KEYS: tuple[str, ...] = tuple(k.key for k in get_args(NodeSource) if k is not NoSource)


@dataclass(frozen=True)
class Resources:
    cpu: str | None = None
    memory: str | None = None
    gpu: int | None = None


@dataclass(frozen=True)
class Hpa:
    """`hpa:` of a node: Seldon's hpaSpec (autoscaling/v2 metrics, utilisation targets)."""

    max: int
    min: int = 1
    cpu: int | None = None  # target average utilisation, percent of the CPU request
    memory: int | None = None


@dataclass(frozen=True)
class Pdb:
    """`pdb:` of a node: Seldon's pdbSpec; each value a count or a percentage (`"50%"`)."""

    min_available: int | str | None = None
    max_unavailable: int | str | None = None


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable filled from a Kubernetes Secret key (never a value)."""

    name: str
    secret: str
    key: str


class KeyPositions:
    """Where a mapping's keys and values are written (a node, a predictor): what
    diagnostics point at. The dataclasses that use it hold the three fields."""

    pos: Pos
    positions: dict[str, Pos]
    keys: dict[str, Pos]

    def at(self, key: str) -> Pos:
        """Position of one of the keys' values (or of the mapping's name)."""
        return self.positions.get(key, self.pos)

    def key_at(self, key: str) -> Pos:
        """Position of the key itself: for problems with a name rather than its value."""
        return self.keys.get(key) or self.at(key)


@dataclass(frozen=True)
class NodeSpec(KeyPositions):
    name: str
    pos: Pos
    source: NodeSource
    kind: Role | None = None  # stated role; None = inferred by lowering
    params: tuple[Param, ...] = ()
    model_uri: str | None = None  # what the cluster downloads (s3://, gs://, ...)
    local_uri: str | None = None  # what local runs use instead (path in the project)
    secret: str | None = None  # envSecretRefName for the storage initializer
    service_account: str | None = None
    requirements: tuple[str, ...] = ()  # pip requirement lines
    requirements_file: str | None = None  # or a requirements file in the project
    files: tuple[str, ...] = ()  # extra project files copied next to the module
    env: tuple[tuple[str, str], ...] = ()
    secret_env: tuple[SecretEnv, ...] = ()
    resources: Resources = field(default_factory=Resources)
    replicas: int | None = None
    hpa: Hpa | None = None
    pdb: Pdb | None = None
    logger: tuple[str, str | None] | None = None  # (mode, url)
    positions: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)
    # Where the keys themselves are written (`env.API_TOKEN` -> the `API_TOKEN` token).
    keys: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)

    @property
    def implementation(self) -> str | None:
        """Seldon's implementation name: a server's or a built-in's, else None."""
        match self.source:
            case ServerSource(implementation=impl) | BuiltinSource(implementation=impl):
                return impl
            case PythonSource() | StockSource() | ImageSource() | NoSource():
                return None
            case _:
                assert_never(self.source)

    @property
    def image(self) -> str | None:
        """The image the graph file names: an image node's, or a server's override."""
        match self.source:
            case ImageSource(image=image) | ServerSource(image=image):
                return image
            case PythonSource() | StockSource() | BuiltinSource() | NoSource():
                return None
            case _:
                assert_never(self.source)

    @property
    def server(self) -> ServerSource | None:
        """A server node's source; None for other nodes."""
        match self.source:
            case ServerSource():
                return self.source
            case PythonSource() | StockSource() | ImageSource() | BuiltinSource() | NoSource():
                return None
            case _:
                assert_never(self.source)

    @property
    def stock_component(self) -> StockComponent | None:
        """A stock node's catalog entry; None for other nodes and for unknown names."""
        match self.source:
            case StockSource(component=component):
                return component
            case PythonSource() | ServerSource() | ImageSource() | BuiltinSource() | NoSource():
                return None
            case _:
                assert_never(self.source)

    @property
    def has_container(self) -> bool:
        """Whether the node is a container of its pod (built-ins run inside the executor)."""
        match self.source:
            case BuiltinSource():
                return False
            case PythonSource() | StockSource() | ServerSource() | ImageSource() | NoSource():
                return True
            case _:
                assert_never(self.source)

    @property
    def wrapped(self) -> bool:
        """Whether we wrap the node's class into an image (python and stock nodes)."""
        match self.source:
            case PythonSource() | StockSource():
                return True
            case ServerSource() | ImageSource() | BuiltinSource() | NoSource():
                return False
            case _:
                assert_never(self.source)


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    pos: Pos  # the arrow (or the target name) in the flow text
    order: int  # declaration order, for deterministic reports


@dataclass(frozen=True)
class Runtime:
    seldon_core: str = "1.17.1"
    base_image: str = "python:3.11-slim"


@dataclass(frozen=True)
class GraphSpec:
    """A whole graph file, typed. Paths inside are relative to `root`."""

    file: Path
    root: Path  # the project directory: nothing outside it is ever read
    name: str
    namespace: str | None
    nodes: tuple[NodeSpec, ...]
    edges: tuple[Edge, ...]
    flow_groups: tuple[tuple[str, ...], ...] = ()  # node groups written as [a, b] in flow
    refs: tuple[tuple[str, Pos], ...] = ()  # every node name written in flow, in order
    protocol: str = "seldon"
    transport: str = "rest"
    pods: str = "single"  # "single" pod, or "per-node"
    predictor: str = "default"
    replicas: int | None = None
    annotations: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    registry: str | None = None
    image_pull_secret: str | None = None  # each pod's imagePullSecrets
    rest_timeout_ms: int | None = None
    runtime: Runtime = field(default_factory=Runtime)
    positions: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)
    keys: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)

    @cached_property
    def _by_name(self) -> dict[str, NodeSpec]:
        # The first of duplicate names wins, as in Seldon's pre-order lookup.
        out: dict[str, NodeSpec] = {}
        for n in self.nodes:
            out.setdefault(n.name, n)
        return out

    def node(self, name: str) -> NodeSpec:
        return self._by_name[name]

    def at(self, key: str) -> Pos:
        """Position of a top-level key's value, or of `key.sub` (falling back to `key`)."""
        return self.positions.get(key) or self.positions.get(key.split(".")[0], NOWHERE)

    def key_at(self, key: str) -> Pos:
        """Position of a key itself (`labels.team` -> the `team` token), else of its value."""
        return self.keys.get(key) or self.at(key)
