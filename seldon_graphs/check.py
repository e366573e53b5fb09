"""Stage 2: checks of each node and of the graph's settings (the flow is checked in dataflow)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from wrappers.stock import CATALOG

from . import safety
from .compile import service_names
from .diagnostics import Reporter, did_you_mean
from .spec import PARAM_TYPES, GraphSpec, NodeSpec, Role, Source
from .tree import TreeNode

_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T|E|P|Ei|Pi)?$")
# Prepackaged servers: which protocols have an image (reference §2.5) and what they are.
SERVER_PROTOCOLS: dict[str, tuple[str, ...]] = {
    "SKLEARN_SERVER": ("seldon", "v2"),
    "XGBOOST_SERVER": ("seldon", "v2"),
    "MLFLOW_SERVER": ("seldon", "v2"),
    "TENSORFLOW_SERVER": ("seldon", "tensorflow"),
    "TRITON_SERVER": ("v2",),
    "HUGGINGFACE_SERVER": ("v2",),
    "TEMPO_SERVER": ("v2",),
}
UNIMPLEMENTED_BUILTINS = ("AVERAGE_COMBINER", "SIMPLE_MODEL", "SIMPLE_ROUTER")


def check_spec(spec: GraphSpec, r: Reporter) -> None:
    _check_graph_settings(spec, r)
    for node in spec.nodes:
        _check_node(spec, node, r)


def _check_graph_settings(spec: GraphSpec, r: Reporter) -> None:
    if spec.name and (why := safety.dns_label(spec.name)):
        r.error(spec.at("name"), why, "bad-name", _dns_help(spec.name))
    if spec.namespace and (why := safety.dns_label(spec.namespace)):
        r.error(spec.at("namespace"), why, "bad-name", _dns_help(spec.namespace))
    if spec.predictor and (why := safety.dns_label(spec.predictor)):
        r.error(spec.at("predictor"), why, "bad-name", _dns_help(spec.predictor))
    if spec.registry and (why := safety.image_ref(spec.registry)):
        r.error(spec.at("registry"), why, "bad-image")
    if why := safety.version(spec.runtime.seldon_core):
        r.error(spec.at("runtime.seldon_core"), f"runtime.seldon_core: {why}", "bad-runtime")
    if why := safety.image_ref(spec.runtime.base_image):
        r.error(spec.at("runtime.base_image"), f"runtime.base_image: {why}", "bad-image")
    annotations = dict(spec.annotations)
    if "seldon.io/no-engine" in annotations and len(spec.nodes) > 1:
        # Seldon's webhook rule, checked here so the user sees it before the cluster does.
        r.error(
            spec.at("annotations"),
            "Running without engine only valid for single element graphs",
            "webhook",
            "remove the `seldon.io/no-engine` annotation",
        )
    if "seldon.io/rest-timeout" in annotations and spec.rest_timeout_ms is not None:
        r.error(
            spec.at("rest_timeout_ms"),
            "both `rest_timeout_ms` and the `seldon.io/rest-timeout` annotation are set",
            "conflict",
            "keep `rest_timeout_ms` only",
        )


def _dns_help(name: str) -> str:
    fixed = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-")
    return f"try `{fixed}`" if fixed and fixed != name else "use lower-case letters, digits, `-`"


def _check_node(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    if why := safety.dns_label(node.name):
        r.error(node.pos, f"node name {why}", "bad-name", _dns_help(node.name))
    present = [k for k in ("python", "stock", "server", "image", "builtin") if k in node.positions]
    if not present:
        r.error(
            node.pos,
            f"node `{node.name}` does not say what it runs",
            "no-source",
            "add one of `python: file.py:Class`, `stock:`, `server:`, `image:` or `builtin:`",
        )
    elif len(present) > 1 and present != ["server", "image"]:
        second = present[1]
        r.error(
            node.at(second),
            f"node `{node.name}` has both `{present[0]}` and `{second}`",
            "many-sources",
            "a node runs exactly one thing; split it into two nodes",
        )
    checks = {
        Source.PYTHON: _check_python,
        Source.STOCK: _check_stock,
        Source.SERVER: _check_server,
        Source.IMAGE: _check_image,
        Source.BUILTIN: _check_builtin,
    }
    checks[node.source](spec, node, r)
    _check_params(node, r)
    _check_env(node, r)
    _check_resources(node, r)
    _check_kind(spec, node, r)
    _check_wrapped_only_keys(node, r)
    if node.local_uri is not None:
        _check_path(spec, node, "local_uri", node.local_uri, r, must_exist=False)


def _check_path(
    spec: GraphSpec, node: NodeSpec, key: str, rel: str, r: Reporter, *, must_exist: bool = True
) -> Path | None:
    path, why = safety.project_path(spec.root, rel)
    if why is not None or path is None:
        r.error(
            node.at(key),
            why or "bad path",
            "path-escape",
            "keep every path relative to and inside the project directory",
        )
        return None
    if must_exist and not path.exists():
        r.error(node.at(key), f"`{rel}` does not exist in the project directory", "missing-file")
        return None
    return path


def _check_python(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    ref = node.python
    if ref is None:
        return
    if why := safety.python_identifier(ref.class_name):
        r.error(ref.pos, why, "bad-class")
        return
    if why := safety.python_identifier(ref.module):
        r.error(
            ref.pos,
            f"module name {why}",
            "bad-module",
            "rename the file so its name is a Python identifier",
        )
        return
    path = _check_path(spec, node, "python", ref.path, r)
    if path is None:
        return
    if path.suffix != ".py" or not path.is_file():
        r.error(ref.pos, f"`{ref.path}` is not a Python file", "missing-file")
        return
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        r.error(
            ref.pos,
            f"cannot parse `{ref.path}`" + (f" (line {line})" if line else "") + f": {exc}",
            "bad-module",
        )
        return
    names = list(_top_level_names(tree))
    if ref.class_name not in names:
        r.error(
            ref.pos,
            f"`{ref.path}` defines no class `{ref.class_name}`",
            "missing-class",
            did_you_mean(ref.class_name, names),
        )
    # `files` and the requirements file: context_check, with the build context's own rules.


def _top_level_names(tree: ast.Module) -> Iterator[str]:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef | ast.FunctionDef):
            yield stmt.name
        elif isinstance(stmt, ast.Assign):
            yield from (t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.ImportFrom | ast.Import):
            yield from ((a.asname or a.name).split(".")[0] for a in stmt.names)


def _check_stock(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    if node.stock is None or node.stock in CATALOG:
        return
    r.error(
        node.at("stock"),
        f"there is no stock component `{node.stock}`",
        "unknown-stock",
        did_you_mean(node.stock, CATALOG) or f"stock components: {', '.join(CATALOG)}",
    )


def _check_server(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    impl = node.implementation
    if impl is None:
        return
    # A misspelt `model_uri` is already reported as an unknown key: one mistake, one error.
    misspelt = [k for k in node.positions if k != "model_uri" and did_you_mean(k, ["model_uri"])]
    if node.model_uri is None and impl != "HUGGINGFACE_SERVER" and not misspelt:
        r.error(
            node.at("server"),
            f"server node `{node.name}` has no `model_uri` "
            "(Seldon: Predictive unit modelUri required when using standalone servers)",
            "missing-model-uri",
            "add `model_uri: s3://bucket/path` (or gs://, https://)",
        )
    allowed = SERVER_PROTOCOLS.get(impl, ())
    if spec.protocol not in allowed:
        r.error(
            node.at("server"),
            f"{impl} has no image for protocol `{spec.protocol}`",
            "protocol-server",
            f"use `protocol: {allowed[0]}` for this graph" if allowed else None,
        )
    if node.image and (why := safety.image_ref(node.image)):
        r.error(node.at("image"), why, "bad-image")


def _check_image(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    if node.image and (why := safety.image_ref(node.image)):
        r.error(node.at("image"), why, "bad-image")


def _check_builtin(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    impl = node.implementation
    if impl in UNIMPLEMENTED_BUILTINS:
        r.warning(
            node.at("builtin"),
            f"{impl} is not implemented by Seldon's Go executor: it runs every child "
            "and returns the first child's output",
            "unimplemented-builtin",
            "use a stock combiner (`stock: mean-combiner`) or router instead",
        )
    if impl == "RANDOM_ABTEST":
        for p in node.params:
            if p.name != "ratioA":
                r.error(
                    p.pos,
                    f"RANDOM_ABTEST takes only `ratioA`, not `{p.name}`",
                    "bad-param",
                    did_you_mean(p.name, ["ratioA"]),
                )
            elif (
                not isinstance(p.value, int | float)
                or isinstance(p.value, bool)
                or not (0 <= float(p.value) <= 1)
            ):
                r.error(p.pos, "`ratioA` must be a number between 0 and 1", "bad-param")


def _check_params(node: NodeSpec, r: Reporter) -> None:
    stock = CATALOG.get(node.stock or "") if node.source is Source.STOCK else None
    for p in node.params:
        if p.type not in PARAM_TYPES:
            r.error(
                p.pos,
                f"unknown parameter type `{p.type}`",
                "bad-param",
                f"use one of {', '.join(PARAM_TYPES)}",
            )
        elif (why := _param_parse(p.text, p.type)) is not None:
            r.error(p.pos, f"parameter `{p.name}`: {why}", "bad-param")
        if stock is not None and p.name not in stock.params:
            r.error(
                p.pos,
                f"stock component `{stock.name}` takes no parameter `{p.name}`",
                "bad-param",
                did_you_mean(p.name, stock.params)
                or (
                    f"it takes: {', '.join(stock.params)}"
                    if stock.params
                    else "it takes no parameters"
                ),
            )
        elif stock is not None and not _type_fits(p.type, stock.params[p.name]):
            r.error(
                p.pos,
                f"parameter `{p.name}` of `{stock.name}` is {stock.params[p.name]}, not {p.type}",
                "bad-param",
            )
    if stock is not None:
        given = {p.name for p in node.params}
        for name in stock.required:
            if name not in given:
                r.error(
                    node.at("stock"),
                    f"stock component `{stock.name}` needs parameter `{name}`",
                    "missing-param",
                    f"add `params: {{{name}: ...}}`",
                )


def _type_fits(given: str, wanted: str) -> bool:
    return (
        given == wanted
        or {given, wanted} <= {"FLOAT", "DOUBLE"}
        or (given == "INT" and wanted in ("FLOAT", "DOUBLE"))
    )


def _param_parse(text: str, kind: str) -> str | None:
    """Seldon's wrapper parses parameters at start-up; fail here instead of in the pod."""
    try:
        if kind == "INT":
            int(text)
        elif kind in ("FLOAT", "DOUBLE"):
            float(text)
        elif kind == "BOOL" and text.lower() not in (
            "y",
            "yes",
            "t",
            "true",
            "on",
            "1",
            "n",
            "no",
            "f",
            "false",
            "off",
            "0",
        ):
            raise ValueError(text)
    except ValueError:
        return f"`{text}` can't be parsed as a {kind}"
    return None


