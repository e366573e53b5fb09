"""Where a SeldonDeployment answers, and a curl to paste.

The executor listens on 8000 behind the predictor Service `<sdep>-<predictor>` (or the
predictor's `seldon.io/svc-name`); `status.address.url` names it once the operator has run.
The path depends on the protocol, as the operator writes it into `status.address.url`
(1.17.1 operator, utils/utils.go): seldon `/api/v1.0/predictions`, v2 and kfserving
`/v2/models/<root node>/infer`, tensorflow `/v1/models/<root node>:predict`.
Ingress (Istio/Ambassador) routes `/seldon/<namespace>/<sdep>/` to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .kube import JsonDict
from .names import hashed, predictor_service

PREDICT = "/api/v1.0/predictions"
SAMPLE = '{"data": {"ndarray": [[1.0, 2.0, 3.0, 4.0]]}}'
V2_SAMPLE = (
    '{"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", '
    '"data": [1.0, 2.0, 3.0, 4.0]}]}'
)
TENSORFLOW_SAMPLE = '{"instances": [[1.0, 2.0, 3.0, 4.0]]}'
EXECUTOR_PORT = 8000
EXPLAIN = "/api/v1.0/explain"
EXPLAINER_PORT = 9000  # the explainer Service `<sdep>-<predictor>-explainer` serves http here


@dataclass(frozen=True)
class PredictorEndpoint:
    """One predictor of a SeldonDeployment with several (or with an explainer)."""

    name: str
    service: str
    share: str  # "traffic 90%" or "shadow"
    explainer: bool
    local_port: int  # where `kubectl port-forward` puts its executor on localhost

    @property
    def explainer_service(self) -> str:
        return hashed(f"{self.service}-explainer")


@dataclass(frozen=True)
class Endpoint:
    namespace: str
    name: str
    service: str
    port: int
    context: str | None
    ingress: str | None  # base URL of the ingress gateway, e.g. http://localhost:8080
    path: str = PREDICT  # the prediction path for the graph's protocol
    sample: str = SAMPLE  # a request body in that protocol
    # Every predictor, when there are several or one has an explainer; else empty.
    predictors: tuple[PredictorEndpoint, ...] = ()

    @property
    def url(self) -> str:
        if self.ingress:
            return f"{self.ingress.rstrip('/')}/seldon/{self.namespace}/{self.name}{self.path}"
        return f"http://localhost:{self.port}{self.path}"

    def port_forward(self, service: str = "", ports: str = "") -> str:
        ctx = f" --context {self.context}" if self.context else ""
        ports = ports or f"{self.port}:{self.port}"
        svc = service or self.service
        return f"kubectl{ctx} -n {self.namespace} port-forward svc/{svc} {ports}"

    def curl(self, url: str = "") -> str:
        return (
            f"curl -s -X POST {url or self.url} -H 'Content-Type: application/json' "
            f"-d '{self.sample}'"
        )

    def render(self) -> str:
        lines = [f"endpoint: {self.url}"]
        if self.predictors:
            return "\n".join([*lines, *self._predictor_lines()])
        if not self.ingress:
            lines.append(f"  {self.port_forward()} &")
        lines.append(f"  {self.curl()}")
        return "\n".join(lines)

    def _predictor_lines(self) -> list[str]:
        lines: list[str] = []
        if self.ingress:
            split = ", ".join(f"{p.name} {p.share}" for p in self.predictors)
            lines.append(f"  the ingress splits requests: {split}")
            lines.append(f"  {self.curl()}")
        for i, p in enumerate(self.predictors):
            if self.ingress and not p.explainer:
                continue  # reached through the ingress's split above
            lines.append(f"  predictor {p.name} ({p.share}):")
            if not self.ingress:
                lines.append(f"    {self.port_forward(p.service, f'{p.local_port}:{self.port}')} &")
                lines.append(f"    {self.curl(f'http://localhost:{p.local_port}{self.path}')}")
            if p.explainer:
                lines.extend(f"    {line}" for line in self._explain_lines(p, i))
        return lines

    def _explain_lines(self, p: PredictorEndpoint, index: int) -> list[str]:
        if self.ingress:
            base = f"{self.ingress.rstrip('/')}/seldon/{self.namespace}/{self.name}-explainer"
            return [f"explain: {self.curl(f'{base}/{p.name}{EXPLAIN}')}"]
        local = EXPLAINER_PORT + index
        forward = self.port_forward(p.explainer_service, f"{local}:{EXPLAINER_PORT}")
        return [f"explain: {forward} &", f"  {self.curl(f'http://localhost:{local}{EXPLAIN}')}"]


def endpoint_of(sdep: JsonDict, context: str | None = None, ingress: str | None = None) -> Endpoint:
    meta = sdep["metadata"]
    service, port = _service(sdep)
    path, sample = prediction_path(sdep)
    every = predictor_endpoints(sdep, port)
    return Endpoint(
        meta["namespace"], meta["name"], service, port, context, ingress, path, sample, every
    )


def predictor_endpoints(sdep: JsonDict, port: int) -> tuple[PredictorEndpoint, ...]:
    """Each predictor's Service, share and explainer; empty for one plain predictor (whose
    endpoint is the deployment's and needs no list)."""
    predictors = (sdep.get("spec") or {}).get("predictors") or []
    if len(predictors) == 1 and not predictors[0].get("explainer"):
        return ()
    return tuple(
        PredictorEndpoint(
            str(p.get("name", "")),
            _predictor_service(sdep, p),
            "shadow" if p.get("shadow") is True else f"traffic {p.get('traffic', 100)}%",
            bool(p.get("explainer")),
            port + i,
        )
        for i, p in enumerate(predictors)
    )


def _predictor_service(sdep: JsonDict, predictor: JsonDict) -> str:
    named = (predictor.get("annotations") or {}).get("seldon.io/svc-name")
    default = predictor_service(sdep["metadata"]["name"], predictor.get("name", "default"))
    return str(named or default)


def prediction_path(sdep: JsonDict) -> tuple[str, str]:
    """The path the executor serves predictions on for this graph's protocol, and a body."""
    spec = sdep.get("spec") or {}
    protocol = str(spec.get("protocol") or "seldon")
    predictor = _main_predictor(sdep)
    root = str((predictor.get("graph") or {}).get("name") or "")
    if protocol in ("v2", "kfserving"):
        return f"/v2/models/{root}/infer", V2_SAMPLE
    if protocol == "tensorflow":
        return f"/v1/models/{root}:predict", TENSORFLOW_SAMPLE
    return PREDICT, SAMPLE


def _service(sdep: JsonDict) -> tuple[str, int]:
    url = ((sdep.get("status") or {}).get("address") or {}).get("url")
    if url:
        parts = urlsplit(url)
        if parts.hostname:
            return parts.hostname.split(".")[0], parts.port or EXECUTOR_PORT
    return _predictor_service(sdep, _main_predictor(sdep)), EXECUTOR_PORT


def _main_predictor(sdep: JsonDict) -> JsonDict:
    """The predictor that answers most requests: the highest traffic, never the shadow."""
    predictors = (sdep.get("spec") or {}).get("predictors") or [{}]
    mains = [p for p in predictors if p.get("shadow") is not True] or predictors
    out: JsonDict = max(mains, key=lambda p: int(p.get("traffic") or 0))
    return out
