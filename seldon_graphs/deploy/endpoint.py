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
from .names import predictor_service

PREDICT = "/api/v1.0/predictions"
SAMPLE = '{"data": {"ndarray": [[1.0, 2.0, 3.0, 4.0]]}}'
V2_SAMPLE = (
    '{"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", '
    '"data": [1.0, 2.0, 3.0, 4.0]}]}'
)
TENSORFLOW_SAMPLE = '{"instances": [[1.0, 2.0, 3.0, 4.0]]}'
EXECUTOR_PORT = 8000


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

    @property
    def url(self) -> str:
        if self.ingress:
            return f"{self.ingress.rstrip('/')}/seldon/{self.namespace}/{self.name}{self.path}"
        return f"http://localhost:{self.port}{self.path}"

    def port_forward(self) -> str:
        ctx = f" --context {self.context}" if self.context else ""
        ports = f"{self.port}:{self.port}"
        return f"kubectl{ctx} -n {self.namespace} port-forward svc/{self.service} {ports}"

    def curl(self) -> str:
        return f"curl -s -X POST {self.url} -H 'Content-Type: application/json' -d '{self.sample}'"

    def render(self) -> str:
        lines = [f"endpoint: {self.url}"]
        if not self.ingress:
            lines.append(f"  {self.port_forward()} &")
        lines.append(f"  {self.curl()}")
        return "\n".join(lines)


def endpoint_of(sdep: JsonDict, context: str | None = None, ingress: str | None = None) -> Endpoint:
    meta = sdep["metadata"]
    service, port = _service(sdep)
    path, sample = prediction_path(sdep)
    return Endpoint(meta["namespace"], meta["name"], service, port, context, ingress, path, sample)


def prediction_path(sdep: JsonDict) -> tuple[str, str]:
    """The path the executor serves predictions on for this graph's protocol, and a body."""
    spec = sdep.get("spec") or {}
    protocol = str(spec.get("protocol") or "seldon")
    predictor = (spec.get("predictors") or [{}])[0]
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
    predictor = (sdep.get("spec", {}).get("predictors") or [{}])[0]
    named = (predictor.get("annotations") or {}).get("seldon.io/svc-name")
    name = named or predictor_service(sdep["metadata"]["name"], predictor.get("name", "default"))
    return name, EXECUTOR_PORT
