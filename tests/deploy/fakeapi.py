"""A fake Kubernetes API server for the deploy tests: the real `kubernetes` client talks to it.

Why a fake, now that tests/controlplane/ runs a real kube-apiserver: what these tests need
most is the Seldon operator's side (status transitions, Failed states, the pods and events
of an ImagePullBackOff or a CrashLoopBackOff, webhook denials), and the operator cannot run
on our machines (its Go module is not served here), nor can a kubelet run containers. The
fake also makes fake time possible, so timeouts cost nothing. Mocking the client's methods
would test our mocks, so the tests drive the *real* client over HTTP, against this server,
which speaks the exact REST calls deploy makes, with the wire formats of Kubernetes 1.27:

- discovery: /version, /api, /apis, /apis/machinelearning.seldon.io/v1 (404 when the CRD
  is "not installed"), and the apiextensions CRD object;
- SelfSubjectAccessReview (authorization.k8s.io/v1), answering from a deny list, which
  may also name single objects (`get secrets/NAME`, as a Role's resourceNames do);
- configmaps (GET, for the operator's `seldon-config`);
- namespaces, secrets and seldondeployments: GET, server-side apply PATCH (which, like the
  real server, requires `Content-Type: application/apply-patch+yaml` and `fieldManager`,
  honours `dryRun=All`, bumps `metadata.generation` on spec changes), DELETE;
- pod, Deployment and event lists with label/field selectors, and pod logs (`previous`,
  `tailLines`);
- failures as the real server sends them: `Status` objects for 401, 403 (RBAC wording),
  404, 422 from Seldon's validating webhook (message and `details.causes` shaped as
  `apierrors.NewInvalid` in seldondeployment_webhook.go makes them, prefixed by the API
  server's `admission webhook "..." denied the request: `), connection refused (by
  pointing a kubeconfig at a closed port), and connections dropped unanswered while `down`
  (an API server restarting: the wait's outage tests switch it on fake time).

A tiny "operator" moves a SeldonDeployment from Creating to Available after a number of
GETs (or never, or to Failed), sets `status.address` the way Seldon does, never writes
`status.observedGeneration` (Seldon 1.17.1 does not either), and on Available makes one
rolled-out Deployment per componentSpec, named and labelled as the operator names them. Pods are
whatever a test puts there (helpers below build Running, ImagePullBackOff,
CrashLoopBackOff and unschedulable Pending pods with real status shapes).

Not modelled: field ownership conflicts (one manager only), watches (deploy polls),
resourceVersion preconditions, TLS, pagination.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from seldon_graphs.deploy.names import seldon_id
from seldon_graphs.deploy.rollout import PARAMETERS_ENV, deployment_name

Json = dict[str, Any]
GROUP, VERSION = "machinelearning.seldon.io", "v1"
WEBHOOK = "v1.vseldondeployment.kb.io"
SDEPS = f"/apis/{GROUP}/{VERSION}/namespaces/([^/]+)/seldondeployments"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Operator:
    """How the pretend Seldon operator reacts to a SeldonDeployment."""

    available_after: int | None = 2  # GETs after an apply before Available; None = never
    failed: str | None = None  # set state Failed with this description instead


@dataclass
class FakeCluster:
    token: str = "fake-token"
    crd_installed: bool = True
    # "verb resource" (e.g. "patch seldondeployments"), or "verb resource/name" for one object
    # (a Role's resourceNames)
    deny: set[str] = field(default_factory=set)
    down: bool = False  # drop every connection unanswered, as an API server restarting does
    webhook: Callable[[Json], list[tuple[str, str, str]]] | None = None
    operator: Operator = field(default_factory=Operator)
    namespaces: dict[str, Json] = field(default_factory=dict)
    secrets: dict[tuple[str, str], Json] = field(default_factory=dict)
    config_maps: dict[tuple[str, str], Json] = field(default_factory=dict)
    sdeps: dict[tuple[str, str], Json] = field(default_factory=dict)
    pods: dict[str, list[Json]] = field(default_factory=dict)
    deployments: dict[str, list[Json]] = field(default_factory=dict)
    events: dict[str, list[Json]] = field(default_factory=dict)
    logs: dict[tuple[str, str, str, bool], str] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    gets: dict[tuple[str, str], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def __post_init__(self) -> None:
        for name in ("default", "kube-system", "seldon-system"):
            self.namespaces[name] = _namespace(name)

    # --- helpers for tests -------------------------------------------------------------------
    def kubeconfig(
        self,
        path: Path,
        context: str = "kind-seldon",
        namespace: str | None = None,
        server: str | None = None,
    ) -> Path:
        ctx: Json = {"cluster": "fake", "user": "dev"}
        if namespace:
            ctx["namespace"] = namespace
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": server or self.url}}],
            "users": [{"name": "dev", "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": ctx}],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(doc))
        return path

    def add_secret(self, namespace: str, name: str, values: dict[str, str]) -> None:
        """A Secret with these decoded values, stored base64-encoded as the API server does."""
        data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
        self.secrets[(namespace, name)] = {"metadata": {"name": name}, "data": data}

    def requests(self, method: str, pattern: str = "") -> list[Seen]:
        return [s for s in self.seen if s.method == method and re.search(pattern, s.path)]

    # --- request handling ----------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, Any, str]:
        with self.lock:
            self.seen.append(Seen(method, path, query, headers, body))
            if headers.get("authorization") != f"Bearer {self.token}":
                return _status(401, "Unauthorized", "Unauthorized")
            for pattern, route in ROUTES:
                match = re.fullmatch(pattern, path.rstrip("/") or "/")
                if match and method in route:
                    return route[method](self, match, query, headers, body)
            return _status(404, "NotFound", "the server could not find the requested resource")

    def forbidden(
        self, verb: str, resource: str, name: str, namespace: str | None, group: str = ""
    ) -> tuple[int, Any, str] | None:
        if not {f"{verb} {resource}", f"{verb} {resource}/{name}"} & self.deny:
            return None
        grp = f'"{group}"' if group else '""'
        what = f'{resource}{"." + group if group else ""} "{name}"' if name else resource
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        msg = (
            f'{what} is forbidden: User "dev" cannot {verb} resource "{resource}" in API '
            f"group {grp}{where}"
        )
        return _status(403, "Forbidden", msg, {"name": name, "group": group, "kind": resource})


def _status(
    code: int, reason: str, message: str, details: Json | None = None
) -> tuple[int, Json, str]:
    body: Json = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return code, body, "application/json"


def _ok(obj: Any, code: int = 200) -> tuple[int, Any, str]:
    return code, obj, "application/json"


def _namespace(name: str) -> Json:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": "1"},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def _not_found(kind: str, group: str, name: str) -> tuple[int, Json, str]:
    plural = f"{kind}.{group}" if group else kind
    return _status(
        404,
        "NotFound",
        f'{plural} "{name}" not found',
        {"name": name, "group": group, "kind": kind},
    )


def _check_apply(
    query: dict[str, list[str]], headers: dict[str, str]
) -> tuple[int, Json, str] | None:
    if headers.get("content-type") != "application/apply-patch+yaml":
        return _status(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types "
            f"include: application/apply-patch+yaml ({headers.get('content-type')})",
        )
    if not query.get("fieldManager"):
        return _status(400, "BadRequest", "PATCH, fieldManager is required for apply requests")
    return None


def _bool(text: str) -> bool:
    """Go's strconv.ParseBool, which the API server uses for query parameters."""
    return text in ("1", "t", "T", "true", "TRUE", "True")


