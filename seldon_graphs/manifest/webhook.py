"""A faithful port of Seldon's validating webhook (`ValidateSeldonDeployment`, v1.19.0-rc.1).

Source: operator/apis/machinelearning.seldon.io/v1/seldondeployment_webhook.go; every rule in
the order Seldon checks it, with Seldon's message and field path (children append only their
index: `spec.predictors[0].graph[0][1]`). Reference: ../shared/reference/seldon_v1.md §2.1.
Seldon evaluates the un-defaulted spec, so absent fields are read as Go zero values.

Rule 10e needs the operator's `predictor_servers` ConfigMap; `servers` stands in for it
(Seldon's default keys unless the caller knows of custom servers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..catalog import (
    DEFAULT_SERVERS,
    NO_ENGINE,
    NO_TENSORFLOW,
    SELDON_PROTOCOLS,
    SERVER_TYPES,
    SVC_NAME,
    TRANSPORTS,
    UNKNOWN_IMPLEMENTATION,
    is_prepack,
)
from ..diagnostics import did_you_mean
from ..sdep import Predictor, SeldonDeploymentSpec
from .finding import Finding, JsonPath
from .walk import Node, as_list, as_map, as_str, container_names, predictors, typed_predictors, walk

PROTOCOLS = SELDON_PROTOCOLS
KAFKA_ENVS = ("KAFKA_BROKER", "KAFKA_INPUT_TOPIC", "KAFKA_OUTPUT_TOPIC")


class _Errors:
    """Seldon's `allErrs`: `field.Invalid(path, value, message)` in order."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def invalid(
        self,
        rule: str,
        seldon_path: str,
        value: Any,
        message: str,
        at: JsonPath,
        help: str | None = None,
    ) -> None:
        self.items.append(
            Finding(at, message, f"webhook-{rule}", "error", help, seldon_path, value)
        )


def validate(sdep: dict[str, Any], servers: Iterable[str] = DEFAULT_SERVERS) -> list[Finding]:
    """Every error Seldon's webhook would return for `sdep`, in Seldon's order."""
    # The spec's own fields, typed; its predictors one by one (see typed_predictors).
    spec = SeldonDeploymentSpec.read_with(as_map(sdep.get("spec")), {"predictors": None})
    raw, preds = predictors(sdep), typed_predictors(sdep)
    errs = _Errors()
    _check_enums(spec, errs)
    _check_kafka(spec, preds, errs)
    _check_shadow(preds, errs)
    _check_svc_names(preds, errs)
    if not preds:
        errs.invalid(
            "no-predictors",
            "spec",
            spec.transport or "",  # sic: Seldon reports the transport here
            "Graph contains no predictors",
            ("spec", "predictors"),
            "add at least one predictor with a graph",
        )
    transports: dict[str, Node] = {}
    seen: set[str] = set()
    known_servers = frozenset(servers)
    for i, p in enumerate(preds):
        nodes = list(walk(i, raw[i].get("graph"), zero_root=True))
        for node in nodes:
            etype = node.unit.endpoint.type if node.unit.endpoint else None
            if etype:
                transports.setdefault(etype, node)
        name = p.name or ""
        if NO_ENGINE in (p.annotations or {}) and len(nodes) > 1:
            errs.invalid(
                "no-engine",
                f"spec.predictors[{i}]",
                name,
                "Running without engine only valid for single element graphs",
                ("spec", "predictors", i, "annotations", NO_ENGINE),
                f"remove the `{NO_ENGINE}` annotation, or reduce the graph to one node",
            )
        if name in seen:
            errs.invalid(
                "duplicate-predictor",
                f"spec.predictors[{i}]",
                name,
                "Duplicate predictor name",
                ("spec", "predictors", i, "name"),
                "give every predictor its own name",
            )
        seen.add(name)
        containers = container_names(raw[i])
        for node in nodes:
            _check_unit(spec, containers, node, known_servers, errs)
    _check_transports(spec, transports, errs)
    _check_traffic(preds, errs)
    return errs.items


