"""What we deploy: a graph or deployment file compiled by `seldon_graphs`, or a
SeldonDeployment file.

Accepting an already-compiled SeldonDeployment YAML/JSON lets users (and tests) deploy the
output of `seldon-graphs compile`, or Seldon's own examples, through the same checks.
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import DeployError
from .kube import JsonDict


class GraphLoadError(DeployError):
    """The graph file has problems; `message` is the compiler's rendered diagnostics."""

    def render(self) -> str:
        return self.message


@dataclass(frozen=True)
class Target:
    file: Path
    manifest: JsonDict  # the SeldonDeployment; namespace set once `placed`
    graph: Any = None  # seldon_graphs.api.Graph when built from a graph file

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
    def spec(self) -> Any:
        """The GraphSpec (positions for messages), or None for a plain manifest or a
        deployment file (whose nodes live in several graphs)."""
        return None if self.is_deployment else getattr(self.graph, "spec", None)

    @property
    def is_deployment(self) -> bool:
        return hasattr(self.graph, "predictors")

    @property
    def registry(self) -> str | None:
        """Where the wrapper images are pushed: the graph's (every graph's) registry."""
        specs = [g.spec for _, g in self.graph.predictors] if self.is_deployment else [self.spec]
        found = {getattr(s, "registry", None) for s in specs}
        return found.pop() if len(found) == 1 else None


def load_target(path: str | Path, flags: Any = None) -> Target:
    """Load `path` (compiling it if it is a graph file); place it with `Target.placed`.

    `flags` (seldon_graphs.settings.Flags) are the command line's image settings.
    """
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeployError(f"cannot read {file}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raw = None  # let the compiler report YAML and encoding errors with positions
    if isinstance(raw, dict) and raw.get("kind") == "SeldonDeployment":
        return _checked(Target(file, raw))
    return _checked(_compile(file, flags))


def _compile(file: Path, flags: Any) -> Target:
    api = importlib.import_module("seldon_graphs.api")
    deployment = importlib.import_module("seldon_graphs.deployment")
    load = deployment.load_deployment if deployment.is_deployment_file(file) else api.load
    try:
        graph = load(file, flags)
        manifest = graph.manifest()
    except api.GraphError as exc:
        raise GraphLoadError(exc.render()) from None
    return Target(file, manifest, graph)


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
