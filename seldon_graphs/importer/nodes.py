"""A PredictiveUnit and its container -> one entry of a graph file's `nodes:`.

The unit says what runs (a prepackaged server, an executor built-in, or a container image)
and its parameters; the container adds the image, `env`, `secret_env` and `resources`.
Anything else is recorded as a loss at its path.
"""

from __future__ import annotations

from typing import Any

from ..catalog import BUILTINS, SERVERS, UNKNOWN_IMPLEMENTATION
from ..manifest.finding import JsonPath
from ..manifest.walk import as_list, as_map, as_str
from ..safety import secret_name
from .losses import Inexpressible, Losses

SERVER_NAMES = {impl: name for name, impl in SERVERS.items()}
BUILTIN_NAMES = {impl: name for name, impl in BUILTINS.items()}
# Unit fields a node carries over; `type` and `children` become the flow and `kind`, the
# endpoint's type becomes the graph's `transport`.
_UNIT_KEYS = frozenset(
    {
        "name",
        "type",
        "implementation",
        "children",
        "parameters",
        "modelUri",
        "envSecretRefName",
        "serviceAccountName",
        "logger",
        "endpoint",
    }
)
_CONTAINER_KEYS = frozenset({"name", "image", "imagePullPolicy", "env", "resources"})
# The operator's defaulting writes these into every endpoint; it writes them again.
_DERIVED_ENDPOINT_KEYS = frozenset({"service_host", "service_port", "httpPort", "grpcPort"})
_PARAM_TYPES = {"INT": int, "FLOAT": float, "BOOL": bool, "STRING": str}
# A graph file never holds a secret in plain text (the checks would refuse it anyway).
_PLAIN_SECRET = "a secret in plain text, not written into a graph file: put it in a Secret"


def node_entry(
    pu: dict[str, Any],
    at: JsonPath,
    container: tuple[dict[str, Any], JsonPath] | None,
    losses: Losses,
) -> dict[str, Any]:
    """The graph-file node for unit `pu` (at `at`), run by `container` (with its path)."""
    losses.drop_extra(pu, at, _UNIT_KEYS)
    _endpoint(as_map(pu.get("endpoint")), (*at, "endpoint"), losses)
    entry = _source(pu, at, container)
    params = _params(as_list(pu.get("parameters")), (*at, "parameters"), losses)
    if params:
        entry["params"] = params
    for key, ours in (
        ("modelUri", "model_uri"),
        ("envSecretRefName", "secret"),
        ("serviceAccountName", "service_account"),
    ):
        if as_str(pu.get(key)):
            entry[ours] = pu[key]
    logger = _logger(as_map(pu.get("logger")), (*at, "logger"), losses)
    if logger:
        entry["logger"] = logger
    if container is not None:
        entry.update(container_fields(*container, losses))
    return entry


def _source(
    pu: dict[str, Any], at: JsonPath, container: tuple[dict[str, Any], JsonPath] | None
) -> dict[str, Any]:
    impl = as_str(pu.get("implementation")) or UNKNOWN_IMPLEMENTATION
    image = as_str(container[0].get("image")) if container else ""
    if impl in SERVER_NAMES:
        return {"server": SERVER_NAMES[impl], **({"image": image} if image else {})}
    if impl in BUILTIN_NAMES:
        return {"builtin": BUILTIN_NAMES[impl]}
    if impl != UNKNOWN_IMPLEMENTATION:
        raise Inexpressible(
            (*at, "implementation"),
            f"custom server `{impl}`: graph files know Seldon's own servers only",
        )
    if not image:
        raise Inexpressible(
            (*at, "name"), f"node `{as_str(pu.get('name'))}` has no container image to run"
        )
    return {"image": image}


def _endpoint(endpoint: dict[str, Any], at: JsonPath, losses: Losses) -> None:
    for key in endpoint:
        if key in _DERIVED_ENDPOINT_KEYS:
            losses.cosmetic((*at, key), "filled in by the operator, which recomputes it")
        elif key != "type":  # the type is the graph's transport
            losses.drop((*at, key))


def _logger(logger: dict[str, Any], at: JsonPath, losses: Losses) -> dict[str, Any]:
    losses.drop_extra(logger, at, frozenset({"mode", "url"}))
    return {k: logger[k] for k in ("mode", "url") if as_str(logger.get(k))}