def _check_enums(spec: SeldonDeploymentSpec, errs: _Errors) -> None:
    for key, given, allowed, message, rule in (
        ("protocol", spec.protocol, PROTOCOLS, "Invalid protocol", "protocol"),
        ("transport", spec.transport, TRANSPORTS, "Invalid transport", "transport"),
        ("serverType", spec.server_type, SERVER_TYPES, "Invalid serverType", "server-type"),
    ):
        value = given or ""
        if value and value not in allowed:
            hint = did_you_mean(value, allowed) or "one of " + ", ".join(allowed)
            errs.invalid(rule, "spec", value, message, ("spec", key), hint)


def _check_kafka(spec: SeldonDeploymentSpec, preds: list[Predictor], errs: _Errors) -> None:
    if spec.server_type != "kafka":
        return
    for i, p in enumerate(preds):
        envs = as_list(as_map(p.svc_orch_spec).get("env"))
        found = sum(1 for e in envs if as_str(as_map(e).get("name")) in KAFKA_ENVS)
        if not envs or found < 3:
            errs.invalid(
                "kafka-env",
                f"spec.predictors[{i}]",
                p.name or "",
                "For kafka please supply svcOrchSpec envs KAFKA_BROKER, KAFKA_INPUT_TOPIC, "
                "KAFKA_OUTPUT_TOPIC",
                ("spec", "predictors", i, "svcOrchSpec", "env"),
                "set all three env vars under svcOrchSpec.env",
            )


def _check_shadow(preds: list[Predictor], errs: _Errors) -> None:
    if len(preds) == 1 and preds[0].shadow is True:
        errs.invalid(
            "shadow-alone",
            "spec.predictors[0]",
            preds[0].name or "",
            "Shadow can not exist as only predictor",
            ("spec", "predictors", 0, "shadow"),
            "a shadow mirrors another predictor's traffic: add the main predictor",
        )


def _check_svc_names(preds: list[Predictor], errs: _Errors) -> None:
    seen: set[str] = set()
    for i, p in enumerate(preds):
        annotations = p.annotations or {}
        if SVC_NAME not in annotations:
            continue
        value = annotations[SVC_NAME]
        if value in seen:
            errs.invalid(
                "svc-name",
                f"spec.predictors[{i}]",
                p.name or "",
                f"Found duplicate service name in {SVC_NAME} with value {value}",
                ("spec", "predictors", i, "annotations", SVC_NAME),
                "each predictor needs its own service name",
            )
        seen.add(value)


def _check_unit(
    spec: SeldonDeploymentSpec,
    containers: dict[str, dict[str, Any]],
    node: Node,
    servers: frozenset[str],
    errs: _Errors,
) -> None:
    """`checkPredictiveUnits` for one node (the walk supplies Seldon's recursion order)."""
    unit, name = node.unit, node.name
    impl = unit.implementation
    if impl is None or impl == UNKNOWN_IMPLEMENTATION:
        if name not in containers:
            errs.invalid(
                "container",
                node.seldon_path(),
                name,
                "Can't find container for Predictive Unit",
                node.path("name"),
                _container_help(name, containers),
            )
        if unit.type == "UNKNOWN_TYPE" and not unit.methods:
            errs.invalid(
                "methods",
                node.seldon_path(),
                name,
                "Predictive Unit has no implementation methods defined. Change to a known type "
                "or add what methods it defines",
                node.path("type"),
                "set type to MODEL, TRANSFORMER, OUTPUT_TRANSFORMER, ROUTER or COMBINER, "
                "or list the node's methods",
            )
    elif is_prepack(impl):
        _check_prepack(spec, node, impl, containers, servers, errs)
    logger = unit.logger
    if logger is not None and not logger.mode:
        errs.invalid(
            "logger-mode",
            node.seldon_path(),
            "",
            "No logger mode specified",
            node.path("logger", "mode") if logger.has("mode") else node.path("logger"),
            "set logger.mode to all, request or response",
        )


