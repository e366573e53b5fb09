"""The deployment pipeline's public face: analyse (never raises), load (raises), Deployment.

deployment = seldon_graphs.load_deployment("graphs/iris-canary.yaml")
deployment.manifest()          # one SeldonDeployment, one predictor per entry
deployment.compile("build/")   # manifest + each predictor's wrapper build contexts
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import diagnostics, emit, settings
from ..api import MANIFEST_FILE, Analysis, Graph, GraphError, display_path
from ..diagnostics import Diagnostic
from . import build, rules
from .model import DeploymentSpec, PredictorSpec
from .read import PredictorGraph, read

if TYPE_CHECKING:
    from ..wrapper.context import ContextPlan


@dataclass(frozen=True)
class DeploymentAnalysis:
    """Everything the checks learned about a deployment file and its predictors' graphs.

    `sources` maps each file diagnostics may point into (the deployment file and its graph
    files) to its text as diagnostics quote it, secret values starred out.
    """

    display: str
    sources: dict[str, str]
    spec: DeploymentSpec | None
    graphs: tuple[PredictorGraph, ...]
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return (
            self.spec is not None
            and all(g.spec is not None and g.tree is not None for g in self.graphs)
            and not any(d.is_error for d in self.diagnostics)
        )

    @property
    def node_count(self) -> int:
        return sum(sum(1 for _ in g.tree.walk()) for g in self.graphs if g.tree is not None)

    def render(self, fmt: str = "text") -> str:
        if fmt == "json":
            return diagnostics.render_json(self.diagnostics)
        return diagnostics.render_text(self.diagnostics, self.sources)


def analyze_deployment_text(
    text: str,
    file: Path,
    display: str | None = None,
    root: Path | None = None,
    flags: settings.Flags | None = None,
) -> DeploymentAnalysis:
    """Run every check on deployment `text` and its predictors' graphs; never raises."""
    display = display or display_path(file)
    spec, reading = read(text, file, display, root, flags)
    if spec is not None:
        rules.check(spec, reading.graphs, reading.reporter)
    found = [*reading.reporter.finished(), *reading.found]
    sources = {display: reading.reporter.masked_source(text), **reading.sources}
    return DeploymentAnalysis(
        display, sources, spec, tuple(reading.graphs), diagnostics.finalize(found)
    )


def analyze_deployment(
    path: str | os.PathLike[str], flags: settings.Flags | None = None
) -> DeploymentAnalysis:
    from ..api import analyze

    file = Path(path)
    try:
        text = file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        # The graph loader's messages for an unreadable or non-UTF-8 file say it best.
        result = analyze(file, flags)
        return DeploymentAnalysis(
            result.display, {result.display: result.text}, None, (), result.diagnostics
        )
    return analyze_deployment_text(text, file, flags=flags)


def load_deployment(
    path: str | os.PathLike[str],
    flags: settings.Flags | None = None,
    *,
    strict: bool = False,
    fmt: str = "text",
) -> Deployment:
    """Load and check a deployment file; raises GraphError listing every problem (warnings
    too when `strict`), to be rendered in `fmt`: `seldon_graphs.api.load`'s contract."""
    result = analyze_deployment(path, flags)
    failed = not result.ok or (strict and bool(result.diagnostics))
    if failed or result.spec is None:
        raise GraphError(result.diagnostics, result.sources, fmt)
    return Deployment(result.spec, result)


class Deployment:
    """A checked deployment file: one SeldonDeployment, one checked Graph per predictor."""

    def __init__(self, spec: DeploymentSpec, analysis: DeploymentAnalysis) -> None:
        self.spec = spec
        self.analysis = analysis
        self.predictors: tuple[tuple[PredictorSpec, Graph], ...] = tuple(
            (g.predictor, _graph(g, analysis)) for g in analysis.graphs
        )

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.analysis.diagnostics if not d.is_error]

    @cached_property
    def contexts(self) -> list[ContextPlan]:
        """Every predictor's wrapper build contexts; a graph used twice is built once."""
        seen: dict[str, ContextPlan] = {}
        for _, graph in self.predictors:
            for plan in graph.contexts:
                seen.setdefault(plan.image, plan)
        return list(seen.values())

    def manifest(self) -> dict[str, Any]:
        compiled = [(p, graph.manifest()) for p, graph in self.predictors]
        return build.manifest(self.spec, compiled, _source(self.spec))

    def manifest_yaml(self) -> str:
        return emit.to_yaml(self.manifest())

    def explain(self) -> str:
        lines: list[str] = []
        for p, graph in self.predictors:
            share = "shadow (a copy of every request)" if p.shadow else f"traffic {_share(p)}%"
            lines.append(f"predictor {p.name}: {share}, graph {p.graph_file or 'written inline'}")
            lines.extend(f"  {line}" for line in graph.explain().splitlines())
        return "\n".join(lines)

    def compile(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write `<out>/<deployment>/`: the manifest, and `<predictor>/<node>/` contexts."""
        from ..wrapper.context import write_context

        dest = Path(out_dir) / self.spec.name
        with emit.output_dir(dest) as staged:
            (staged / MANIFEST_FILE).write_text(self.manifest_yaml(), encoding="utf-8")
            for p, graph in self.predictors:
                for plan in graph.contexts:
                    write_context(plan, staged / p.name / plan.node)
        return dest

    def written_contexts(self) -> list[tuple[str, ContextPlan]]:
        """(folder under the output, plan) for each context `compile` writes."""
        return [(f"{p.name}/{plan.node}", plan) for p, g in self.predictors for plan in g.contexts]


def _share(p: PredictorSpec) -> int:
    return 100 if p.traffic is None else p.traffic


def _graph(g: PredictorGraph, analysis: DeploymentAnalysis) -> Graph:
    assert g.spec is not None and g.tree is not None  # analysis.ok
    return Graph(g.spec, g.tree, Analysis(analysis.display, "", g.spec, g.tree, []))


def _source(spec: DeploymentSpec) -> str:
    source = spec.file.resolve()
    try:
        return str(source.relative_to(spec.root.resolve()))
    except ValueError:
        return source.name