def _params(parameters: list[Any], at: JsonPath, losses: Losses) -> dict[str, Any]:
    """Seldon's `{name, value, type}` strings as typed params: a plain YAML value where it
    reads back as the same type and text, else `{value, type}` with the text as written."""
    out: dict[str, Any] = {}
    for i, p in enumerate(map(as_map, parameters)):
        name, text, kind = as_str(p.get("name")), as_str(p.get("value")), as_str(p.get("type"))
        if secret_name(name) == "certain":
            losses.drop((*at, i), f"{_PLAIN_SECRET} and read it from `secret_env`")
            continue
        plain = _plain(text, kind)
        out[name] = plain if plain is not None else {"value": text, "type": kind}
    return out


def _plain(text: str, kind: str) -> str | int | float | bool | None:
    if kind == "STRING":
        return text
    if kind == "BOOL":
        return {"true": True, "false": False}.get(text)
    convert = _PARAM_TYPES.get(kind)
    try:
        value = convert(text) if convert is not None else None
    except ValueError:
        return None
    return value if value is not None and str(value) == text else None


def container_fields(container: dict[str, Any], at: JsonPath, losses: Losses) -> dict[str, Any]:
    """`env`, `secret_env` and `resources` of a node, from its container."""
    losses.drop_extra(container, at, _CONTAINER_KEYS)
    policy = as_str(container.get("imagePullPolicy"))
    if policy not in ("", "IfNotPresent"):
        losses.drop((*at, "imagePullPolicy"), "not expressible (graph files pull IfNotPresent)")
    out: dict[str, Any] = {}
    env, secret_env = _env(as_list(container.get("env")), (*at, "env"), losses)
    if env:
        out["env"] = env
    if secret_env:
        out["secret_env"] = secret_env
    resources = _resources(as_map(container.get("resources")), (*at, "resources"), losses)
    if resources:
        out["resources"] = resources
    return out


def _env(items: list[Any], at: JsonPath, losses: Losses) -> tuple[dict[str, str], dict[str, str]]:
    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    for i, var in enumerate(map(as_map, items)):
        name = as_str(var.get("name"))
        ref = as_map(as_map(var.get("valueFrom")).get("secretKeyRef"))
        if "valueFrom" not in var and secret_name(name) == "certain":
            losses.drop((*at, i), f"{_PLAIN_SECRET} and name it in `secret_env`")
        elif "valueFrom" not in var:
            plain[name] = as_str(var.get("value"))
        elif set(var["valueFrom"]) == {"secretKeyRef"} and set(ref) == {"name", "key"}:
            secret[name] = f"{ref['name']}/{ref['key']}"
        else:
            losses.drop((*at, i), "not expressible (only values and Secret keys are)")
    return plain, secret


def _resources(res: dict[str, Any], at: JsonPath, losses: Losses) -> dict[str, Any]:
    """Graph files say `{cpu, memory, gpu}`: cpu and memory requested, memory also the limit,
    gpu the `nvidia.com/gpu` limit. A memory request without the same limit (or a limit
    without the request) is dropped rather than turned into one it never had."""
    requests, limits = as_map(res.get("requests")), as_map(res.get("limits"))
    losses.drop_extra(res, at, frozenset({"requests", "limits"}))
    losses.drop_extra(requests, (*at, "requests"), frozenset({"cpu", "memory"}))
    losses.drop_extra(limits, (*at, "limits"), frozenset({"memory", "nvidia.com/gpu"}))
    out: dict[str, Any] = {}
    if "cpu" in requests:
        out["cpu"] = str(requests["cpu"])
    memory = {str(v) for v in (requests.get("memory"), limits.get("memory")) if v is not None}
    if len(memory) == 1 and "memory" in requests and "memory" in limits:
        out["memory"] = memory.pop()
    else:
        for kind in ("requests", "limits"):
            if "memory" in as_map(res.get(kind)):
                losses.drop(
                    (*at, kind, "memory"),
                    "not expressible: a graph file's memory is both request and limit",
                )
    gpu = limits.get("nvidia.com/gpu")
    if gpu is not None:
        if isinstance(gpu, int) or (isinstance(gpu, str) and gpu.isdigit()):
            out["gpu"] = int(gpu)
        else:
            losses.drop((*at, "limits", "nvidia.com/gpu"), "not a whole number of GPUs")
    return out
