"""The JSON Schema type name of a loaded YAML/JSON value (for "expected X, got Y" messages)."""

from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    # bool before int: True is an int to Python, a boolean to JSON Schema.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"