def _dry(query: dict[str, list[str]]) -> bool:
    return query.get("dryRun") == ["All"]


# --- discovery -----------------------------------------------------------------------------------
def version(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    return _ok(
        {
            "major": "1",
            "minor": "27",
            "gitVersion": "v1.27.3",
            "gitCommit": "fake",
            "gitTreeState": "clean",
            "buildDate": "2023-06-14T00:00:00Z",
            "goVersion": "go1.20.5",
            "compiler": "gc",
            "platform": "linux/amd64",
        }
    )


def api_versions(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    return _ok(
        {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "fake"}],
        }
    )


def api_groups(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    groups = ["apiextensions.k8s.io/v1", "authorization.k8s.io/v1"]
    if c.crd_installed:
        groups.append(f"{GROUP}/{VERSION}")
    items = [
        {
            "name": g.split("/")[0],
            "versions": [{"groupVersion": g, "version": g.split("/")[1]}],
            "preferredVersion": {"groupVersion": g, "version": g.split("/")[1]},
        }
        for g in groups
    ]
    return _ok({"kind": "APIGroupList", "apiVersion": "v1", "groups": items})


def seldon_resources(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    if not c.crd_installed:
        return _status(404, "NotFound", "the server could not find the requested resource")
    verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
    return _ok(
        {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{GROUP}/{VERSION}",
            "resources": [
                {
                    "name": "seldondeployments",
                    "singularName": "seldondeployment",
                    "namespaced": True,
                    "kind": "SeldonDeployment",
                    "verbs": verbs,
                    "shortNames": ["sdep"],
                },
                {
                    "name": "seldondeployments/status",
                    "singularName": "",
                    "namespaced": True,
                    "kind": "SeldonDeployment",
                    "verbs": ["get", "patch", "update"],
                },
                {
                    "name": "seldondeployments/scale",
                    "singularName": "",
                    "namespaced": True,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                },
            ],
        }
    )


def crd(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    name = m.group(1)
    if not c.crd_installed or name != f"seldondeployments.{GROUP}":
        return _not_found("customresourcedefinitions", "apiextensions.k8s.io", name)
    return _ok(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
            "spec": {
                "group": GROUP,
                "scope": "Namespaced",
                "names": {
                    "plural": "seldondeployments",
                    "kind": "SeldonDeployment",
                    "shortNames": ["sdep"],
                },
                "versions": [{"name": "v1", "served": True, "storage": True}],
            },
        }
    )


def access_review(c: FakeCluster, m: Any, q: Any, h: Any, b: Json) -> tuple[int, Any, str]:
    attrs = b["spec"]["resourceAttributes"]
    allowed = f"{attrs.get('verb')} {attrs.get('resource')}" not in c.deny
    out = copy.deepcopy(b)
    out["status"] = {"allowed": allowed}
    if not allowed:
        out["status"]["reason"] = "no RBAC policy matched"
    return _ok(out, 201)


# --- namespaces and secrets ----------------------------------------------------------------------
def get_namespace(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    name = m.group(1)
    if (denied := c.forbidden("get", "namespaces", name, None)) is not None:
        return denied
    if name not in c.namespaces:
        return _not_found("namespaces", "", name)
    return _ok(c.namespaces[name])


def apply_namespace(
    c: FakeCluster, m: Any, q: Any, h: dict[str, str], b: Json
) -> tuple[int, Any, str]:
    name = m.group(1)
    if (bad := _check_apply(q, h) or c.forbidden("patch", "namespaces", name, None)) is not None:
        return bad
    created = name not in c.namespaces
    obj = c.namespaces.get(name) or _namespace(name)
    if not _dry(q):
        c.namespaces[name] = obj
    return _ok(obj, 201 if created else 200)


def _namespaced_get(resource: str) -> Callable[..., tuple[int, Any, str]]:
    """GET of a namespaced core object kept in the cluster's `resource` dict."""
    store = {"secrets": "secrets", "configmaps": "config_maps"}[resource]

    def get(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
        ns, name = m.group(1), m.group(2)
        if (denied := c.forbidden("get", resource, name, ns)) is not None:
            return denied
        objects: dict[tuple[str, str], Json] = getattr(c, store)
        if (ns, name) not in objects:
            return _not_found(resource, "", name)
        return _ok(objects[(ns, name)])

    return get


get_secret = _namespaced_get("secrets")
get_config_map = _namespaced_get("configmaps")


def apply_secret(
    c: FakeCluster, m: Any, q: Any, h: dict[str, str], b: Json
) -> tuple[int, Any, str]:
    ns, name = m.group(1), m.group(2)
    if (bad := _check_apply(q, h) or c.forbidden("patch", "secrets", name, ns)) is not None:
        return bad
    if ns not in c.namespaces:
        return _not_found("namespaces", "", ns)
    obj = copy.deepcopy(b)
    obj["metadata"].update({"uid": f"uid-{name}", "resourceVersion": "1"})
    if not _dry(q):
        c.secrets[(ns, name)] = obj
    return _ok(obj)


# --- SeldonDeployments ---------------------------------------------------------------------------
def _seldon_route(fn: Callable[..., tuple[int, Any, str]]) -> Callable[..., tuple[int, Any, str]]:
    def route(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
        if not c.crd_installed:
            return _status(404, "NotFound", "the server could not find the requested resource")
        return fn(c, m, q, h, b)

    return route


def get_sdep(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    ns, name = m.group(1), m.group(2)
    if (denied := c.forbidden("get", "seldondeployments", name, ns, GROUP)) is not None:
        return denied
    key = (ns, name)
    if key not in c.sdeps:
        return _not_found("seldondeployments", GROUP, name)
    c.gets[key] = c.gets.get(key, 0) + 1
    _reconcile(c, c.sdeps[key], c.gets[key])
    return _ok(c.sdeps[key])


def _reconcile(c: FakeCluster, obj: Json, gets: int) -> None:
    op, meta = c.operator, obj["metadata"]
    status = obj.setdefault("status", {})
    if op.failed is not None:
        status.update({"state": "Failed", "description": op.failed})
    elif op.available_after is not None and gets >= op.available_after:
        predictor = obj["spec"]["predictors"][0]["name"]
        host = f"{meta['name']}-{predictor}.{meta['namespace']}.svc.cluster.local:8000"
        status.update(
            {"state": "Available", "address": {"url": f"http://{host}/api/v1.0/predictions"}}
        )
        c.deployments[meta["namespace"]] = rolled_out_deployments(obj)
    else:
        status.setdefault("state", "Creating")


def list_sdeps(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    ns = m.group(1)
    items = [v for (n, _), v in c.sdeps.items() if n == ns]
    return _ok(
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "SeldonDeploymentList",
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }
    )


def apply_sdep(c: FakeCluster, m: Any, q: Any, h: dict[str, str], b: Json) -> tuple[int, Any, str]:
    ns, name = m.group(1), m.group(2)
    if bad := _check_apply(q, h) or c.forbidden("patch", "seldondeployments", name, ns, GROUP):
        return bad
    if ns not in c.namespaces:
        return _not_found("namespaces", "", ns)
    if b.get("apiVersion") != f"{GROUP}/{VERSION}":
        return _status(
            400,
            "BadRequest",
            f"the API version in the data ({b.get('apiVersion')}) "
            f"does not match the expected API version ({GROUP}/{VERSION})",
        )
    if b.get("metadata", {}).get("name") != name:
        return _status(
            400, "BadRequest", "the name of the object does not match the name on the URL"
        )
    if c.webhook is not None and (causes := c.webhook(b)):
        return _rejected(b, causes)
    old = c.sdeps.get((ns, name))
    obj = _merge(old, b, q)
    if not _dry(q):
        c.sdeps[(ns, name)] = obj
        c.gets[(ns, name)] = 0
    return _ok(obj, 201 if old is None else 200)


def _merge(old: Json | None, body: Json, q: dict[str, list[str]]) -> Json:
    """One manager owns everything, so apply == replace the user's fields, keep the server's."""
    obj = copy.deepcopy(body)
    meta = obj["metadata"]
    if old is None:
        meta.update(
            {
                "uid": f"uid-{meta['name']}",
                "generation": 1,
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "resourceVersion": "1",
            }
        )
    else:
        generation = old["metadata"]["generation"] + (old.get("spec") != obj.get("spec"))
        meta.update({k: old["metadata"][k] for k in ("uid", "creationTimestamp")})
        meta.update(
            {
                "generation": generation,
                "resourceVersion": str(int(old["metadata"]["resourceVersion"]) + 1),
            }
        )
        obj["status"] = copy.deepcopy(old.get("status") or {})
    meta["managedFields"] = [
        {
            "manager": q["fieldManager"][0],
            "operation": "Apply",
            "apiVersion": f"{GROUP}/{VERSION}",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {}},
        }
    ]
    return obj


def _rejected(obj: Json, causes: list[tuple[str, str, str]]) -> tuple[int, Json, str]:
    """What the API server returns when Seldon's webhook answers apierrors.NewInvalid(...)."""
    spec_name = obj.get("spec", {}).get("name", "")
    items = ", ".join(f'{f}: Invalid value: "{v}": {msg}' for f, v, msg in causes)
    inner = f'SeldonDeployment.machinelearing.seldon.io "{spec_name}" is invalid: [{items}]'
    details = {
        "name": spec_name,
        "group": "machinelearing.seldon.io",
        "kind": "SeldonDeployment",
        "causes": [
            {"reason": "FieldValueInvalid", "message": f'Invalid value: "{v}": {msg}', "field": f}
            for f, v, msg in causes
        ],
    }
    return _status(
        422, "Invalid", f'admission webhook "{WEBHOOK}" denied the request: {inner}', details
    )


def delete_sdep(c: FakeCluster, m: Any, q: Any, h: Any, b: Any) -> tuple[int, Any, str]:
    ns, name = m.group(1), m.group(2)
    if (denied := c.forbidden("delete", "seldondeployments", name, ns, GROUP)) is not None:
        return denied
    if c.sdeps.pop((ns, name), None) is None:
        return _not_found("seldondeployments", GROUP, name)
    c.pods.pop(ns, None)
    return _ok(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {"name": name, "group": GROUP, "kind": "seldondeployments"},
        }
    )


def seldon_webhook(obj: Json) -> list[tuple[str, str, str]]:
    """A faithful subset of ValidateSeldonDeployment (seldon_v1.md §2.1 rules 7, 9, 10a, 10c)."""
    spec = obj.get("spec", {})
    predictors = spec.get("predictors") or []
    if not predictors:
        return [("spec", spec.get("transport", ""), "Graph contains no predictors")]
    causes: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    containers = {
        c.get("name")
        for p in predictors
        for cs in p.get("componentSpecs") or []
        for c in (cs.get("spec") or {}).get("containers") or []
    }
    for i, p in enumerate(predictors):
        if p["name"] in seen:
            causes.append((f"spec.predictors[{i}]", p["name"], "Duplicate predictor name"))
        seen.add(p["name"])
        stack = [(p.get("graph") or {}, f"spec.predictors[{i}].graph")]
        while stack:
            unit, path = stack.pop(0)
            impl = unit.get("implementation") or "UNKNOWN_IMPLEMENTATION"
            if impl == "UNKNOWN_IMPLEMENTATION" and unit.get("name") not in containers:
                causes.append(
                    (path, unit.get("name", ""), "Can't find container for Predictive Unit")
                )
            builtins = (
                "SIMPLE_MODEL",
                "SIMPLE_ROUTER",
                "RANDOM_ABTEST",
                "AVERAGE_COMBINER",
                "UNKNOWN_IMPLEMENTATION",
                "HUGGINGFACE_SERVER",
            )
            if impl not in builtins and not unit.get("modelUri"):
                causes.append(
                    (
                        path,
                        unit.get("name", ""),
                        "Predictive unit modelUri required when using standalone servers",
                    )
                )
            stack.extend((ch, f"{path}[{j}]") for j, ch in enumerate(unit.get("children") or []))
    return causes


# --- pods, events, logs -------------------------------------------------------------------------
def _labelled_list(
    objects: list[Json], q: dict[str, list[str]], kind: str, api_version: str
) -> tuple[int, Any, str]:
    """A `<kind>List` of the objects matching the query's equality label selector."""
    wanted = dict(kv.split("=", 1) for kv in (q.get("labelSelector") or [""])[0].split(",") if kv)
    items = [
        o
        for o in objects
        if all(o["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())
    ]
    return _ok(
        {
            "kind": f"{kind}List",
            "apiVersion": api_version,
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }
    )


def list_pods(
    c: FakeCluster, m: Any, q: dict[str, list[str]], h: Any, b: Any
) -> tuple[int, Any, str]:
    ns = m.group(1)
    if (denied := c.forbidden("list", "pods", "", ns)) is not None:
        return denied
    return _labelled_list(c.pods.get(ns, []), q, "Pod", "v1")


def list_deployments(
    c: FakeCluster, m: Any, q: dict[str, list[str]], h: Any, b: Any
) -> tuple[int, Any, str]:
    ns = m.group(1)
    if (denied := c.forbidden("list", "deployments", "", ns, "apps")) is not None:
        return denied
    return _labelled_list(c.deployments.get(ns, []), q, "Deployment", "apps/v1")


def rolled_out_deployments(obj: Json) -> list[Json]:
    """The Deployments the operator makes for `obj`, each finished rolling out, with each graph
    container's parameters in PREDICTIVE_UNIT_PARAMETERS as the operator puts them."""
    name = obj["metadata"]["name"]
    made = []
    for predictor in obj["spec"]["predictors"]:
        parameters = dict(_parameters(predictor["graph"]))
        for index, component in enumerate(predictor.get("componentSpecs") or []):
            dep = deployment_name(name, predictor["name"], index, component)
            containers = copy.deepcopy(component["spec"]["containers"])
            for c in containers:
                if parameters.get(c["name"]):
                    value = json.dumps(parameters[c["name"]])
                    c.setdefault("env", []).append({"name": PARAMETERS_ENV, "value": value})
            counts = (
                component.get("replicas"),
                predictor.get("replicas"),
                obj["spec"].get("replicas"),
            )
            replicas = next((int(n) for n in counts if n is not None), 1)
            made.append(deployment(dep, name, containers, replicas))
    return made


def _parameters(unit: Json) -> Iterator[tuple[str, Any]]:
    yield unit["name"], unit.get("parameters")
    for child in unit.get("children") or []:
        yield from _parameters(child)


def deployment(
    name: str, sdep: str, containers: list[Json], replicas: int, updated: int | None = None
) -> Json:
    """A Deployment as the API server returns it; `updated` < replicas = mid-rollout."""
    updated = replicas if updated is None else updated
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "generation": 1,
            "labels": {"seldon-deployment-id": seldon_id(sdep), "app": name},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"seldon-deployment-id": seldon_id(sdep)}},
            "template": {"spec": {"containers": copy.deepcopy(containers)}},
        },
        "status": {
            "observedGeneration": 1,
            "replicas": replicas + (replicas - updated),
            "updatedReplicas": updated,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
        },
    }


def list_events(
    c: FakeCluster, m: Any, q: dict[str, list[str]], h: Any, b: Any
) -> tuple[int, Any, str]:
    ns = m.group(1)
    wanted = dict(kv.split("=", 1) for kv in (q.get("fieldSelector") or [""])[0].split(",") if kv)
    items = [e for e in c.events.get(ns, []) if all(_dig(e, k) == v for k, v in wanted.items())]
    return _ok(
        {
            "kind": "EventList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }
    )


def _dig(obj: Json, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = obj.get(part, {}) if isinstance(obj, dict) else {}
    return obj


def pod_log(
    c: FakeCluster, m: Any, q: dict[str, list[str]], h: Any, b: Any
) -> tuple[int, Any, str]:
    ns, pod = m.group(1), m.group(2)
    container = (q.get("container") or [""])[0]
    previous = _bool((q.get("previous") or ["false"])[0])
    text = c.logs.get((ns, pod, container, previous))
    if text is None:
        which = "previous terminated container" if previous else "container"
        return _status(400, "BadRequest", f'{which} "{container}" in pod "{pod}" not found')
    tail = int((q.get("tailLines") or ["0"])[0])
    lines = text.splitlines(keepends=True)
    return 200, "".join(lines[-tail:] if tail else lines), "text/plain"


ROUTES: list[tuple[str, dict[str, Callable[..., tuple[int, Any, str]]]]] = [
    ("/version", {"GET": version}),
    ("/api", {"GET": api_versions}),
    ("/apis", {"GET": api_groups}),
    (f"/apis/{GROUP}/{VERSION}", {"GET": seldon_resources}),
    ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/([^/]+)", {"GET": crd}),
    ("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {"POST": access_review}),
    ("/api/v1/namespaces/([^/]+)", {"GET": get_namespace, "PATCH": apply_namespace}),
    ("/api/v1/namespaces/([^/]+)/secrets/([^/]+)", {"GET": get_secret, "PATCH": apply_secret}),
    ("/api/v1/namespaces/([^/]+)/configmaps/([^/]+)", {"GET": get_config_map}),
    (SDEPS, {"GET": _seldon_route(list_sdeps)}),
    (
        SDEPS + "/([^/]+)",
        {
            "GET": _seldon_route(get_sdep),
            "PATCH": _seldon_route(apply_sdep),
            "DELETE": _seldon_route(delete_sdep),
        },
    ),
    ("/api/v1/namespaces/([^/]+)/pods", {"GET": list_pods}),
    ("/api/v1/namespaces/([^/]+)/events", {"GET": list_events}),
    ("/apis/apps/v1/namespaces/([^/]+)/deployments", {"GET": list_deployments}),
    ("/api/v1/namespaces/([^/]+)/pods/([^/]+)/log", {"GET": pod_log}),
]


# --- the HTTP server ---------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    cluster: FakeCluster
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = yaml.safe_load(raw) if raw else None  # apply bodies are YAML; JSON is YAML
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.cluster.down:
            self.close_connection = True  # no status line: the client sees the peer hang up
            return
        code, out, ctype = self.cluster.handle(
            self.command, parts.path, parse_qs(parts.query), headers, body
        )
        data = out.encode() if isinstance(out, str) else json.dumps(out).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeApiServer:
    """`with FakeApiServer() as cluster:` serves `cluster` on 127.0.0.1 (a free port)."""

    def __init__(self, cluster: FakeCluster | None = None) -> None:
        self.cluster = cluster or FakeCluster()
        handler = type("Handler", (_Handler,), {"cluster": self.cluster})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.cluster.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeCluster:
        self.thread.start()
        return self.cluster

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# --- pod builders (real PodStatus shapes) ---------------------------------------------------------
def running(name: str, image: str) -> Json:
    return {
        "name": name,
        "image": image,
        "imageID": f"sha256:{name}",
        "ready": True,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
    }


def waiting(
    name: str,
    image: str,
    reason: str,
    message: str = "",
    exit_code: int | None = None,
    restarts: int = 0,
) -> Json:
    status: Json = {
        "name": name,
        "image": image,
        "imageID": "",
        "ready": False,
        "restartCount": restarts,
        "started": False,
        "state": {"waiting": {"reason": reason, "message": message}},
    }
    if exit_code is not None:
        status["lastState"] = {
            "terminated": {
                "exitCode": exit_code,
                "reason": "Error",
                "startedAt": "2026-01-01T00:00:00Z",
                "finishedAt": "2026-01-01T00:00:01Z",
            }
        }
    return status


def pod(
    name: str,
    sdep: str,
    containers: list[Json],
    phase: str = "Running",
    init: list[Json] | None = None,
    conditions: list[Json] | None = None,
) -> Json:
    ready = all(c["ready"] for c in containers) and phase == "Running"
    conds = (
        conditions
        if conditions is not None
        else [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Ready", "status": "True" if ready else "False"},
        ]
    )
    status: Json = {"phase": phase, "conditions": conds, "containerStatuses": containers}
    if init is not None:
        status["initContainerStatuses"] = init
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "",
            "uid": f"uid-{name}",
            "labels": {"seldon-deployment-id": sdep, "seldon-app": f"{sdep}-default"},
        },
        "spec": {"containers": [{"name": c["name"], "image": c["image"]} for c in containers]},
        "status": status,
    }


def unschedulable(name: str, sdep: str, message: str) -> Json:
    p = pod(
        name,
        sdep,
        [],
        phase="Pending",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": message,
            }
        ],
    )
    p["status"].pop("containerStatuses")
    return p


def event(namespace: str, pod_name: str, reason: str, message: str) -> Json:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod_name}.{reason.lower()}", "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": pod_name, "namespace": namespace},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "count": 1,
    }
