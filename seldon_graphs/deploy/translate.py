"""Kubernetes client errors -> DeployErrors: the only module that sees ApiException & co."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import urllib3.exceptions  # type: ignore[import-untyped]
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from ..errors import os_reason
from .errors import (
    KIND_UP,
    AuthError,
    Cause,
    ConfigError,
    DeployError,
    ForbiddenError,
    RejectedError,
    UnreachableError,
)

_CAUSE_MESSAGE = re.compile(r'^Invalid value: "((?:[^"\\]|\\.)*)": (.*)$', re.S)
_FIELD = r"[A-Za-z_][\w.\[\]-]*"
_MESSAGE_CAUSE = re.compile(
    rf'({_FIELD}): Invalid value: "((?:[^"\\]|\\.)*)": (.*?)(?=, {_FIELD}: |\]$|$)', re.S
)


TYPED_PATCH = "failed to create typed patch object"
_TYPED_CAUSE = re.compile(r"(?:^|\s)\.((?:[\w-]+|\[[^\]]*\])(?:\.[\w-]+|\[[^\]]*\])*): ([^\n]+)")


def typed_patch_causes(message: str) -> tuple[Cause, ...]:
    """`.spec.x[0].y: expected numeric (int or float), got string` lines of a 500 from apply."""
    detail = message.split("): ", 1)[-1]
    return tuple(Cause(m.group(1), None, m.group(2).strip()) for m in _TYPED_CAUSE.finditer(detail))


def status_body(exc: ApiException) -> dict[str, Any]:
    """The `Status` object the API server sent, or {} when the body is not one."""
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def parse_causes(status: dict[str, Any]) -> tuple[Cause, ...]:
    """Field errors from `details.causes`, or parsed out of the message when there are none."""
    causes = []
    for c in (status.get("details") or {}).get("causes") or []:
        match = _CAUSE_MESSAGE.match(str(c.get("message", "")))
        value, text = (match.group(1), match.group(2)) if match else (None, str(c.get("message")))
        causes.append(Cause(str(c.get("field", "")), value, text))
    if causes:
        return tuple(causes)
    message = str(status.get("message", ""))
    return tuple(Cause(*m.groups()) for m in _MESSAGE_CAUSE.finditer(message))


def from_api(exc: ApiException, action: str, where: str) -> DeployError:
    """Translate an ApiException raised while doing `action` (a verb phrase) at `where`."""
    status = status_body(exc)
    message = str(status.get("message") or exc.reason or "").strip()
    code = exc.status or 0
    if code == 401:
        return AuthError(
            f"the cluster at {where} rejected our credentials while trying to {action}",
            "your kubeconfig token or certificate has expired or is wrong; log in again",
        )
    if code == 403 and (namespace := _terminating_namespace(status)):
        # NamespaceLifecycle admission answers 403 too, but no Role would help here.
        return DeployError(
            f"cannot {action}: namespace {namespace} is being deleted, and nothing new may be "
            "created in it until it is gone",
            f"wait until `kubectl get namespace {namespace}` says NotFound, then deploy again "
            "(or deploy to another --namespace)",
        )
    if code == 403:
        return ForbiddenError(
            f"forbidden: you may not {action} ({message})",
            "ask a cluster admin for a Role/RoleBinding granting this, or use another --context",
        )
    if code == 422:
        return RejectedError(
            f"the cluster rejected the request to {action}: {message}", parse_causes(status)
        )
    if code == 500 and TYPED_PATCH in message:
        # Server-side apply type-checks the patch before validation and answers 500, not 422.
        return RejectedError(
            f"the cluster rejected the request to {action}: a field has the wrong type",
            typed_patch_causes(message),
        )
    if code == 404:
        return DeployError(f"not found while trying to {action}: {message}")
    return DeployError(
        f"the API server at {where} answered {code} while trying to {action}: {message}"
    )


def _terminating_namespace(status: dict[str, Any]) -> str | None:
    """The namespace named by a NamespaceLifecycle `NamespaceTerminating` cause, if any."""
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "NamespaceTerminating":
            match = re.search(r"namespace (\S+) is being terminated", str(cause.get("message")))
            return match.group(1) if match else "(unnamed)"
    return None


@contextmanager
def translated(action: str, where: str) -> Iterator[None]:
    """Run Kubernetes calls, turning client/transport errors into DeployErrors."""
    try:
        yield
    except ApiException as exc:
        if exc.status == 0 or exc.status is None:
            raise UnreachableError(
                f"cannot reach the Kubernetes API at {where}: {exc.reason}"
            ) from None
        raise from_api(exc, action, where) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise UnreachableError(
            f"cannot reach the Kubernetes API at {where} ({_short(reason)})",
            f"is the cluster running? `kubectl cluster-info`; for a local cluster {KIND_UP}",
        ) from None
    except ConfigException as exc:
        raise ConfigError(f"kubeconfig problem: {exc}") from None


def _short(reason: object) -> str:
    if isinstance(reason, urllib3.exceptions.ProtocolError) and len(reason.args) == 2:
        # ('Connection aborted.', RemoteDisconnected('Remote end closed ...')): say it plainly
        return f"{str(reason.args[0]).rstrip('.')}: {reason.args[1]}"
    text = str(reason)
    return os_reason(text) or text.split(": ", 1)[-1][:160]
