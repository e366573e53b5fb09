"""The CRD check: the SeldonDeployment CRD's openAPIV3Schema, applied as the API server does.

Three things the API server does that plain jsonschema does not, reproduced here:
* `null` values of non-nullable fields are pruned before validation (JSON from `kubectl get`
  is full of `creationTimestamp: null`);
* unknown fields are pruned silently (and rejected by `kubectl apply --validate=strict`,
  the default since kubectl 1.27): reported as `crd-unknown-field`;
* messages are written like the API server's (`spec.x: Required value`).
Graph `children` deeper than the schema goes are left to the `graph-depth` rule.

Parsing the 2.7 MB CRD takes most of a second, so the extracted schema is cached in-process
and on disk (`.seldon-graphs/cache/crd-<sha256 of the file>.json`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..diagnostics import did_you_mean
from ..errors import SeldonGraphsError
from ..jsontypes import json_type
from .finding import Finding, JsonPath, k8s_path

# The C loader parses the 2.7 MB CRD several times faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

GROUP, KIND = "machinelearning.seldon.io", "SeldonDeployment"
CACHE_ENV = "SELDON_GRAPHS_CACHE_DIR"
_MEMORY: dict[str, dict[str, Any]] = {}  # sha256 of the CRD file -> schema
_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}
# ObjectMeta's fields: the CRD declares `metadata` as a bare object, the API server knows more.
OBJECT_META = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)


class CrdError(SeldonGraphsError):
    """The file given as the CRD cannot be used (unreadable, or not the SeldonDeployment CRD)."""


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.cwd() / ".seldon-graphs" / "cache")


def load_crd_schema(
    path: str | os.PathLike[str], *, cache_dir: Path | None = None
) -> dict[str, Any]:
    """The v1 `openAPIV3Schema` of a SeldonDeployment CRD file (YAML or JSON).

    Also accepts the bare schema (e.g. a JSON file extracted from the CRD). Raises CrdError.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CrdError(f"cannot read the CRD file {path}: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    cached = _MEMORY.get(digest)
    if cached is not None:
        return cached
    cache_file = (cache_dir or default_cache_dir()) / f"crd-{digest}.json"
    schema = _read_cache(cache_file)
    if schema is None:
        schema = extract_schema(_parse(data, path), str(path))
        _write_cache(cache_file, schema)
    _MEMORY[digest] = schema
    return schema


def _parse(data: bytes, path: str | os.PathLike[str]) -> Any:
    try:
        docs = [d for d in yaml.load_all(data, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        raise CrdError(f"{path} is not valid YAML or JSON: {exc}") from exc
    for doc in docs:  # a multi-document file: take the SeldonDeployment CRD in it
        crd = isinstance(doc, dict) and as_kind(doc) == "CustomResourceDefinition"
        if crd and _crd_kind(doc) == (GROUP, KIND):
            return doc
    return docs[0] if docs else None


def as_kind(doc: dict[str, Any]) -> str:
    kind = doc.get("kind")
    return kind if isinstance(kind, str) else ""


def _crd_kind(doc: dict[str, Any]) -> tuple[Any, Any]:
    spec = _map(doc.get("spec"))
    return spec.get("group"), _map(spec.get("names")).get("kind")


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def extract_schema(doc: Any, where: str = "the CRD") -> dict[str, Any]:
    """The v1 schema out of a parsed CRD (apiextensions v1 or v1beta1) or a bare schema."""
    if not isinstance(doc, dict):
        raise CrdError(f"{where} is not a CustomResourceDefinition (no mapping at the top)")
    if _is_bare_schema(doc):
        return doc
    kind = as_kind(doc)
    if kind != "CustomResourceDefinition":
        raise CrdError(
            f"{where} is not a CustomResourceDefinition (kind: {kind or 'missing'}); "
            "give the SeldonDeployment CRD, e.g. `kubectl get crd "
            "seldondeployments.machinelearning.seldon.io -o yaml`"
        )
    group, crd_kind = _crd_kind(doc)
    if (group, crd_kind) != (GROUP, KIND):
        raise CrdError(f"{where} is the CRD of {crd_kind}.{group}, not of {KIND}.{GROUP}")
    spec = _map(doc.get("spec"))
    versions = spec.get("versions")
    for version in versions if isinstance(versions, list) else []:
        if _map(version).get("name") == "v1":
            schema = _map(_map(version).get("schema")).get("openAPIV3Schema")
            if isinstance(schema, dict):
                return schema
    legacy = _map(spec.get("validation")).get("openAPIV3Schema")  # apiextensions v1beta1
    if isinstance(legacy, dict):
        return legacy
    raise CrdError(f"{where} has no openAPIV3Schema for version v1 of {KIND}")


def _is_bare_schema(doc: dict[str, Any]) -> bool:
    props = doc.get("properties")
    return isinstance(props, dict) and isinstance(props.get("spec"), dict) and "kind" in props


def _read_cache(file: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _write_cache(file: Path, schema: dict[str, Any]) -> None:
    """Best effort: a read-only or missing directory only costs the next run a re-parse."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(schema, separators=(",", ":")), encoding="utf-8")
        tmp.replace(file)
    except OSError:
        pass


# --- validation


def validate(sdep: dict[str, Any], schema: dict[str, Any]) -> list[Finding]:
    """Schema errors, then unknown (pruned) fields, each sorted by path."""
    instance = prune_nulls(sdep)
    errors = sorted(_validator(schema).iter_errors(instance), key=_error_key)
    findings = [f for e in errors for f in _translate(e)]
    findings += sorted(_unknown_fields(instance, schema, ()), key=lambda f: _path_key(f.path))
    return findings


def _validator(schema: dict[str, Any]) -> Any:
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = (schema, jsonschema.Draft7Validator(schema))
        _VALIDATORS[id(schema)] = entry
    return entry[1]


def prune_nulls(value: Any) -> Any:
    """A copy without `key: null` in mappings, as the API server prunes non-nullable fields.

    Iterative: a generated graph can be nested far deeper than Python's recursion limit.
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        item, parent, slot = stack.pop()
        if isinstance(item, dict):
            copy: Any = {}
            stack.extend((v, copy, k) for k, v in item.items() if v is not None)
        elif isinstance(item, list):
            copy = [None] * len(item)
            stack.extend((v, copy, i) for i, v in enumerate(item))
        else:
            copy = item
        parent[slot] = copy
    return root[0]


def _path_key(path: JsonPath) -> tuple[tuple[int, str | int], ...]:
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in path)


def _error_key(error: Any) -> tuple[Any, ...]:
    return (_path_key(tuple(error.absolute_path)), str(error.validator), error.message)


_REQUIRED = re.compile(r"^'(.*)' is a required property$")


def _translate(error: Any) -> Iterator[Finding]:
    path: JsonPath = tuple(error.absolute_path)
    where = k8s_path(path) or "<root>"
    kind, instance = str(error.validator), error.instance
    if kind == "required":
        match = _REQUIRED.match(error.message)
        missing = match.group(1) if match else str(error.validator_value)
        full = f"{where}.{missing}" if path else missing
        yield Finding(
            path,
            "Required value",
            "crd-required",
            help=f"add `{missing}` here: the CRD requires it",
            seldon_path=full,
        )
    elif kind in ("type", "anyOf") and _types_of(error.schema):
        want = ",".join(_types_of(error.schema))
        got = json_type(instance)
        yield Finding(
            path,
            f"{where} in body must be of type {want}: {json.dumps(got)}",
            "crd-type",
            help=_type_help(want, instance),
            seldon_path=where,
            seldon_value=got,
        )
    elif kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        yield Finding(
            path,
            f"Unsupported value: {json.dumps(instance)}: supported values: {allowed}",
            "crd-enum",
            seldon_path=where,
        )
    elif kind == "pattern":
        yield Finding(
            path,
            f"{where} in body should match '{error.validator_value}'",
            "crd-pattern",
            seldon_path=where,
            seldon_value=instance,
        )
    else:
        yield Finding(path, f"{where}: {error.message}", f"crd-{kind}")


def _types_of(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    if isinstance(schema.get("type"), str):
        return [schema["type"]]
    return [t for s in schema.get("anyOf") or [] for t in _types_of(s)]


def _type_help(want: str, instance: Any) -> str | None:
    if want == "string" and isinstance(instance, (int, float, bool)):
        text = json.dumps(instance)
        kind = "true/false" if isinstance(instance, bool) else "a number"
        return f'quote it: "{text}" (the field is a string; unquoted, YAML reads {text} as {kind})'
    if want == "integer" and isinstance(instance, str) and instance.strip().lstrip("-").isdigit():
        return f"write it without quotes: {instance.strip()}"
    return None


def _unknown_fields(value: Any, schema: dict[str, Any], path: JsonPath) -> Iterator[Finding]:
    """Fields the API server would prune: not declared where the schema closes the object."""
    stack: list[tuple[Any, dict[str, Any], JsonPath]] = [(value, schema, path)]
    while stack:
        value, schema, path = stack.pop()
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            stack.extend((v, schema["items"], (*path, i)) for i, v in enumerate(value))
            continue
        if not isinstance(value, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
            continue
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if isinstance(props, dict):
            for key, v in value.items():
                if key in props and isinstance(props[key], dict):
                    stack.append((v, _meta_schema(path, key, props[key]), (*path, key)))
                elif isinstance(extra, dict):
                    stack.append((v, extra, (*path, key)))
                elif extra is None and not _left_to_depth_rule(path, key):
                    yield _unknown(path, key, props)
        elif isinstance(extra, dict):
            stack.extend((v, extra, (*path, k)) for k, v in value.items())
        elif schema.get("x-seldon-graphs-object-meta"):
            for key in value:
                if key not in OBJECT_META:
                    yield _unknown(path, key, OBJECT_META)


def _meta_schema(path: JsonPath, key: str, schema: dict[str, Any]) -> dict[str, Any]:
    if path == () and key == "metadata" and "properties" not in schema:
        return {**schema, "x-seldon-graphs-object-meta": True}
    return schema


def _left_to_depth_rule(path: JsonPath, key: str) -> bool:
    return key == "children" and "graph" in path


def _unknown(path: JsonPath, key: Any, known: Any) -> Finding:
    where = k8s_path((*path, str(key)))
    hint = did_you_mean(str(key), [str(k) for k in known])
    return Finding(
        (*path, str(key)),
        f'unknown field "{where}": the API server drops it (and `kubectl apply` rejects it)',
        "crd-unknown-field",
        help=hint or "remove it, or check its spelling and indentation against the CRD",
        on_key=True,
    )
