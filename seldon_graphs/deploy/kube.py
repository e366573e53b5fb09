"""A thin typed adapter over the official `kubernetes` client: the calls deploy makes, no more.

Every method translates client errors into `DeployError`s (see errors.py), so callers never
see an ApiException, a urllib3 error or a ConfigException.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from .errors import KIND_UP, ConfigError, DeployError
from .translate import translated

FIELD_MANAGER = "seldon-graphs"
APPLY_PATCH = "application/apply-patch+yaml"
GROUP, VERSION, PLURAL = "machinelearning.seldon.io", "v1", "seldondeployments"
TIMEOUT = 15  # seconds per API request; waits are done by polling, never by long requests

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Connection:
    """Where we talk to: the kubeconfig context and the server URL (for messages)."""

    context: str
    server: str
    namespace: str  # the context's default namespace, "default" if it names none


def connect(context: str | None = None, kubeconfig: str | None = None) -> Kube:
    """Load the kubeconfig (or in-cluster config) without touching the network."""
    try:
        api = config.new_client_from_config(
            config_file=kubeconfig, context=context, persist_config=False
        )
        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
    except MALFORMED as exc:
        raise _malformed(kubeconfig, exc) from None
    except (ConfigException, OSError) as exc:
        if context is None and kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            try:
                return _in_cluster()
            except (ConfigException, OSError) as inner:
                raise ConfigError(f"no kubeconfig, and in-cluster config failed: {inner}") from None
        raise _config_error(context, kubeconfig, exc) from None
    chosen = next((c for c in contexts if c["name"] == context), active) if context else active
    namespace = (chosen.get("context") or {}).get("namespace") or "default"
    api.configuration.retries = 1
    _bearer_token_compat(api.configuration)
    return Kube(api, Connection(chosen["name"], api.configuration.host, namespace))


def _bearer_token_compat(cfg: client.Configuration) -> None:
    """Send kubeconfig tokens with kubernetes 36.0.0 too.

    Its config loaders store the token as api_key["authorization"] while its generated
    client only sends api_key["BearerToken"] (kubernetes-client/python#2582, fixed in
    36.0.1): every token-authenticated request went out anonymous. Harmless on other versions.
    """
    refresh = cfg.refresh_api_key_hook

    def hook(conf: client.Configuration) -> None:
        if refresh is not None:
            refresh(conf)
        if "authorization" in conf.api_key:
            conf.api_key["BearerToken"] = conf.api_key["authorization"]

    if "authorization" in cfg.api_key:
        cfg.api_key["BearerToken"] = cfg.api_key["authorization"]
    cfg.refresh_api_key_hook = hook


def _in_cluster() -> Kube:
    cfg = client.Configuration()
    config.load_incluster_config(client_configuration=cfg)
    _bearer_token_compat(cfg)
    api = client.ApiClient(cfg)
    with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as f:
        namespace = f.read().strip()
    return Kube(api, Connection("in-cluster", api.configuration.host, namespace))


# What the kubernetes loaders raise on a file that is not a kubeconfig at all.
MALFORMED = (yaml.YAMLError, UnicodeDecodeError, TypeError, AttributeError, KeyError)


def _malformed(kubeconfig: str | None, exc: Exception) -> ConfigError:
    """Never echoes the file: a kubeconfig holds tokens, and YAML errors quote the line."""
    where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    if isinstance(exc, UnicodeDecodeError):
        why = f"not UTF-8 text (byte {exc.start})"
    elif isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        why = f"not valid YAML (line {exc.problem_mark.line + 1})"
    else:
        why = "not a kubeconfig (expected a mapping with clusters, contexts and users)"
    return ConfigError(f"the kubeconfig at {where} is {why}", f"check it, or {KIND_UP}")


def _config_error(context: str | None, kubeconfig: str | None, exc: Exception) -> ConfigError:
    where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    text = str(exc)
    if context and context in text:
        return ConfigError(
            f"there is no context named {context!r} in {where}",
            "list the contexts with `kubectl config get-contexts`",
        )
    if "No configuration found" in text or isinstance(exc, OSError):
        return ConfigError(f"no kubeconfig found at {where}", f"{KIND_UP}, or set KUBECONFIG")
    return ConfigError(f"cannot use the kubeconfig at {where}: {text}", f"or {KIND_UP}")


class Kube:
    """The Kubernetes calls deploy/status/diff/delete/secret need."""

    def __init__(self, api: client.ApiClient, conn: Connection) -> None:
        self.api = api
        self.conn = conn
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)

    def _do(self, action: str) -> Any:
        return translated(action, self.conn.server)

    # --- cluster ---------------------------------------------------------------------------
    def server_version(self) -> str:
        with self._do("read the server version"):
            info = client.VersionApi(self.api).get_code(_request_timeout=TIMEOUT)
        return str(info.git_version)

    def serves(self, group: str, version: str) -> bool:
        """Whether discovery lists `group/version` (a 404 means the CRD is not installed)."""
        with self._do(f"discover {group}/{version}"):
            try:
                self.custom.get_api_resources(group, version, _request_timeout=TIMEOUT)
            except client.ApiException as exc:
                if exc.status == 404:
                    return False
                raise
        return True

    def can_i(self, verb: str, resource: str, namespace: str | None, group: str = "") -> bool:
        """`kubectl auth can-i`: a SelfSubjectAccessReview."""
        attrs = client.V1ResourceAttributes(
            verb=verb, resource=resource, group=group, namespace=namespace
        )
        review = client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attrs)
        )
        with self._do(f"check whether you may {verb} {resource}"):
            result = client.AuthorizationV1Api(self.api).create_self_subject_access_review(
                review, _request_timeout=TIMEOUT
            )
        return bool(result.status.allowed)

    # --- namespaces and secrets ------------------------------------------------------------
    def namespace_exists(self, name: str) -> bool:
        return self._read(f"read namespace {name}", self.core.read_namespace, name) is not None

    def apply_namespace(self, name: str, dry_run: bool = False) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        with self._do(f"create namespace {name}"):
            self.core.patch_namespace(name, body, **_apply_kwargs(dry_run))

    def secret_exists(self, namespace: str, name: str) -> bool:
        read = self.core.read_namespaced_secret
        return self._read(f"read secret {namespace}/{name}", read, name, namespace) is not None

    def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """A Secret's keys and decoded values (for key checks, never printed); None if absent."""
        read = self.core.read_namespaced_secret
        found = self._read(f"read secret {namespace}/{name}", read, name, namespace)
        if found is None:
            return None
        raw = found.data or {}
        return {k: base64.b64decode(v or "").decode("utf-8", "replace") for k, v in raw.items()}

    def config_map_data(self, namespace: str, name: str) -> dict[str, str] | None:
        read = self.core.read_namespaced_config_map
        found = self._read(f"read configmap {namespace}/{name}", read, name, namespace)
        return None if found is None else dict(found.data or {})

    def apply_secret(self, body: JsonDict, dry_run: bool = False) -> None:
        meta = body["metadata"]
        with self._do(f"apply secret {meta['namespace']}/{meta['name']}"):
            self.core.patch_namespaced_secret(
                meta["name"], meta["namespace"], body, **_apply_kwargs(dry_run)
            )

    # --- SeldonDeployments -----------------------------------------------------------------
    def apply_sdep(self, body: JsonDict, dry_run: bool = False) -> JsonDict:
        meta = body["metadata"]
        with self._do(f"apply SeldonDeployment {meta['namespace']}/{meta['name']}"):
            result = self.custom.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                meta["namespace"],
                PLURAL,
                meta["name"],
                body,
                **_apply_kwargs(dry_run),
            )
        if result is None:
            # The client maps only a 200 body; an apply that creates answers 201 (no body then).
            result = None if dry_run else self.get_sdep(meta["namespace"], meta["name"])
        return dict(result) if result is not None else body

    def get_sdep(self, namespace: str, name: str) -> JsonDict | None:
        get = self.custom.get_namespaced_custom_object
        what = f"read SeldonDeployment {namespace}/{name}"
        found = self._read(what, get, GROUP, VERSION, namespace, PLURAL, name)
        return dict(found) if found is not None else None

    def delete_sdep(self, namespace: str, name: str) -> bool:
        """Delete; False if there was nothing to delete."""
        with self._do(f"delete SeldonDeployment {namespace}/{name}"):
            try:
                self.custom.delete_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    namespace,
                    PLURAL,
                    name,
                    propagation_policy="Foreground",
                    _request_timeout=TIMEOUT,
                )
            except client.ApiException as exc:
                if exc.status == 404:
                    return False
                raise
        return True

    # --- pods, events, logs ----------------------------------------------------------------
    def pods(self, namespace: str, selector: str) -> list[Any]:
        with self._do(f"list pods in {namespace}"):
            found = self.core.list_namespaced_pod(
                namespace, label_selector=selector, _request_timeout=TIMEOUT
            )
        return list(found.items)

    def deployments(self, namespace: str, selector: str) -> list[Any]:
        with self._do(f"list deployments in {namespace}"):
            found = client.AppsV1Api(self.api).list_namespaced_deployment(
                namespace, label_selector=selector, _request_timeout=TIMEOUT
            )
        return list(found.items)

    def events_for(self, namespace: str, kind: str, name: str) -> list[Any]:
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        with self._do(f"list events in {namespace}"):
            found = self.core.list_namespaced_event(
                namespace, field_selector=selector, _request_timeout=TIMEOUT
            )
        return list(found.items)

    def log_tail(self, namespace: str, pod: str, container: str, lines: int = 20) -> str:
        """The last lines of the previous (crashed) run, or of the current one; '' if none."""
        for previous in (True, False):
            try:
                with self._do(f"read the log of {pod}/{container}"):
                    response = self.core.read_namespaced_pod_log(
                        pod,
                        namespace,
                        container=container,
                        previous=previous,
                        tail_lines=lines,
                        _request_timeout=TIMEOUT,
                        _preload_content=False,  # the client would str() the bytes
                    )
                    text = bytes(response.data).decode("utf-8", "replace")
            except DeployError:  # a missing log must not hide the real problem
                continue
            if text:
                return text
        return ""

    def _read(self, action: str, call: Any, *args: Any) -> Any:
        """A GET that returns None on 404."""
        with self._do(action):
            try:
                return call(*args, _request_timeout=TIMEOUT)
            except client.ApiException as exc:
                if exc.status == 404:
                    return None
                raise


def _apply_kwargs(dry_run: bool) -> JsonDict:
    kwargs: JsonDict = {
        "field_manager": FIELD_MANAGER,
        "force": True,
        "_content_type": APPLY_PATCH,
        "_request_timeout": TIMEOUT,
    }
    if dry_run:
        kwargs["dry_run"] = "All"
    return kwargs
