"""Has the operator rolled out *this* spec? Judged from its Deployments.

Seldon's operator 1.17.1 never writes `status.observedGeneration`, and keeps `state: Available`
while it updates the Deployments and old pods still serve. So right after a re-apply the
SeldonDeployment still says Available about the previous spec. We call a rollout done when,
for every componentSpec, the Deployment the operator names for it (`GetDeploymentName`) exists,
carries our images, parameters and replica count, and the Deployment controller has finished
with it (its own observedGeneration, all replicas updated and available, no old ones left).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .kube import JsonDict
from .names import hashed

PARAMETERS_ENV = "PREDICTIVE_UNIT_PARAMETERS"


def deployment_name(sdep: str, predictor: str, index: int, component: JsonDict) -> str:
    """The operator's Deployment name for componentSpecs[index] of `predictor`."""
    named = ((component.get("metadata") or {}).get("name")) or "-".join(
        str(c.get("name")) for c in (component.get("spec") or {}).get("containers") or []
    )
    return hashed(f"{sdep}-{predictor}-{index}-{named}")


def pending(sdep: JsonDict, deployments: list[Any]) -> str:
    """Why the live Deployments do not (yet) run `sdep`'s spec; "" when they do."""
    observed = (sdep.get("status") or {}).get("observedGeneration")
    generation = (sdep.get("metadata") or {}).get("generation")
    if observed is not None and generation is not None and observed < generation:
        return f"the operator has not seen generation {generation} yet"
    by_name = {d.metadata.name: d for d in deployments}
    for name, component, replicas, units in _expected(sdep):
        found = by_name.get(name)
        if found is None:
            return f"Deployment {name} not created yet"
        why = _differs(found, component, replicas, units) or _unfinished(found)
        if why:
            return f"Deployment {name}: {why}"
    # Deployments we cannot name in advance (prepackaged servers, explainers) must be done too.
    for deployment in deployments:
        if why := _unfinished(deployment):
            return f"Deployment {deployment.metadata.name}: {why}"
    return ""


def _expected(sdep: JsonDict) -> Iterator[tuple[str, JsonDict, int | None, dict[str, Any]]]:
    spec = sdep.get("spec") or {}
    name = sdep["metadata"]["name"]
    for predictor in spec.get("predictors") or []:
        units = dict(_units(predictor.get("graph") or {}))
        for index, component in enumerate(predictor.get("componentSpecs") or []):
            component = component or {}
            # an autoscaler owns the count when there is one
            autoscaled = component.get("hpaSpec") or component.get("kedaSpec")
            replicas = None if autoscaled else _replicas(component, predictor, spec)
            yield (
                deployment_name(name, predictor["name"], index, component),
                component,
                replicas,
                units,
            )


def _units(unit: JsonDict) -> Iterator[tuple[str, Any]]:
    yield str(unit.get("name")), unit.get("parameters") or []
    for child in unit.get("children") or []:
        yield from _units(child)


def _replicas(component: JsonDict, predictor: JsonDict, spec: JsonDict) -> int:
    """componentSpec, then predictor, then spec `replicas`; 1 when none says."""
    values = (component.get("replicas"), predictor.get("replicas"), spec.get("replicas"))
    return next((int(v) for v in values if v is not None), 1)


def _differs(
    deployment: Any, component: JsonDict, replicas: int | None, units: dict[str, Any]
) -> str:
    live = {c.name: c for c in deployment.spec.template.spec.containers or []}
    for wanted in (component.get("spec") or {}).get("containers") or []:
        container = live.get(wanted.get("name"))
        if container is None:
            return f"container {wanted.get('name')} not there yet"
        if wanted.get("image") and container.image != wanted["image"]:
            return f"still runs image {container.image} (want {wanted['image']})"
        if not _same_parameters(container, units.get(str(wanted.get("name")))):
            return f"container {container.name} still has the old parameters"
    if replicas is not None and (deployment.spec.replicas or 0) != replicas:
        return f"{deployment.spec.replicas} replicas, want {replicas}"
    return ""


def _same_parameters(container: Any, parameters: Any) -> bool:
    if not parameters:
        return True
    env = {e.name: e.value for e in container.env or []}
    try:
        live = json.loads(env.get(PARAMETERS_ENV) or "[]")
    except ValueError:
        return False
    return all(p in live for p in parameters)


def _unfinished(deployment: Any) -> str:
    meta, spec, st = deployment.metadata, deployment.spec, deployment.status
    if (meta.generation or 0) > (st.observed_generation or 0):
        return "the Deployment controller has not seen the change yet"
    want = spec.replicas if spec.replicas is not None else 1
    updated, total = st.updated_replicas or 0, st.replicas or 0
    available = st.available_replicas or 0
    if updated < want or total > updated or available < want:
        return f"{updated}/{want} pods updated, {available} available, {total - updated} old"
    return ""
