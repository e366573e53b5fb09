"""Seldon's rules for a SeldonDeployment's predictors, checked on the deployment file.

The operator's webhook (`checkTraffic`, reference §2.1 rules 5, 9, 13-16) rejects these
only once the object reaches a cluster; here each is reported at the token that causes it.
"""

from __future__ import annotations

from dataclasses import replace

from ..check import _check_derived_names as check_derived_names
from ..check import _check_metadata, _dns_help
from ..diagnostics import Reporter
from ..safety import dns_label, dns_subdomain
from ..spec import GraphSpec, Pos
from .model import DeploymentSpec, PredictorSpec
from .read import PredictorGraph

TRAFFIC_TOTAL = 100


def check(dep: DeploymentSpec, graphs: list[PredictorGraph], r: Reporter) -> None:
    _check_names(dep, r)
    _check_explainers(dep, r)
    _check_labels(dep, r)
    _check_shadows(dep.predictors, r)
    _check_traffic(dep, r)
    _check_shared_settings(graphs, r)
    _check_webhook_annotations(graphs, r)
    for pg in graphs:
        if pg.spec is not None and pg.tree is not None:
            _check_derived_names(dep, pg, r)


def _check_names(dep: DeploymentSpec, r: Reporter) -> None:
    for value, pos in (
        (dep.name, dep.at("deployment")),
        (dep.namespace, dep.at("namespace")),
        *((p.name, p.pos) for p in dep.predictors),
    ):
        if value and (why := dns_label(value)):
            r.error(pos, why, "bad-name", _dns_help(value))


def _check_explainers(dep: DeploymentSpec, r: Reporter) -> None:
    for p in dep.predictors:
        secret = p.explainer.secret if p.explainer is not None else None
        if p.explainer is None or secret is None:
            continue
        if why := dns_subdomain(secret):
            r.error(p.at("explainer.secret"), why, "bad-name", _dns_help(secret))
        elif p.explainer.model_uri is None:
            r.error(
                p.at("explainer.secret"),
                "the explainer's `secret` holds storage credentials for its `model_uri`, "
                "which it does not have",
                "unused-key",
                "remove it, or add the `model_uri` it is for",
            )


SVC_NAME, NO_ENGINE = "seldon.io/svc-name", "seldon.io/no-engine"


def _check_webhook_annotations(graphs: list[PredictorGraph], r: Reporter) -> None:
    """Seldon's webhook rules on predictor annotations (reference §2.1 rules 6 and 8)."""
    named: dict[str, str] = {}
    for pg in graphs:
        p, notes = pg.predictor, dict(pg.predictor.annotations)
        service = notes.get(SVC_NAME)
        if service in named:
            r.error(
                p.at(f"annotations.{SVC_NAME}"),
                f"Found duplicate service name in {SVC_NAME} with value {service} "
                f"(predictor `{named[service]}` has it already)",
                "webhook",
                "give each predictor its own Service name",
            )
        elif service is not None:
            named[service] = p.name
        if NO_ENGINE in notes and pg.spec is not None and len(pg.spec.nodes) > 1:
            r.error(
                p.key_at(f"annotations.{NO_ENGINE}"),
                "Running without engine only valid for single element graphs",
                "webhook",
                f"remove the `{NO_ENGINE}` annotation, or give `{p.name}` a one-node graph",
            )


def _check_labels(dep: DeploymentSpec, r: Reporter) -> None:
    """Labels and annotations as the API server validates them (the graph file's rules)."""
    holders = [(dep.labels, dep.annotations, dep.positions, dep.keys)]
    holders += [(p.labels, p.annotations, p.positions, p.keys) for p in dep.predictors]
    for labels, notes, positions, keys in holders:
        # The graph file's metadata checks read only these fields of a GraphSpec.
        holder = GraphSpec(
            dep.file,
            dep.root,
            dep.name,
            None,
            (),
            (),
            labels=labels,
            annotations=notes,
            positions=positions,
            keys=keys,
        )
        _check_metadata(holder, r)


