"""Bytes on the wire: payloads, Seldon status bodies, route extraction, Go's HTML escaping.

In the seldon protocol the Go executor never re-serialises a message: node outputs travel as
bytes with their content type. These helpers are the few places it does look inside.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

JSON = "application/json"
# The request `run` suggests and the page's form falls back to (an iris row).
EXAMPLE = '{"data":{"ndarray":[[5.1,3.5,1.4,0.2]]}}'


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
    """The Go executor's error body: jsonpb of SeldonMessage.Status (compact, UTF-8)."""
    status = {"status": {"code": code, "info": info, "status": "FAILURE"}}
    return json.dumps(status, separators=(",", ":"), ensure_ascii=False).encode()


def loads(body: bytes | str) -> Any:
    """json.loads where any undecodable input, however deeply nested, is a ValueError
    (Go's decoder stops at depth 10000 with an error; Python's recursion would escape)."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def combine(payloads: list[Payload]) -> Payload:
    """`CombineSeldonMessagesToJson`: the children's outputs as one JSON array, in order."""
    return Payload(b"[" + b",".join(p.body for p in payloads) + b"]", JSON)


def extract_route(body: bytes) -> int:
    """`ExtractRouteFromSeldonJson`: the route in a router's output, read as Go reads it.

    A SeldonMessage: ndarray's first value (a list: its first element), a number or else 0;
    tensor's first value; -1 when the data is neither. Otherwise a bare JSON list of ints.
    Where Go would index an empty list (and panic), this is a ValueError.
    """
    message = loads(body)
    if isinstance(message, list):
        if not message or not all(_is_int(v) for v in message):
            raise ValueError(f"expected a SeldonMessage or a list of ints, got {message!r}")
        return int(message[0])
    if not isinstance(message, dict) or not set(message) <= _SELDON_MESSAGE_FIELDS:
        raise ValueError(f"expected a SeldonMessage or a list of ints, got {message!r:.80}")
    data = message.get("data")
    if not isinstance(data, dict):
        return -1
    if "ndarray" in data:
        first = _first(data["ndarray"], "ndarray")
        return _number_value(_first(first, "ndarray row") if isinstance(first, list) else first)
    tensor = data.get("tensor")
    if isinstance(tensor, dict):
        return _number_value(_first(tensor.get("values"), "tensor values"))
    return -1


# jsonpb refuses a SeldonMessage with any other top-level field
_SELDON_MESSAGE_FIELDS = frozenset(
    {"status", "meta", "data", "binData", "strData", "jsonData", "customData"}
)


def _first(values: Any, what: str) -> Any:
    if not isinstance(values, list) or not values:
        raise ValueError(f"the router answered an empty {what}")
    return values[0]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_value(value: Any) -> int:
    """protobuf's Value.GetNumberValue, then Go's int(): 0 for anything not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)


_FEEDBACK_FIELDS = frozenset({"request", "response", "reward", "truth"})


def feedback_routing(body: bytes) -> dict[str, int]:
    """`RouteFromFeedbackJsonMeta`: `response.meta.routing` of a Feedback message. Go decodes
    the whole Feedback with jsonpb first: a body that is not JSON, has a field a Feedback or
    SeldonMessage lacks, or a routing value that is not an integer makes every node's route
    -1 (all children), and so does {} here."""
    try:
        message = loads(body)
    except ValueError:
        return {}
    if not isinstance(message, dict) or not set(message) <= _FEEDBACK_FIELDS:
        return {}
    response = message.get("response") or {}
    if not isinstance(response, dict) or not set(response) <= _SELDON_MESSAGE_FIELDS:
        return {}
    meta = response.get("meta") or {}
    routing = (meta.get("routing") or {}) if isinstance(meta, dict) else None
    if not isinstance(routing, dict):
        return {}
    routes: dict[str, int] = {}
    for name, value in routing.items():
        route = _int32(value)
        if route is None:
            return {}
        routes[name] = route
    return routes


def _int32(value: Any) -> int | None:
    """jsonpb's int32: an integral number, or a string holding one."""
    if isinstance(value, str):
        value = value.strip()
        return int(value) if value.lstrip("-").isdigit() else None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if _is_int(value) else None


def inject_routing(payload: Payload, routing: dict[str, int]) -> Payload:
    """SELDON_ENABLE_ROUTING_INJECTION: set meta.routing when the output has a meta object."""
    try:
        message = loads(payload.body)
    except ValueError:
        return payload
    if not isinstance(message, dict) or not isinstance(message.get("meta"), dict):
        return payload
    message["meta"]["routing"] = dict(routing)
    return Payload(go_json(message), JSON)


def go_json(value: Any) -> bytes:
    """Go's json.Marshal of decoded JSON: compact, map keys sorted, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def go_struct(fields: Iterable[tuple[str, bytes]]) -> bytes:
    """A Go struct's JSON: fields in declaration order, values already encoded."""
    return b"{" + b",".join(go_json(name) + b":" + value for name, value in fields) + b"}"


# payload.ModelMetadata: the fields Go keeps of a node's /metadata, in its struct order, with
# the JSON types they must have (every one `omitempty`).
_MODEL_METADATA: tuple[tuple[str, type | None], ...] = (
    ("name", str), ("platform", str), ("versions", list), ("inputs", None),
    ("outputs", None), ("custom", dict),
)  # fmt: skip


def model_metadata(meta: Any) -> dict[str, Any]:
    """A node's /metadata as Go decodes it into `payload.ModelMetadata` and encodes it again:
    other fields dropped, empty ones omitted; a field of the wrong type is an error."""
    if not isinstance(meta, dict):
        raise ValueError(f"cannot unmarshal {type(meta).__name__} into ModelMetadata")
    out: dict[str, Any] = {}
    for field, kind in _MODEL_METADATA:
        value = meta.get(field)
        if value is None:
            continue
        if kind is not None and not isinstance(value, kind):
            raise ValueError(f"field {field!r} must be a {kind.__name__}")
        if field == "versions" and not all(isinstance(v, str) for v in value):
            raise ValueError("field 'versions' must be a list of strings")
        if field == "custom" and not all(isinstance(v, str) for v in value.values()):
            raise ValueError("field 'custom' must map strings to strings")
        if kind is None or value:  # omitempty: "", [] and {} are dropped
            out[field] = value
    return out


_HTML = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))
_LINE_SEPARATORS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def html_escape(body: bytes) -> bytes:
    """Go's json.HTMLEscape, applied by the executor to every successful JSON response."""
    for raw, escaped in _HTML + _LINE_SEPARATORS:
        if raw in body:
            body = body.replace(raw, escaped)
    return body