def _check_env(node: NodeSpec, r: Reporter) -> None:
    for name, _ in node.env:
        if why := safety.env_name(name):
            r.error(node.at(f"env.{name}"), why, "bad-env")
        elif safety.secret_looking(name):
            r.error(
                node.at(f"env.{name}"),
                f"`{name}` looks like a secret; secret values never go "
                "into graph files or manifests",
                "secret-in-env",
                f"use `secret_env: {{{name}: secret-name/key}}` and create the Secret "
                "with `seldon-graphs secret create`",
            )
    for item in node.secret_env:
        if why := safety.env_name(item.name):
            r.error(node.at(f"secret_env.{item.name}"), why, "bad-env")


def _check_resources(node: NodeSpec, r: Reporter) -> None:
    res = node.resources
    for key, value in (("cpu", res.cpu), ("memory", res.memory)):
        if value is not None and not _QUANTITY.match(value):
            r.error(
                node.at("resources"),
                f"`{value}` is not a Kubernetes quantity for {key}",
                "bad-resources",
                "e.g. cpu: 500m, memory: 1Gi",
            )


def _check_kind(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    if node.kind is None:
        return
    where = node.at("kind")
    if node.source is Source.SERVER and node.kind is not Role.MODEL:
        r.error(
            where,
            f"a prepackaged server can only be a model, not a {node.kind.lower()}",
            "bad-kind",
            "remove `kind` or wrap the model in a Python class",
        )
    elif (
        node.source is Source.BUILTIN
        and node.implementation == "RANDOM_ABTEST"
        and (node.kind is not Role.ROUTER)
    ):
        r.error(where, "random-abtest is a router", "bad-kind", "remove `kind`")
    elif node.source is Source.STOCK and node.stock in CATALOG:
        role = CATALOG[node.stock].role
        if node.kind.value != role:
            r.error(
                where,
                f"stock component `{node.stock}` is a {role.lower()}, not a {node.kind.lower()}",
                "bad-kind",
                "remove `kind`",
            )


def _check_wrapped_only_keys(node: NodeSpec, r: Reporter) -> None:
    wrapped = node.source in (Source.PYTHON, Source.STOCK)
    for key in ("requirements", "files"):
        if key in node.positions and not wrapped:
            r.error(
                node.at(key),
                f"`{key}` applies only to python and stock nodes",
                "unused-key",
                "remove it",
            )
    for i, req in enumerate(node.requirements):
        if safety.requirement_owned_by_runtime(req):
            r.error(
                node.at(f"requirements[{i}]"),
                "seldon-core is the runtime, not a requirement",
                "bad-requirement",
                "remove it; choose the version with `runtime: {seldon_core: ...}`",
            )
        elif why := safety.requirement(req):
            r.error(
                node.at(f"requirements[{i}]"),
                why,
                "bad-requirement",
                "one PEP 508 requirement per item, e.g. `numpy>=1.26,<2`",
            )
    if node.source is Source.BUILTIN:
        for key in ("model_uri", "image", "resources", "env", "secret_env", "replicas"):
            if key in node.positions:
                r.error(
                    node.at(key),
                    f"builtin nodes run inside the executor; `{key}` has no effect",
                    "unused-key",
                    "remove it",
                )
    uses_model = node.source is Source.SERVER or node.model_uri is not None
    if "secret" in node.positions and not uses_model:
        r.error(
            node.at("secret"),
            "`secret` holds storage credentials for `model_uri`, which this node does not have",
            "unused-key",
        )


def check_tree(spec: GraphSpec, tree: TreeNode, r: Reporter) -> None:
    """Checks that need the lowered roles: protocol limits, containers and derived names."""
    if not any(spec.node(t.name).source is not Source.BUILTIN for t in tree.walk()):
        r.error(
            spec.node(tree.name).pos,
            "nothing in this graph runs in a container: Seldon's "
            "operator places its executor beside the first graph container",
            "no-container",
            "add at least one python, stock, server or image node",
        )
    for t in tree.walk():
        node = spec.node(t.name)
        if spec.protocol != "seldon":
            if t.role in (Role.ROUTER, Role.COMBINER, Role.TRANSFORMER, Role.OUTPUT_TRANSFORMER):
                r.error(
                    node.pos,
                    f"`{t.name}` would be a {t.role.lower().replace('_', ' ')}, "
                    f"which Seldon's executor cannot run under protocol `{spec.protocol}`",
                    "protocol-role",
                    "use `protocol: seldon`, or a chain of models only",
                )
            elif node.source in (Source.PYTHON, Source.STOCK):
                r.error(
                    node.pos,
                    f"python node `{t.name}` is served by seldon-core's wrapper, "
                    f"which speaks only the seldon protocol, not `{spec.protocol}`",
                    "protocol-python",
                    f"use `protocol: seldon`, or an `image:` that serves {spec.protocol}",
                )
        if node.replicas is not None and spec.pods != "per-node":
            r.error(
                node.at("replicas"),
                f"node `{t.name}` sets `replicas`, but all nodes share one pod",
                "replicas-single-pod",
                "add `pods: per-node` at the top, or set `replicas` for the whole graph",
            )
    seen: set[str] = set()
    for what, name in service_names(spec, tree).items():
        if len(name) > 63 and name not in seen:
            seen.add(name)
            r.warning(
                spec.at("name"),
                f"the {what} would be `{name}` ({len(name)} "
                "characters); the operator replaces names over 63 characters with "
                "`seldon-<md5>`",
                "long-name",
                "shorten the graph, predictor or node name",
            )
