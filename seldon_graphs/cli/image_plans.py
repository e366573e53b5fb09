"""The wrapper images `build` and `dockerfile` make, from a graph file or a deployment file.

A deployment file's predictors may share a graph, or run nodes whose contexts give one image:
each image is planned once and listed with every node that runs it, `PREDICTOR/NODE` in a
deployment file (a bare `NODE` in a graph file). A context that cannot be planned (only
command-line overrides or a file changing under us get past `validate`'s own context checks)
is reported at the graph key it is about, `file:line:col`, with the predictor's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import api, deployment
from ..spec import NodeSpec
from ..wrapper.context import ContextError, ContextPlan, builds_image, plan_node

Loaded = api.Graph | deployment.Deployment


@dataclass(frozen=True)
class GraphOf:
    """One graph of a loaded file: the predictor running it (None for a graph file)."""

    predictor: str | None
    graph: api.Graph

    def label(self, node: str) -> str:
        return node if self.predictor is None else f"{self.predictor}/{node}"

    def located(self, exc: ContextError) -> ContextError:
        """`exc`, its message prefixed with where its first error is written."""
        spec = self.graph.spec
        first = next((f for f in exc.findings if f.error), None)
        pos = spec.at("")
        if first is not None:
            pos = spec.node(first.node).at(first.key) if first.node else spec.at(first.key)
        where = f"{api.display_path(spec.file)}:{pos.line}:{pos.col}"
        if self.predictor is not None:
            where = f"predictor {self.predictor}, {where}"
        return ContextError(f"{where}: {exc}", exc.findings)


@dataclass(frozen=True)
class PlannedImage:
    """One image to build, and every node that runs it (`GraphOf.label`s, in file order)."""

    plan: ContextPlan
    users: tuple[str, ...]


@dataclass(frozen=True)
class NodeChoice:
    """A node a `dockerfile` argument may name."""

    where: GraphOf
    node: NodeSpec

    @property
    def label(self) -> str:
        return self.where.label(self.node.name)

    def plan(self) -> ContextPlan:
        roles = {t.name: t.role for t in self.where.graph.tree.walk()}
        try:
            return plan_node(self.where.graph.spec, self.node, roles[self.node.name])
        except ContextError as exc:
            raise self.where.located(exc) from None


def graphs_of(loaded: Loaded) -> list[GraphOf]:
    if isinstance(loaded, deployment.Deployment):
        return [GraphOf(p.name, graph) for p, graph in loaded.predictors]
    return [GraphOf(None, loaded)]


def planned_images(loaded: Loaded) -> list[PlannedImage]:
    """Every image of every graph, each once, in file then tree order; raises ContextError."""
    found: dict[str, PlannedImage] = {}
    for where in graphs_of(loaded):
        try:
            plans = where.graph.contexts
        except ContextError as exc:
            raise where.located(exc) from None
        for plan in plans:
            known = found.get(plan.image)
            users = (*known.users, where.label(plan.node)) if known else (where.label(plan.node),)
            found[plan.image] = PlannedImage(known.plan if known else plan, users)
    return list(found.values())


def node_choices(loaded: Loaded) -> list[NodeChoice]:
    """Every node of every graph, in file order."""
    return [
        NodeChoice(where, node) for where in graphs_of(loaded) for node in where.graph.spec.nodes
    ]


def matching(choices: Sequence[NodeChoice], ref: str) -> list[NodeChoice]:
    """The nodes `ref` names: `PREDICTOR/NODE`, or a bare `NODE` in any predictor."""
    return [c for c in choices if ref in (c.label, c.node.name)]


def with_images(choices: Sequence[NodeChoice]) -> list[str]:
    return [c.label for c in choices if builds_image(c.node)]