def _check_shadows(predictors: tuple[PredictorSpec, ...], r: Reporter) -> None:
    shadows = [p for p in predictors if p.shadow]
    if shadows and len(shadows) == len(predictors):
        r.error(
            shadows[0].at("shadow"),
            f"predictor `{shadows[0].name}` is a shadow, but there is no main predictor "
            "whose requests it could mirror",
            "deploy-shadow",
            "add the predictor that serves the answers, with `traffic: 100`",
        )
    for extra in shadows[1:]:
        r.error(
            extra.at("shadow"),
            f"a second shadow predictor (`{shadows[0].name}` is one already); "
            "Seldon allows one shadow per deployment",
            "deploy-shadow",
            "keep one shadow; mirror to a second graph from another deployment",
        )
    for p in shadows:
        if p.traffic is not None:
            r.error(
                p.at("traffic"),
                f"shadow predictor `{p.name}` takes no traffic weight: it gets a copy of "
                "every request and its answers are discarded",
                "deploy-shadow",
                "remove `traffic:` from the shadow",
            )


def _check_traffic(dep: DeploymentSpec, r: Reporter) -> None:
    """Skipped where a share is not known: a traffic that is not a number, a misspelt key,
    a predictor that YAML would have dropped as a duplicate (already reported)."""
    mains = [p for p in dep.predictors if not p.shadow]
    if any(p.unsure for p in mains) or r.has_rule("duplicate-key"):
        return
    if len(mains) > 1:
        for p in mains:
            if p.traffic is None:
                r.error(
                    p.pos,
                    f"predictor `{p.name}` has no `traffic:`; with several predictors each "
                    "says its percentage of the requests",
                    "deploy-traffic",
                    "add e.g. `traffic: 10`; the non-shadow predictors add up to 100",
                )
    if any(p.traffic is None for p in mains) and len(mains) > 1:
        return
    shares = [(p, TRAFFIC_TOTAL if p.traffic is None else p.traffic) for p in mains]
    total = sum(share for _, share in shares)
    if mains and total != TRAFFIC_TOTAL:
        written = " + ".join(f"{p.name} {share}" for p, share in shares)
        r.error(
            mains[0].at("traffic") if len(mains) == 1 else dep.key_at("predictors"),
            f"traffic adds up to {total} ({written}); Seldon needs the non-shadow "
            f"predictors' traffic to add up to {TRAFFIC_TOTAL}",
            "deploy-traffic",
            "change the percentages so they add up to 100",
        )


def _shared(spec: GraphSpec) -> dict[str, object]:
    """Settings that are the SeldonDeployment's, not a predictor's: one value for all."""
    annotations = dict(spec.annotations)
    if spec.rest_timeout_ms is not None:
        annotations["seldon.io/rest-timeout"] = str(spec.rest_timeout_ms)
    return {"protocol": spec.protocol, "transport": spec.transport, "annotations": annotations}


def _check_shared_settings(graphs: list[PredictorGraph], r: Reporter) -> None:
    checked = [(pg.predictor, pg.spec) for pg in graphs if pg.spec is not None]
    if not checked:
        return
    (first, first_spec), rest = checked[0], checked[1:]
    want = _shared(first_spec)
    for predictor, spec in rest:
        for key, value in _shared(spec).items():
            if value != want[key]:
                r.error(
                    _setting_at(predictor, spec, key),
                    f"the graph of predictor `{predictor.name}` has {key} {_show(value)}, "
                    f"but `{first.name}`'s has {_show(want[key])}; a "
                    f"SeldonDeployment has one {key} for all its predictors",
                    "deploy-mismatch",
                    f"give every predictor's graph the same `{key}`",
                )


def _setting_at(predictor: PredictorSpec, spec: GraphSpec, key: str) -> Pos:
    """Where the differing setting is written: in an inline graph, its own key's value;
    else the predictor's graph file (whose own lines are another file's)."""
    if predictor.graph_file is None and key in spec.positions:
        return spec.at(key)
    return predictor.at("graph")


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}" if value else "none"
    return f"`{value}`"


def _check_derived_names(dep: DeploymentSpec, pg: PredictorGraph, r: Reporter) -> None:
    """The names the operator derives from the deployment's and predictor's names (the
    graph file's own check used the graph's), reported at `deployment:`."""
    spec, tree = pg.spec, pg.tree
    assert spec is not None and tree is not None
    if not dep.name:
        return
    placed = replace(
        spec,
        name=dep.name,
        predictor=pg.predictor.name,
        positions={"name": dep.at("deployment")},
    )
    check_derived_names(placed, tree, r)
