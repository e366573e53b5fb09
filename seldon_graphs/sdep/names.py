"""The Kubernetes names Seldon's operator derives from a SeldonDeployment: one rule for
the compiler's `long-name` warning and check-manifest's `*-name-length` warnings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..catalog import NAME_LIMIT, SVC_NAME, hashed, is_prepack
from .codec import as_str
from .model import PredictiveUnit, Predictor, SeldonDeployment

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class DerivedName:
    kind: str  # "predictor Service", "Service" (of a node) or "Deployment"
    name: str
    owner: str  # the node (Service) or componentSpec (Deployment) it is named after
    path: Path  # where the name comes from in the manifest

    @property
    def too_long(self) -> bool:
        return len(self.name) > NAME_LIMIT

    @property
    def replacement(self) -> str:
        return hashed(self.name)


def derived_names(model: SeldonDeployment) -> Iterator[DerivedName]:
    for i, predictor in enumerate(model.predictors):
        yield from predictor_names(model.name, i, predictor)


def predictor_names(sdep_name: str, i: int, predictor: Predictor) -> Iterator[DerivedName]:
    """The predictor's Service, each node's Service, each componentSpec's Deployment."""
    pname = predictor.name or ""
    if not sdep_name or not pname:
        return
    at: Path = ("spec", "predictors", i)
    base = f"{sdep_name}-{pname}"
    if SVC_NAME not in (predictor.annotations or {}):
        yield DerivedName("predictor Service", base, "", (*at, "name"))
    containers = {as_str(c.get("name")) for cs in predictor.components for c in cs.containers}
    for unit, path in _units(predictor):
        name = unit.name or ""
        if name in containers or is_prepack(unit.implementation):
            yield DerivedName("Service", f"{base}-{name}", name, (*at, "graph", *path, "name"))
    for j, cs in enumerate(predictor.components):
        meta = (cs.metadata.name if cs.metadata else None) or ""
        owner = meta or "-".join(as_str(c.get("name")) for c in cs.containers)
        yield DerivedName("Deployment", f"{base}-{j}-{owner}", owner, (*at, "componentSpecs", j))


def _units(predictor: Predictor) -> Iterator[tuple[PredictiveUnit, Path]]:
    """Each unit with its path below `graph`, pre-order."""
    stack: list[tuple[PredictiveUnit, Path]] = [(predictor.graph, ())] if predictor.graph else []
    while stack:
        unit, path = stack.pop()
        yield unit, path
        kids = [(k, (*path, "children", n)) for n, k in enumerate(unit.kids)]
        stack.extend(reversed(kids))
