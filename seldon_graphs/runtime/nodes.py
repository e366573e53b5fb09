"""What each node runs locally: its class (file + name), parameters, role, image label.

One answer for every runtime, so the in-process, process and docker runtimes build the same
node the same way:

    python  PythonSource.ref.path (relative to the project root) : class_name
    stock   wrappers/stock/<module>.py : class_name
    server  seldon_graphs/runtime/servers.py : SKLearnServer | XGBoostServer | MLFlowServer,
            with `model_uri` = a local directory (override > local_uri > a local model_uri)
    image   nothing to run outside Docker
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, assert_never

from wrappers.stock import StockComponent

from ..generated_servers import is_generated
from ..spec import (
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
from ..wrapper.adapter import AdapterError, make_adapter
from . import servers
from .errors import RuntimeProblem
from .units import Param, Unit

SERVERS_FILE = Path(servers.__file__).resolve()
ADAPTER_FILE = Path(__file__).resolve().parent.parent / "wrapper" / "adapter.py"
LAUNCHER_FILE = ADAPTER_FILE.parent / "launcher.py"
ADAPTED_ROLES = frozenset({"MODEL", "TRANSFORMER", "OUTPUT_TRANSFORMER", "ROUTER", "COMBINER"})
REMOTE_SCHEMES = ("gs://", "s3://", "http://", "https://", "pvc://", "azure://", "hdfs://")


class NodeSetupError(RuntimeProblem):
    """A node cannot be set up to run locally (the message says which and how to fix it)."""


def routing_injection() -> bool:
    """The Go executor's SELDON_ENABLE_ROUTING_INJECTION: any non-empty value turns it on."""
    return bool(os.environ.get("SELDON_ENABLE_ROUTING_INJECTION"))


@dataclass(frozen=True)
class NodeCode:
    """A node's class, ready to load: the file, the class, its role and its parameters."""

    name: str
    file: Path
    class_name: str
    role: Role
    parameters: tuple[Param, ...]
    image: str
    requirements: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()

    @property
    def adapted(self) -> bool:
        """Whether the wrapper adapter maps the class onto its role (not for servers)."""
        return self.role in ADAPTED_ROLES and self.file != SERVERS_FILE


def node_image(spec: GraphSpec, node: NodeSpec, role: Role) -> str:
    """PREDICTIVE_UNIT_IMAGE for a node: what the cluster runs, the same in every runtime
    (it shows in `meta.requestPath` and the default metadata)."""
    if node.image:
        return node.image
    match node.source:
        case ServerSource(implementation=impl) if not is_generated(node):
            server = (impl or "").lower().replace("_server", "server")
            return f"seldonio/{server}:{spec.runtime.seldon_core}"
        case PythonSource() | StockSource() | ServerSource() if role != Role.UNKNOWN_TYPE:
            from ..wrapper.context import ContextError, plan_node

            try:
                return plan_node(spec, node, role).image
            except (ContextError, OSError):
                pass  # a graph the image builder refuses can still run locally
        case (
            PythonSource()
            | StockSource()
            | ServerSource()
            | ImageSource()
            | BuiltinSource()
            | NoSource()
        ):
            pass  # named after the graph and the node, as compile names the images it builds
        case _:
            assert_never(node.source)
    prefix = f"{spec.registry.rstrip('/')}/" if spec.registry else ""
    return f"{prefix}{spec.name}-{node.name}:local"


def local_model_uri(spec: GraphSpec, node: NodeSpec, overrides: Mapping[str, str]) -> str:
    """The local model directory of a server node; never written into a manifest."""
    uri = node.model_uri or ""
    if node.name in overrides:
        path = Path(overrides[node.name]).expanduser()
    elif node.local_uri:
        path = spec.root / node.local_uri
    elif uri and not uri.startswith(REMOTE_SCHEMES):
        path = spec.root / uri.removeprefix("file://")
    else:
        path = None
    if path is not None:
        if not path.is_dir():
            raise NodeSetupError(
                f"node {node.name!r}: model directory {path} does not exist"
                + (" (train it first: python scripts/train_iris.py)" if "iris" in str(path) else "")
            )
        return str(path.resolve())
    raise NodeSetupError(
        f"node {node.name!r} serves {uri or 'no model'}, which local runs do not download: "
        f"add `local_uri: models/{node.name}` to the node or pass --model-uri {node.name}=PATH"
    )


