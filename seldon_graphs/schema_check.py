"""Structural checks of a graph file against the published JSON Schema, with positions.

jsonschema's own messages ("Additional properties are not allowed ...") are rewritten into
one diagnostic per offending token with a `help:` that names the fix.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .diagnostics import Reporter, did_you_mean
from .jsontypes import json_type
from .schema_quick import surely_valid
from .yamlpos import LMap, Located, locate

SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "graph.schema.json"
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


@functools.cache
def graph_schema() -> dict[str, Any]:
    import json  # here, as below: schema_quick spares most files the schema (1.6 ms of a start)

    text = SCHEMA_FILE.read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


DEPLOYMENT_SCHEMA_FILE = SCHEMA_FILE.with_name("deployment.schema.json")


@functools.cache
def inline_graph_schema() -> dict[str, Any]:
    """A graph written inline in a deployment file: the deployment names it, its predictor
    and places it."""
    import json

    schema = json.loads(json.dumps(graph_schema()))
    for key in ("name", "namespace", "predictor"):
        del schema["properties"][key]
    schema["required"] = ["nodes"]
    out: dict[str, Any] = schema
    return out


@functools.cache
def deployment_schema() -> dict[str, Any]:
    import json

    schema: dict[str, Any] = json.loads(DEPLOYMENT_SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


_SCHEMAS = {"graph": graph_schema, "inline": inline_graph_schema, "deployment": deployment_schema}


@functools.cache
def _validator(kind: str = "graph") -> Any:
    import jsonschema  # a quarter of `validate`'s start-up: only for files that need it

    return jsonschema.Draft7Validator(_SCHEMAS[kind]())


def _describe(value: Any) -> str:
    kind = json_type(value)
    if value is None:
        return "nothing"
    return "a boolean" if kind == "boolean" else _TYPE_NAMES[kind]


def _where(path: Iterable[Any], whole: str = "the file") -> str:
    parts = list(path)
    if len(parts) >= 2 and parts[0] == "nodes":
        rest = ".".join(str(p) for p in parts[2:])
        return f"node `{parts[1]}`" + (f" key `{rest}`" if rest else "")
    return f"`{'.'.join(str(p) for p in parts)}`" if parts else whole


def check_structure(
    root: Located, reporter: Reporter, *, kind: str = "graph", whole: str = "the file"
) -> None:
    """Report every schema violation in `root`: a whole graph file (`graph`), a graph
    written inline in a deployment file (`inline`) or a deployment file (`deployment`).
    `whole` is what messages call `root` itself."""
    plain = root.plain()
    if surely_valid(_SCHEMAS[kind](), plain):
        return
    found = _validator(kind).iter_errors(plain)
    errors = sorted(found, key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        _report(err, root, reporter, whole)


def _report(err: Any, root: Located, reporter: Reporter, whole: str) -> None:
    path = list(err.absolute_path)
    node, key = locate(root, path)
    schema = err.schema if isinstance(err.schema, dict) else {}
    validator = err.validator
    if validator == "additionalProperties" and isinstance(node, LMap):
        allowed = list(schema.get("properties", {}))
        for k, _ in node.items():
            if k.value not in allowed and not schema.get("patternProperties"):
                where = _where(path, whole)
                reporter.error(
                    k.pos,
                    f"unknown key `{k.value}` in {where}",
                    "unknown-key",
                    did_you_mean(str(k.value), allowed) or f"allowed keys: {', '.join(allowed)}",
                )
        return
    if validator == "required":
        missing = [r for r in err.validator_value if r not in (err.instance or {})]
        for name in missing:
            at = key.pos if key is not None else node.pos
            reporter.error(
                at, f"{_where(path, whole)} is missing required key `{name}`", "missing-key"
            )
        return
    if validator == "enum":
        choices = [str(c) for c in err.validator_value]
        reporter.error(
            node.pos,
            f"`{err.instance}` is not a valid value for {_where(path, whole)}",
            "bad-value",
            did_you_mean(str(err.instance), choices) or f"expected one of: {', '.join(choices)}",
        )
        return
    if validator == "type":
        wanted = err.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        names = [_TYPE_NAMES.get(str(t), str(t)) for t in wanted]
        message = (
            f"{_where(path, whole)} must be {' or '.join(names)}, not {_describe(err.instance)}"
        )
        reporter.error(node.pos, message, "wrong-type", schema.get("x-error"))
        return
    if validator == "minProperties":
        reporter.error(node.pos, f"{_where(path, whole)} is empty", "empty", schema.get("x-error"))
        return
    if validator in ("minimum", "maximum"):
        bound = "at least" if validator == "minimum" else "at most"
        reporter.error(
            node.pos, f"{_where(path, whole)} must be {bound} {err.validator_value}", "bad-value"
        )
        return
    reporter.error(
        node.pos,
        f"invalid {_where(path, whole)}",
        "bad-value",
        schema.get("x-error") or err.message,
    )