def _check_prepack(
    spec: SeldonDeploymentSpec,
    node: Node,
    impl: str,
    containers: dict[str, dict[str, Any]],
    servers: frozenset[str],
    errs: _Errors,
) -> None:
    name = node.name
    if not node.unit.model_uri and impl != "HUGGINGFACE_SERVER":
        errs.invalid(
            "model-uri",
            node.seldon_path(),
            name,
            "Predictive unit modelUri required when using standalone servers",
            node.path("modelUri") if node.unit.has("modelUri") else node.path("implementation"),
            "set modelUri to the model's location (s3://, gs://, pvc://, ...)",
        )
    if spec.protocol == "tensorflow" and impl in NO_TENSORFLOW:
        errs.invalid(
            "server-protocol",
            node.seldon_path(),
            name,
            f"Prepackaged server does not handle tensorflow protocol {impl}",
            node.path("implementation"),
            "use protocol seldon or v2 for this server",
        )
    container = containers.get(name)
    if (container is None or not as_str(container.get("image"))) and impl not in servers:
        errs.invalid(
            "server",
            node.seldon_path(),
            name,
            f"No entry in predictors map for {impl}",
            node.path("implementation"),
            did_you_mean(impl, sorted(servers))
            or "use a prepackaged server, or give the node a container with an image",
        )


def _container_help(name: str, containers: dict[str, dict[str, Any]]) -> str:
    close = did_you_mean(name, [c for c in containers if c])
    if close:
        return f"{close} (a graph node runs in the container that has its name)"
    return (
        f"add a container named `{name}` to componentSpecs[].spec.containers, or set "
        "`implementation` to a prepackaged server"
    )


def _check_transports(
    spec: SeldonDeploymentSpec, transports: dict[str, Node], errs: _Errors
) -> None:
    transport = spec.transport or ""
    if len(transports) > 1:
        second = list(transports.values())[1]
        errs.invalid(
            "endpoint-types",
            "spec",
            "",
            "Multiple endpoint.types found - can only have 1 type in graph. "
            "Please use spec.transport",
            second.path("endpoint", "type"),
            "remove the graph's endpoint.type fields and set spec.transport instead",
        )
    elif len(transports) == 1 and transport:
        etype, node = next(iter(transports.items()))
        if (etype == "REST" and transport != "rest") or (etype == "GRPC" and transport != "grpc"):
            errs.invalid(
                "mixed-transport",
                "spec",
                "",
                "Mixed transport types found. Remove graph endpoint.types if transport set at "
                "deployment level",
                node.path("endpoint", "type"),
                "remove endpoint.type from the graph; spec.transport decides",
            )


def _check_traffic(preds: list[Predictor], errs: _Errors) -> None:
    """`checkTraffic`: all its errors carry the path `spec`."""
    total, shadows = 0, 0
    for i, p in enumerate(preds):
        name, traffic = p.name or "", p.traffic or 0
        if p.shadow is True:
            shadows += 1
            if shadows > 1:
                errs.invalid(
                    "shadows",
                    "spec",
                    name,
                    "Multiple shadows are not allowed",
                    ("spec", "predictors", i, "shadow"),
                    "keep one shadow predictor",
                )
            if traffic < 0 or traffic > 100:
                errs.invalid(
                    "shadow-traffic",
                    "spec",
                    name,
                    "shadow traffic is illegal, the traffic number should be between [0, 100]",
                    ("spec", "predictors", i, "traffic"),
                    "a shadow's traffic is the percentage mirrored to it: 0 to 100",
                )
        else:
            total += traffic
    if total != 100 and len(preds) - shadows > 1:
        errs.invalid(
            "traffic-sum",
            "spec",
            preds[0].name or "",
            "Traffic must sum to 100 for multiple predictors",
            _traffic_at(preds, 0),
            f"the non-shadow predictors' traffic adds up to {total}; make it 100",
        )
    if 0 < total < 100 and len(preds) == 1:
        errs.invalid(
            "traffic-single",
            "spec",
            preds[0].name or "",
            "Traffic must sum be 100 for a single predictor when set",
            _traffic_at(preds, 0),
            "set traffic to 100, or leave it out",
        )


def _traffic_at(preds: list[Predictor], i: int) -> JsonPath:
    return ("spec", "predictors", i, "traffic" if preds[i].has("traffic") else "name")