def node_code(spec: GraphSpec, unit: Unit, model_uris: Mapping[str, str] | None = None) -> NodeCode:
    """Where a unit's class lives and how to build it."""
    node = spec.node(unit.name)
    file, class_name, params = _class_of(spec, node, unit, model_uris or {})
    return NodeCode(
        name=node.name,
        file=file,
        class_name=class_name,
        role=unit.type,
        parameters=params,
        image=node_image(spec, node, unit.type),
        requirements=_requirements(spec, node),
        env=node.env,
    )


def _class_of(
    spec: GraphSpec, node: NodeSpec, unit: Unit, model_uris: Mapping[str, str]
) -> tuple[Path, str, tuple[Param, ...]]:
    match node.source:
        case PythonSource(ref=PythonRef(path=path, class_name=class_name)):
            return (spec.root / path).resolve(), class_name, unit.parameters
        case StockSource(component=StockComponent(file=file, class_name=class_name)):
            return file, class_name, unit.parameters
        case ServerSource():
            cls = servers.CLASSES.get(unit.implementation)
            if cls is None:
                raise NodeSetupError(
                    f"node {node.name!r}: {unit.implementation} has no local server; "
                    f"local runs support {', '.join(servers.CLASSES)} (use --runtime docker)"
                )
            uri = Param("model_uri", local_model_uri(spec, node, model_uris), "STRING")
            return SERVERS_FILE, cls, (*(p for p in unit.parameters if p.name != "model_uri"), uri)
        case PythonSource() | StockSource() | ImageSource() | BuiltinSource() | NoSource():
            raise NodeSetupError(
                f"node {node.name!r} is a ready-made image ({node.image}): run the graph with "
                "--runtime docker, or replace the node with a fake in tests"
            )
        case _:
            assert_never(node.source)


def _requirements(spec: GraphSpec, node: NodeSpec) -> tuple[str, ...]:
    lines = list(node.requirements)
    if node.requirements_file:
        text = (spec.root / node.requirements_file).read_text()
        lines += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return tuple(lines)


def load_module(file: Path, unique: str) -> Any:
    """Import a user's module by path (its folder on sys.path, for its sibling imports)."""
    folder = str(file.parent)
    if folder not in sys.path:
        sys.path.append(folder)
    module_spec = importlib.util.spec_from_file_location(unique, file)
    if module_spec is None or module_spec.loader is None:
        raise NodeSetupError(f"cannot import {file}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[unique] = module
    module_spec.loader.exec_module(module)
    return module


def load_class(code: NodeCode) -> type:
    """The node's class, mapped onto its role by the wrapper adapter."""
    module = load_module(code.file, f"seldon_graphs_node_{code.name.replace('-', '_')}")
    cls = getattr(module, code.class_name, None)
    if not isinstance(cls, type):
        raise NodeSetupError(f"node {code.name!r}: {code.file} defines no class {code.class_name}")
    if not code.adapted:
        return cls
    try:
        return adapt(cls, code.role)
    except AdapterError as exc:  # a class the static role check could not see through
        raise NodeSetupError(f"node {code.name!r}: {exc}") from None


def adapt(cls: type, role: str) -> type:
    return make_adapter(cls, role)


def parameters(code: NodeCode) -> dict[str, Any]:
    """Constructor kwargs, parsed by seldon_core's own parameter rules."""
    with warnings.catch_warnings():  # seldon_core.microservice imports gunicorn (pkg_resources)
        warnings.simplefilter("ignore", UserWarning)
        from seldon_core.microservice import parse_parameters

    return dict(parse_parameters([p.as_json() for p in code.parameters]))
