# ruff: noqa: RUF009  (`key` is a dataclasses.field with the manifest key in its metadata)
"""The SeldonDeployment (machinelearning.seldon.io/v1) as typed, frozen dataclasses.

Field names follow Python; `key(...)` names the manifest key. Fields are declared in the
order compile writes them, so `to_dict` of a compiled object is the manifest byte for byte;
a field compile never writes sits where Seldon's CRD lists it. Kubernetes' own types
(PodSpec, container, HPA metrics) stay plain mappings: Seldon passes them through untouched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Self

from .codec import BOOL, INT, INT_OR_STR, LIST, MAP, STR, STR_MAP, Model, key, model, models

API_VERSION = "machinelearning.seldon.io/v1"
KIND = "SeldonDeployment"


@dataclass(frozen=True)
class ObjectMeta(Model):
    name: str | None = key("name", STR)
    namespace: str | None = key("namespace", STR)
    labels: dict[str, str] | None = key("labels", STR_MAP)
    annotations: dict[str, str] | None = key("annotations", STR_MAP)


@dataclass(frozen=True)
class Parameter(Model):
    """A node parameter in Seldon's typed string form."""

    name: str | None = key("name", STR)
    type: str | None = key("type", STR)
    value: str | None = key("value", STR)


@dataclass(frozen=True)
class Logger(Model):
    mode: str | None = key("mode", STR)
    url: str | None = key("url", STR)


@dataclass(frozen=True)
class Endpoint(Model):
    """Where the executor reaches a node; the operator fills it in."""

    service_host: str | None = key("service_host", STR)
    service_port: int | None = key("service_port", INT)
    type: str | None = key("type", STR)
    http_port: int | None = key("httpPort", INT)
    grpc_port: int | None = key("grpcPort", INT)


@dataclass(frozen=True)
class PredictiveUnit(Model):
    """One node of a predictor's graph."""

    name: str | None = key("name", STR)
    type: str | None = key("type", STR)
    implementation: str | None = key("implementation", STR)
    methods: list[Any] | None = key("methods", LIST)
    model_uri: str | None = key("modelUri", STR)
    env_secret_ref_name: str | None = key("envSecretRefName", STR)
    service_account_name: str | None = key("serviceAccountName", STR)
    storage_initializer_image: str | None = key("storageInitializerImage", STR)
    endpoint: Endpoint | None = key("endpoint", model(Endpoint))
    parameters: tuple[Parameter, ...] | None = key("parameters", models(Parameter))
    logger: Logger | None = key("logger", model(Logger))
    children: tuple[PredictiveUnit, ...] | None = key("children", models(lambda: PredictiveUnit))

    @classmethod
    def from_dict(cls, data: Mapping[Any, Any]) -> Self:
        """Iterative, bottom-up: graphs thousands of levels deep (check-manifest reads
        whatever it is given) cannot hit the recursion limit."""
        found: list[Mapping[Any, Any]] = []  # pre-order
        stack = [data]
        while stack:
            item = stack.pop()
            found.append(item)
            stack.extend(_unit_dicts(item.get("children")))
        built: dict[int, Self] = {}
        for item in reversed(found):
            kids = item.get("children")
            given = {"children": tuple(built[id(k)] for k in kids)} if _unit_dicts(kids) else {}
            built[id(item)] = cls.read_with(item, given)
        return built[id(data)]

    def to_dict(self) -> dict[Any, Any]:
        units = list(self.walk())
        done: dict[int, dict[Any, Any]] = {}
        for unit in reversed(units):
            kids = unit.children
            given = {"children": [done[id(k)] for k in kids]} if kids is not None else {}
            done[id(unit)] = unit.write_with(given)
        return done[id(self)]

    @property
    def kids(self) -> tuple[PredictiveUnit, ...]:
        return self.children or ()

    def walk(self) -> Iterator[PredictiveUnit]:
        """This unit and every unit below it, pre-order, children in order (Seldon's
        lookup order). Iterative: no recursion limit on deep graphs."""
        stack = [self]
        while stack:
            unit = stack.pop()
            yield unit
            stack.extend(reversed(unit.kids))


