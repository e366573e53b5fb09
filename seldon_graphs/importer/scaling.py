"""A componentSpec's `hpaSpec` and `pdbSpec` -> its node's `hpa:` and `pdb:` (docs/dsl.md).

The inverse of `compile.hpa_spec` and `compile.pdb_spec`, read through the typed model
(`sdep.HpaSpec`, `sdep.PdbSpec`). A graph file's `hpa` scales on CPU and memory utilisation
in the autoscaling/v2 form (`metricsv2`); anything else an autoscaler says (the v2beta1
`metrics`, other metric types, `minReplicas: 0`) is reported where it is written and left
out, never turned into something it did not say. A budget takes one of its two keys, as a
graph file's `pdb` does.
"""

from __future__ import annotations

import re
from typing import Any

from .. import sdep
from ..manifest.finding import JsonPath
from ..sdep.codec import as_map, is_int
from .losses import Losses

_RESOURCES = ("cpu", "memory")
_PERCENT = re.compile(r"^(100|[1-9]?[0-9])%$")  # the graph schema's pdb pattern


def hpa_entry(hpa: sdep.HpaSpec, at: JsonPath, losses: Losses) -> dict[str, Any] | None:
    """`hpa:` for `hpa` (the hpaSpec at `at`), or None when it says what no `hpa:` can."""
    _drop_unknown(hpa, at, losses)
    if hpa.metrics is not None:
        losses.drop(
            (*at, "metrics"),
            "not expressible: the autoscaling/v2beta1 form; a graph file's `hpa` is "
            "autoscaling/v2 (`metricsv2`)",
        )
    most, fewest = hpa.max_replicas, hpa.min_replicas
    if most is None or most < 1 or (fewest is not None and fewest < 1):
        losses.drop(at, "not expressible: a graph file's `hpa` scales between 1 and `max`")
        return None
    entry: dict[str, Any] = {} if fewest is None else {"min": fewest}
    entry["max"] = most
    entry.update(_targets(hpa.metricsv2 or [], (*at, "metricsv2"), losses))
    return entry


def _targets(metrics: list[Any], at: JsonPath, losses: Losses) -> dict[str, int]:
    """{resource: percent} of the metrics that are CPU or memory utilisation targets."""
    found: dict[str, int] = {}
    for i, metric in enumerate(metrics):
        target = _utilisation(metric)
        if target is None or target[0] in found:
            why = "a second target for it" if target else "graph files scale on CPU or memory"
            losses.drop((*at, i), f"not expressible: {why} utilisation")
            continue
        found[target[0]] = target[1]
    return {resource: found[resource] for resource in _RESOURCES if resource in found}


def _utilisation(metric: Any) -> tuple[str, int] | None:
    """(resource, percent) of `metric`, written exactly as `compile` writes one, else None."""
    resource = as_map(as_map(metric).get("resource"))
    target = as_map(resource.get("target"))
    percent = target.get("averageUtilization")
    written = (
        as_map(metric).keys() == {"type", "resource"}
        and metric["type"] == "Resource"
        and resource.keys() == {"name", "target"}
        and resource["name"] in _RESOURCES
        and target == {"type": "Utilization", "averageUtilization": percent}
    )
    if not written or not isinstance(percent, int) or not is_int(percent) or percent < 1:
        return None
    return str(resource["name"]), percent


def pdb_entry(pdb: sdep.PdbSpec, at: JsonPath, losses: Losses) -> dict[str, Any] | None:
    """`pdb:` for `pdb` (the pdbSpec at `at`), or None when it says what no `pdb:` can."""
    _drop_unknown(pdb, at, losses)
    values = {
        ours: value
        for ours, value in (
            ("min_available", pdb.min_available),
            ("max_unavailable", pdb.max_unavailable),
        )
        if value is not None
    }
    if len(values) != 1 or not all(_count(v) for v in values.values()):
        losses.drop(
            at,
            "not expressible: a graph file's `pdb` is one of minAvailable and maxUnavailable, "
            "a count or a whole percentage",
        )
        return None
    return values


def _count(value: int | str) -> bool:
    return value >= 0 if isinstance(value, int) else bool(_PERCENT.match(value))


def _drop_unknown(spec: sdep.HpaSpec | sdep.PdbSpec, at: JsonPath, losses: Losses) -> None:
    """Keys the model does not know, or of the wrong type (the CRD check says which)."""
    for key in spec.extra:
        losses.drop((*at, key))
