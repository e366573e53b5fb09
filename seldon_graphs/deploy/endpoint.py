"""Where a SeldonDeployment answers, and a curl to paste.

The executor listens on 8000 behind the predictor Service `<sdep>-<predictor>` (or the
predictor's `seldon.io/svc-name`); `status.address.url` names it once the operator has run.
The path depends on the protocol, as the operator writes it into `status.address.url`
(1.17.1 operator, utils/utils.go): seldon `/api/v1.0/predictions`, v2 and kfserving
`/v2/models/<root node>/infer`, tensorflow `/v1/models/<root node>:predict`.
Ingress (Istio/Ambassador) routes `/seldon/<namespace>/<sdep>/` to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..catalog import hashed
from ..sdep import Predictor, SeldonDeployment, as_map, as_str, read
from .kube import JsonDict
from .names import predictor_service

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
class Endpoint:
    namespace: str
    name: str
    service: str
    port: int
    context: str | None
    ingress: str | None  # base URL of the ingress gateway, e.g. http://localhost:8080
    path: str = PREDICT  # the prediction path for the graph's protocol
    sample: str = SAMPLE  # a request body in that protocol
    predictor: str = ""
    local_port: int | None = None  # the port-forward's local side; `port` when None
    shadow: bool = False  # mirrors the main predictors' traffic; its answers are discarded
    explainer: bool = False  # an Alibi explainer beside the predictor (`/api/v1.0/explain`)

    @property
    def local(self) -> int:
        return self.port if self.local_port is None else self.local_port

    @property
    def url(self) -> str:
        if self.ingress:
            return f"{self.ingress.rstrip('/')}/seldon/{self.namespace}/{self.name}{self.path}"
        return f"http://localhost:{self.local}{self.path}"

    def port_forward(self, service: str = "", ports: str = "") -> str:
        ctx = f" --context {self.context}" if self.context else ""
        ports = ports or f"{self.local}:{self.port}"
        return (
            f"kubectl{ctx} -n {self.namespace} port-forward svc/{service or self.service} {ports}"
        )

    def curl(self, url: str = "") -> str:
        return (
            f"curl -s -X POST {url or self.url} -H 'Content-Type: application/json' "
            f"-d '{self.sample}'"
        )

    def render(self, label: str = "") -> str:
        lines = [f"endpoint{f' ({label})' if label else ''}: {self.url}"]
        if not self.ingress:
            lines.append(f"  {self.port_forward()} &")
        lines.append(f"  {self.curl()}")
        if self.explainer:
            lines.extend(f"  {line}" for line in self._explain())
        return "\n".join(lines)

    @property
    def explain_url(self) -> str:
        """Seldon's explainer route: `<sdep>-explainer/<predictor>` behind the ingress."""
        if self.ingress:
            base = f"{self.ingress.rstrip('/')}/seldon/{self.namespace}/{self.name}-explainer"
            return f"{base}/{self.predictor}{EXPLAIN}"
        return f"http://localhost:{EXPLAINER_PORT + self.local - self.port}{EXPLAIN}"

    def _explain(self) -> list[str]:
        curl = f"explain: {self.curl(self.explain_url)}"
        if self.ingress:
            return [curl]
        local = EXPLAINER_PORT + self.local - self.port
        service = hashed(f"{self.service}-explainer")
        return [f"{self.port_forward(service, f'{local}:{EXPLAINER_PORT}')} &", curl]


def render_endpoints(endpoints: Sequence[Endpoint]) -> str:
    """One predictor: its endpoint as ever. Several: each, labelled with its predictor."""
    if len(endpoints) == 1:
        return endpoints[0].render()
    return "\n".join(
        e.render(f"predictor {e.predictor}" + (", shadow" if e.shadow else "")) for e in endpoints
    )


def endpoint_of(sdep: JsonDict, context: str | None = None, ingress: str | None = None) -> Endpoint:
    """The endpoint of the first predictor that takes traffic (see `endpoints_of`)."""
    found = endpoints_of(sdep, context, ingress)
    main = [e for e in found if not e.shadow]
    return (main or list(found))[0]


def endpoints_of(
    sdep: JsonDict, context: str | None = None, ingress: str | None = None
) -> tuple[Endpoint, ...]:
    """One endpoint per predictor, in order. Behind an ingress they share its URL (it splits
    traffic by weight); without one, each is a port-forward to its own predictor Service,
    on local ports 8000, 8001, ... so that all of them can be open at once."""
    model = read(sdep)
    predictors = model.predictors or (Predictor(),)
    address = _address(model) if len(predictors) == 1 else None
    found = []
    for i, predictor in enumerate(predictors):
        service, port = address or (_service(model, predictor), EXECUTOR_PORT)
        path, sample = _path(model, predictor)
        found.append(
            Endpoint(
                model.namespace,
                model.name,
                service,
                port,
                context,
                ingress,
                path,
                sample,
                predictor=predictor.name or "",
                local_port=port + i,
                shadow=predictor.shadow is True,
                explainer=predictor.explainer is not None,
            )
        )
    return tuple(found)


def _path(model: SeldonDeployment, predictor: Predictor) -> tuple[str, str]:
    """The path the executor serves predictions on for this protocol, and a body."""
    protocol = model.protocol
    root = (predictor.graph.name if predictor.graph else None) or ""
    if protocol in ("v2", "kfserving"):
        return f"/v2/models/{root}/infer", V2_SAMPLE
    if protocol == "tensorflow":
        return f"/v1/models/{root}:predict", TENSORFLOW_SAMPLE
    return PREDICT, SAMPLE


def _address(model: SeldonDeployment) -> tuple[str, int] | None:
    """The Service the operator wrote into `status.address.url` (one per SeldonDeployment,
    so it names a predictor's Service only when there is one predictor)."""
    url = as_str(as_map(as_map(model.status).get("address")).get("url"))
    parts = urlsplit(url)
    if url and parts.hostname:
        return parts.hostname.split(".")[0], parts.port or EXECUTOR_PORT
    return None


def _service(model: SeldonDeployment, predictor: Predictor) -> str:
    named = (predictor.annotations or {}).get("seldon.io/svc-name")
    return named or predictor_service(model.name, predictor.name or "default")