def _unit_dicts(value: Any) -> list[Mapping[Any, Any]]:
    """`children` as a list of units, or [] when it is not one (then it is kept verbatim)."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    return []


@dataclass(frozen=True)
class HpaSpec(Model):
    min_replicas: int | None = key("minReplicas", INT)
    max_replicas: int | None = key("maxReplicas", INT)
    metrics: list[Any] | None = key("metrics", LIST)  # autoscaling/v2beta1 MetricSpec
    metricsv2: list[Any] | None = key("metricsv2", LIST)  # autoscaling/v2 MetricSpec


@dataclass(frozen=True)
class PdbSpec(Model):
    min_available: int | str | None = key("minAvailable", INT_OR_STR)
    max_unavailable: int | str | None = key("maxUnavailable", INT_OR_STR)


@dataclass(frozen=True)
class ComponentSpec(Model):
    """One pod template (`spec` is a Kubernetes PodSpec) with its scaling."""

    metadata: ObjectMeta | None = key("metadata", model(ObjectMeta))
    replicas: int | None = key("replicas", INT)
    spec: dict[str, Any] | None = key("spec", MAP)
    hpa_spec: HpaSpec | None = key("hpaSpec", model(HpaSpec))
    pdb_spec: PdbSpec | None = key("pdbSpec", model(PdbSpec))
    keda_spec: dict[str, Any] | None = key("kedaSpec", MAP)

    @property
    def containers(self) -> list[dict[str, Any]]:
        """The pod's containers that are mappings (others are the CRD check's to report)."""
        found = (self.spec or {}).get("containers")
        return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


@dataclass(frozen=True)
class Explainer(Model):
    type: str | None = key("type", STR)
    model_uri: str | None = key("modelUri", STR)
    env_secret_ref_name: str | None = key("envSecretRefName", STR)
    service_account_name: str | None = key("serviceAccountName", STR)
    storage_initializer_image: str | None = key("storageInitializerImage", STR)
    container_spec: dict[str, Any] | None = key("containerSpec", MAP)
    config: dict[str, str] | None = key("config", STR_MAP)
    endpoint: Endpoint | None = key("endpoint", model(Endpoint))
    init_parameters: str | None = key("initParameters", STR)
    replicas: int | None = key("replicas", INT)


@dataclass(frozen=True)
class Predictor(Model):
    name: str | None = key("name", STR)
    replicas: int | None = key("replicas", INT)
    traffic: int | None = key("traffic", INT)
    shadow: bool | None = key("shadow", BOOL)
    labels: dict[str, str] | None = key("labels", STR_MAP)
    annotations: dict[str, str] | None = key("annotations", STR_MAP)
    component_specs: tuple[ComponentSpec, ...] | None = key("componentSpecs", models(ComponentSpec))
    graph: PredictiveUnit | None = key("graph", model(PredictiveUnit))
    explainer: Explainer | None = key("explainer", model(Explainer))
    svc_orch_spec: dict[str, Any] | None = key("svcOrchSpec", MAP)
    engine_resources: dict[str, Any] | None = key("engineResources", MAP)
    ssl: dict[str, Any] | None = key("ssl", MAP)
    progress_deadline_seconds: int | None = key("progressDeadlineSeconds", INT)

    @property
    def units(self) -> Iterator[PredictiveUnit]:
        """Every graph node, pre-order (none when the graph is missing)."""
        return self.graph.walk() if self.graph is not None else iter(())

    @property
    def components(self) -> tuple[ComponentSpec, ...]:
        return self.component_specs or ()


@dataclass(frozen=True)
class SeldonDeploymentSpec(Model):
    name: str | None = key("name", STR)
    protocol: str | None = key("protocol", STR)
    transport: str | None = key("transport", STR)
    server_type: str | None = key("serverType", STR)
    replicas: int | None = key("replicas", INT)
    annotations: dict[str, str] | None = key("annotations", STR_MAP)
    predictors: tuple[Predictor, ...] | None = key("predictors", models(Predictor))
    oauth_key: str | None = key("oauth_key", STR)
    oauth_secret: str | None = key("oauth_secret", STR)


@dataclass(frozen=True)
class SeldonDeployment(Model):
    api_version: str | None = key("apiVersion", STR)
    kind: str | None = key("kind", STR)
    metadata: ObjectMeta | None = key("metadata", model(ObjectMeta))
    spec: SeldonDeploymentSpec | None = key("spec", model(SeldonDeploymentSpec))
    status: dict[str, Any] | None = key("status", MAP)  # written by the operator

    @property
    def name(self) -> str:
        return (self.metadata.name if self.metadata else None) or ""

    @property
    def namespace(self) -> str:
        return (self.metadata.namespace if self.metadata else None) or ""

    @property
    def predictors(self) -> tuple[Predictor, ...]:
        return (self.spec.predictors if self.spec else None) or ()

    @property
    def protocol(self) -> str:
        """The protocol as the operator defaults it (seldon when absent)."""
        return (self.spec.protocol if self.spec else None) or "seldon"

    def units(self) -> Iterator[PredictiveUnit]:
        """Every graph node of every predictor, pre-order."""
        for predictor in self.predictors:
            yield from predictor.units


def read(data: Mapping[Any, Any]) -> SeldonDeployment:
    """A SeldonDeployment from its plain form (YAML/JSON), whatever it holds."""
    return SeldonDeployment.from_dict(data)
