"""Serve a user's class in the Seldon role the compiler chose for its node.

This module is self-contained (standard library only, no seldon_graphs imports): it is copied
verbatim into every wrapper image as `seldon_graphs_adapter.py`, and the in-process runtime
imports it from here, so the laptop and the image run the same mapping.

    Adapter = make_adapter(Labels, "OUTPUT_TRANSFORMER")
    seldon-core-microservice entry.Adapter          # or Adapter(**params) in-process

Rules, decided once when the adapter class is made (never per request):

- The role's Seldon method (`predict`, `transform_input`, `transform_output`, `route`,
  `aggregate`) or its `_raw` variant, if the user's class has it, is used as it is.
- Otherwise the role's method is mapped onto the class's `predict` / `predict_raw` (a plain
  predict class can serve as a transformer, router or combiner). A MODEL, TRANSFORMER or
  OUTPUT_TRANSFORMER may also borrow the other single-input method (`transform_input` /
  `transform_output`), so a transformer class lowered to the last node of a chain still works.
- `meta=` is passed only when the user's method accepts it (a `meta` parameter or
  `**kwargs`), read from its signature. seldon_core itself retries a call without `meta`
  when the first one raises TypeError, which runs user code twice; the adapter's methods
  always accept `meta`, and a TypeError raised by user code is re-raised as UserCodeError so
  that retry never happens.
- Every other method of the class (tags, metrics, class_names, init_metadata, health_status,
  send_feedback, load, ...) keeps working: the adapter is a subclass of the user's class and
  is built with the node's parameters, `Adapter(**params)`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["ROLE_METHODS", "AdapterError", "UserCodeError", "make_adapter"]

# Seldon role -> the method seldon_core's wrapper calls for it.
ROLE_METHODS: dict[str, str] = {
    "MODEL": "predict",
    "TRANSFORMER": "transform_input",
    "OUTPUT_TRANSFORMER": "transform_output",
    "ROUTER": "route",
    "COMBINER": "aggregate",
}

# Methods seldon_core calls as (X, names, meta=meta) with a TypeError retry as (X, names).
_META_METHODS = ("predict", "transform_input", "transform_output", "route")

# Where a role's method may come from when the class lacks it, in order of preference.
_SOURCES: dict[str, tuple[str, ...]] = {
    "predict": ("predict", "transform_input", "transform_output"),
    "transform_input": ("transform_input", "predict", "transform_output"),
    "transform_output": ("transform_output", "predict", "transform_input"),
    "route": ("route", "predict"),
    "aggregate": ("aggregate", "predict"),
}


class AdapterError(TypeError):
    """The user's class cannot serve the requested role (raised by make_adapter)."""


class UserCodeError(RuntimeError):
    """A TypeError raised inside the user's method, re-raised so seldon_core does not retry."""


def make_adapter(user_cls: type, role: str) -> type:
    """Return a subclass of `user_cls` that serves `role` ("MODEL", "ROUTER", ...)."""
    if not isinstance(user_cls, type):
        raise AdapterError(f"expected a class, got {user_cls!r}")
    target = ROLE_METHODS.get(str(role))
    if target is None:
        known = ", ".join(ROLE_METHODS)
        raise AdapterError(f"unknown Seldon role {role!r}; known roles: {known}")
    plain, raw = _choose(user_cls, target)
    if plain is None and raw is None:
        wanted = " or ".join(dict.fromkeys((target, f"{target}_raw", "predict", "predict_raw")))
        raise AdapterError(
            f"class {user_cls.__qualname__} cannot serve as {role}: it defines none of {wanted}"
        )
    namespace: dict[str, Any] = {
        "__module__": user_cls.__module__,
        "__qualname__": user_cls.__qualname__,
        "__doc__": user_cls.__doc__,
        "seldon_role": str(role),
        "wrapped_class": user_cls,
    }
    holder: list[type] = []
    if plain is not None:
        namespace.update(_plain_methods(user_cls, target, plain, holder))
    if raw is not None and raw != f"{target}_raw":
        namespace[f"{target}_raw"] = _forward_raw(raw, holder)
    adapter = type(user_cls.__name__, (user_cls,), namespace)
    holder.append(adapter)
    return adapter


def _choose(user_cls: type, target: str) -> tuple[str | None, str | None]:
    """The names of the user's methods that will back `target` and `target_raw`."""
    for source in _SOURCES[target]:  # the role's own method first
        plain = source if _has(user_cls, source) else None
        raw = f"{source}_raw" if _has(user_cls, f"{source}_raw") else None
        if plain or raw:
            return plain, raw
    return None, None


def _has(user_cls: type, name: str) -> bool:
    return callable(getattr(user_cls, name, None))


def _accepts_meta(func: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: be conservative
        return False
    return any(p.name == "meta" or p.kind is p.VAR_KEYWORD for p in params)


def _plain_methods(
    user_cls: type, target: str, source: str, holder: list[type]
) -> dict[str, Callable[..., Any]]:
    """The adapter's `target` method, delegating to the user's `source` method."""
    if target == "aggregate":
        if source == "aggregate":
            return {}  # seldon_core calls aggregate without meta and never retries it
        return {"aggregate": _forward_aggregate(source, _accepts_meta(getattr(user_cls, source)))}
    if target not in _META_METHODS:  # pragma: no cover - every other role method is listed
        return {}
    pass_meta = _accepts_meta(getattr(user_cls, source))
    to_route = target == "route"  # numpy ints and 1-element arrays become a plain int
    return {target: _forward_with_meta(source, pass_meta, to_route, holder)}


def _forward_with_meta(
    source: str, pass_meta: bool, to_route: bool, holder: list[type]
) -> Callable[..., Any]:
    def method(self: Any, X: Any, feature_names: Any, meta: Any = None) -> Any:
        # super() of the adapter, so a same-named override never calls itself.
        func = getattr(super(holder[0], self), source)
        try:
            kwargs = {"meta": meta} if pass_meta else {}
            result = func(X, feature_names, **kwargs)
        except TypeError as exc:
            raise UserCodeError(f"{source}() raised TypeError: {exc}") from exc
        return _as_route(result) if to_route else result

    return method


def _as_route(result: Any) -> Any:
    """Seldon wants a plain int from route(); accept numpy ints and 1-element arrays too."""
    value = result
    while isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "size", 1) == 1:
        value = item()
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return result  # let seldon_core report "Routing response must be int"


def _forward_aggregate(source: str, pass_meta: bool) -> Callable[..., Any]:
    def aggregate(self: Any, features_list: Any, feature_names_list: Any) -> Any:
        func = getattr(self, source)
        if pass_meta:
            return func(features_list, feature_names_list, meta=None)
        return func(features_list, feature_names_list)

    return aggregate


def _forward_raw(source: str, holder: list[type]) -> Callable[..., Any]:
    def raw(self: Any, msg: Any) -> Any:
        return getattr(super(holder[0], self), source)(msg)

    return raw
