"""A quick, conservative "surely valid" test against the graph file's JSON Schema.

Importing jsonschema 3.2 (seldon-core 1.17 pins it below 4) costs a quarter of `validate`'s
start-up (it pulls in urllib.request, email, attrs and pyrsistent). Most graph files are
structurally fine, so `schema_check` asks this module first and imports jsonschema only for
a file that may have a problem, to report it with jsonschema's findings as before.

`surely_valid` answers True only when Draft 7 validation certainly finds nothing: it knows
the keywords our schema uses, reading each as strictly as jsonschema or more (an integer is
an int, never 2.0; an enum value matches by type and value), and answers False for any
keyword or value it does not know. False means "ask jsonschema", not "invalid".
tests/property/test_schema_quick.py checks both directions on generated graph files.
"""

from __future__ import annotations

import re
from typing import Any

# Keywords that never make an instance invalid.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default"})
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def surely_valid(schema: Any, instance: Any) -> bool:
    """True only if `instance` certainly conforms to the Draft 7 `schema`."""
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict):
        return False
    for keyword, value in schema.items():
        check = _KEYWORDS.get(keyword)
        if check is None:
            if keyword not in _ANNOTATIONS and not keyword.startswith("x-"):
                return False
        elif not check(value, instance, schema):
            return False
    return True


def _type(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    names = value if isinstance(value, list) else [value]
    # bool is an int to Python, never an integer or number to JSON Schema.
    return any(type(instance) in _TYPES.get(name, ()) for name in names)


def _enum(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    return any(type(choice) is type(instance) and choice == instance for choice in value)


def _minimum(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    # jsonschema ignores `minimum` for what is not a number, a boolean included.
    return type(instance) not in (int, float) or bool(instance >= value)


def _pattern(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    return type(instance) is not str or re.search(value, instance) is not None


def _required(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    return not isinstance(instance, dict) or all(name in instance for name in value)


def _properties(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(surely_valid(value[k], v) for k, v in instance.items() if k in value)


def _additional(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        return False  # not used by our schema: leave it to jsonschema
    known = schema.get("properties", {})
    return all(surely_valid(value, v) for k, v in instance.items() if k not in known)


def _min_properties(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    return not isinstance(instance, dict) or len(instance) >= value


def _min_items(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    return not isinstance(instance, list) or len(instance) >= value


def _items(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    if not isinstance(value, dict):
        return False  # a tuple of schemas: not used by our schema
    return not isinstance(instance, list) or all(surely_valid(value, item) for item in instance)


def _any_of(value: Any, instance: Any, _: dict[str, Any]) -> bool:
    return any(surely_valid(option, instance) for option in value)


_KEYWORDS = {
    "type": _type,
    "enum": _enum,
    "minimum": _minimum,
    "pattern": _pattern,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "minProperties": _min_properties,
    "minItems": _min_items,
    "items": _items,
    "anyOf": _any_of,
}
