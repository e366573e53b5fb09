"""What we deploy: a graph or deployment file compiled by `seldon_graphs`, or a
SeldonDeployment file.

Accepting an already-compiled SeldonDeployment YAML/JSON lets users (and tests) deploy the
output of `seldon-graphs compile`, or Seldon's own examples, through the same checks.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import yaml

from .errors import DeployError
from .kube import JsonDict

if TYPE_CHECKING:
    from ..spec import GraphSpec
    from ..wrapper.context import ContextPlan


class CompiledGraph(Protocol):
    """What deploy reads of a checked graph; `seldon_graphs.api.Graph` is one. A protocol,
    not that class, because deploy sits below the facade (docs/architecture.md)."""

    @property
    def spec(self) -> GraphSpec: ...

    @property
    def contexts(self) -> list[ContextPlan]: ...

    def manifest(self) -> dict[str, Any]: ...


@runtime_checkable
class CompiledDeployment(Protocol):
    """What deploy reads of a checked deployment file (`seldon_graphs.deployment.Deployment`):
    one SeldonDeployment, one CompiledGraph per predictor."""

    @property
    def predictors(self) -> Sequence[tuple[object, CompiledGraph]]: ...

    @property
    def contexts(self) -> list[ContextPlan]: ...

    def manifest(self) -> dict[str, Any]: ...


# The command line's loader (seldon_graphs.cli.graphs.load_graph_or_deployment, with its
# image settings): it raises api.GraphError for a file with errors.
GraphLoader = Callable[[Path], CompiledGraph | CompiledDeployment]


@dataclass(frozen=True)
class Target:
    file: Path
    manifest: JsonDict  # the SeldonDeployment; namespace set once `placed`
    graph: CompiledGraph | CompiledDeployment | None = None  # built from a graph/deployment file

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.manifest["metadata"].get("namespace") or "")

    def placed(self, namespace: str | None, default: str) -> Target:
        """The namespace is --namespace, else the file's, else the context's default."""
        manifest = copy.deepcopy(self.manifest)
        meta = manifest["metadata"]
        meta["namespace"] = namespace or meta.get("namespace") or default
        return Target(self.file, manifest, self.graph)

    @property
    def spec(self) -> GraphSpec | None:
        """The GraphSpec (positions for messages), or None for a plain manifest or a
        deployment file (whose nodes live in several graphs)."""
        graph = self.graph
        if graph is None or isinstance(graph, CompiledDeployment):
            return None
        return graph.spec

    @property
    def is_deployment(self) -> bool:
        return isinstance(self.graph, CompiledDeployment)

    @property
    def graphs(self) -> list[CompiledGraph]:
        """Every graph compiled into the manifest: a deployment file's, one per predictor."""
        graph = self.graph
        if isinstance(graph, CompiledDeployment):
            return [g for _, g in graph.predictors]
        return [] if graph is None else [graph]

    @property
    def registry(self) -> str | None:
        """Where the wrapper images are pushed: the graph's (every graph's) registry."""
        found = {g.spec.registry for g in self.graphs}
        return found.pop() if len(found) == 1 else None


def load_target(path: str | Path, load_graph: GraphLoader) -> Target:
    """Load `path`: a SeldonDeployment file as it is, any other file compiled by
    `load_graph`; place it with `Target.placed`."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeployError(f"cannot read {file}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raw = None  # let the compiler report YAML and encoding errors with positions
    if isinstance(raw, dict) and raw.get("kind") == "SeldonDeployment":
        return _checked(Target(file, raw))
    graph = load_graph(file)
    return _checked(Target(file, graph.manifest(), graph))


def _checked(target: Target) -> Target:
    manifest = copy.deepcopy(target.manifest)
    meta = manifest.setdefault("metadata", {})
    if not meta.get("name"):
        raise DeployError(f"{target.file}: the SeldonDeployment has no metadata.name")
    manifest.pop("status", None)
    # v1alpha2/v1alpha3 are served with the same schema; apply must name the URL's version.
    if str(manifest.get("apiVersion", "")).startswith("machinelearning.seldon.io/"):
        manifest["apiVersion"] = "machinelearning.seldon.io/v1"
    return Target(target.file, manifest, target.graph)
