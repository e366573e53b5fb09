"""Checks of the scaling keys of nodes (`replicas`, `hpa`, `pdb`) where Seldon or Kubernetes
would reject them, or accept them and then not do what they say.

Seldon puts `hpaSpec`/`pdbSpec` on a componentSpec (one pod), so they need `pods: per-node`;
the operator ignores `replicas` beside an `hpaSpec` (reference §2.5, replica precedence); the
API server rejects an autoscaler whose `minReplicas` exceeds `maxReplicas` and a budget with
both `minAvailable` and `maxUnavailable`; an autoscaler on utilisation needs the resource's
request, or it never scales.
"""

from __future__ import annotations

from .diagnostics import Reporter
from .spec import GraphSpec, Hpa, NodeSpec

_SCALING_KEYS = ("hpa", "pdb")


def check_scaling(spec: GraphSpec, r: Reporter) -> None:
    for node in spec.nodes:
        if not node.has_container:
            continue  # no pod at all: check.py says the keys have no effect
        if spec.pods == "single":
            _single_pod(node, r)
            continue  # the keys have no pod to act on: nothing more follows from them
        if node.hpa is not None:
            _check_hpa(node, node.hpa, r)
        _check_pdb(node, r)


def _single_pod(node: NodeSpec, r: Reporter) -> None:
    for key in _SCALING_KEYS:
        if key in node.positions:
            r.error(
                node.at(key),
                f"node `{node.name}` sets `{key}`, but all nodes share one pod",
                "replicas-single-pod",
                "add `pods: per-node` at the top, so the node has a pod of its own to scale",
            )


def _check_hpa(node: NodeSpec, hpa: Hpa, r: Reporter) -> None:
    if hpa.min > hpa.max:
        r.error(
            node.at("hpa.min"),
            f"`hpa` of node `{node.name}` has min {hpa.min} above max {hpa.max}; the API "
            "server rejects such an autoscaler",
            "bad-value",
            f"make `min` at most {hpa.max}",
        )
    if node.replicas is not None:
        r.error(
            node.at("replicas"),
            f"node `{node.name}` sets both `replicas` and `hpa`; Seldon ignores `replicas` "
            "when an autoscaler decides the count",
            "conflict",
            "remove `replicas`; `hpa.min` is the fewest the autoscaler keeps",
        )
    requested = {"cpu": node.resources.cpu, "memory": node.resources.memory}
    for resource, target in (("cpu", hpa.cpu), ("memory", hpa.memory)):
        if target is not None and not requested[resource]:
            r.warning(
                node.at(f"hpa.{resource}"),
                f"`hpa.{resource}` of node `{node.name}` is a percentage of its {resource} "
                f"request, and the node requests no {resource}: the autoscaler cannot "
                "compute it and never scales",
                "hpa-request",
                f"add `resources: {{{resource}: ...}}` to the node",
            )


def _check_pdb(node: NodeSpec, r: Reporter) -> None:
    pdb = node.pdb
    if pdb is None:
        return
    if pdb.min_available is not None and pdb.max_unavailable is not None:
        r.error(
            node.at("pdb.max_unavailable"),
            f"`pdb` of node `{node.name}` sets both `min_available` and `max_unavailable`; "
            "a PodDisruptionBudget takes one of them",
            "conflict",
            "keep one",
        )
        return
    fewest = node.hpa.min if node.hpa is not None else node.replicas or 1
    blocks = (
        pdb.max_unavailable == 0
        or (isinstance(pdb.min_available, int) and pdb.min_available >= fewest)
        or pdb.min_available == "100%"
    )
    if blocks:
        key = "pdb.max_unavailable" if pdb.max_unavailable is not None else "pdb.min_available"
        r.warning(
            node.at(key),
            f"the `pdb` of node `{node.name}` allows no pod of its {fewest} to be evicted: "
            "draining a Kubernetes node waits for it forever",
            "pdb-blocks",
            "allow one pod down (e.g. `max_unavailable: 1`), or run more replicas",
        )
