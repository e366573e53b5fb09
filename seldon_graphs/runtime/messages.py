"""Bytes on the wire: payloads, Seldon status bodies, route extraction, Go's HTML escaping.

In the seldon protocol the Go executor never re-serialises a message: node outputs travel as
bytes with their content type. These helpers are the few places it does look inside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON = "application/json"


@dataclass(frozen=True)
class Payload:
    """A message body and its content type, passed between nodes verbatim."""

    body: bytes
    content_type: str = JSON

    @property
    def is_json(self) -> bool:
        return "json" in self.content_type


@dataclass(frozen=True)
class Reply:
    """A node's answer to one call: HTTP status and payload."""

    status: int
    payload: Payload


def status_body(code: int, info: str) -> bytes:
    """The Go executor's error body: jsonpb of SeldonMessage.Status."""
    return json.dumps({"status": {"code": code, "info": info, "status": "FAILURE"}}).encode()


def combine(payloads: list[Payload]) -> Payload:
    """`CombineSeldonMessagesToJson`: the children's outputs as one JSON array, in order."""
    return Payload(b"[" + b",".join(p.body for p in payloads) + b"]", JSON)


def extract_route(body: bytes) -> int:
    """`ExtractRouteFromSeldonMessage`: the first number of a router's output; -1 if none."""
    message = json.loads(body)
    data = message.get("data") if isinstance(message, dict) else None
    if not isinstance(data, dict):
        return -1
    if "ndarray" in data:
        return _first_number(data["ndarray"])
    tensor = data.get("tensor")
    if isinstance(tensor, dict):
        return _first_number(tensor.get("values", []))
    return -1


def _first_number(values: Any) -> int:
    while isinstance(values, list):
        if not values:
            return -1
        values = values[0]
    if isinstance(values, bool) or not isinstance(values, int | float):
        raise ValueError(f"route must be a number, got {values!r}")
    return int(values)


def feedback_routing(body: bytes) -> dict[str, Any]:
    """`response.meta.routing` of a Feedback message ({} when absent)."""
    message = json.loads(body)
    response = message.get("response") if isinstance(message, dict) else None
    meta = response.get("meta") if isinstance(response, dict) else None
    routing = meta.get("routing") if isinstance(meta, dict) else None
    return routing if isinstance(routing, dict) else {}


def inject_routing(payload: Payload, routing: dict[str, int]) -> Payload:
    """SELDON_ENABLE_ROUTING_INJECTION: set meta.routing when the output has a meta object."""
    try:
        message = json.loads(payload.body)
    except ValueError:
        return payload
    if not isinstance(message, dict) or not isinstance(message.get("meta"), dict):
        return payload
    message["meta"]["routing"] = dict(routing)
    return Payload(json.dumps(message, sort_keys=True, separators=(",", ":")).encode(), JSON)


_HTML = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))
_LINE_SEPARATORS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def html_escape(body: bytes) -> bytes:
    """Go's json.HTMLEscape, applied by the executor to every successful JSON response."""
    for raw, escaped in _HTML + _LINE_SEPARATORS:
        if raw in body:
            body = body.replace(raw, escaped)
    return body
