"""Stage 2: checks of each node and of the graph's settings (the flow is checked in dataflow)."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import assert_never

from wrappers.stock import CATALOG, StockComponent

from . import safety
from .catalog import (
    ENGINE_CONTAINER,
    INITIALIZER_SUFFIX,
    PARAM_TYPES,
    PROTOCOLS,
    SERVER_PROTOCOLS,
    TFSERVING_CONTAINER,
    UNIMPLEMENTED_BUILTINS,
)
from .compile import deployment
from .diagnostics import Reporter, did_you_mean
from .schema_check import graph_schema
from .sdep.names import DerivedName, derived_names
from .spec import (
    SOURCE_KEYS,
    BuiltinSource,
    GraphSpec,
    ImageSource,
    NodeSpec,
    NoSource,
    PythonRef,
    PythonSource,
    Role,
    ServerSource,
    StockSource,
)
from .tree import TreeNode

_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T|E|P|Ei|Pi)?$")
_BUILTIN_INSTEAD = {
    "AVERAGE_COMBINER": "to average the children's outputs, use `stock: mean-combiner`",
    "SIMPLE_ROUTER": "to choose a branch, use `builtin: random-abtest` or a stock router",
    "SIMPLE_MODEL": "for a node that passes its input on, use `stock: identity`",
}
_IMAGE_HELP = "an image is `registry/name:tag` in lower case, e.g. `ghcr.io/team/model:1.0`"


def check_spec(spec: GraphSpec, r: Reporter) -> set[str]:
    """Report every problem of the settings and nodes; returns the nodes whose role cannot
    be known (what they run is misspelt or missing), so lowering does not guess at them."""
    _check_graph_settings(spec, r)
    _check_metadata(spec, r)
    return {node.name for node in spec.nodes if not _check_node(spec, node, r)}


def _check_graph_settings(spec: GraphSpec, r: Reporter) -> None:
    if spec.name and (why := safety.dns_label(spec.name)):
        r.error(spec.at("name"), why, "bad-name", _dns_help(spec.name))
    if spec.namespace and (why := safety.dns_label(spec.namespace)):
        r.error(spec.at("namespace"), why, "bad-name", _dns_help(spec.namespace))
    if spec.predictor and (why := safety.dns_label(spec.predictor)):
        r.error(spec.at("predictor"), why, "bad-name", _dns_help(spec.predictor))
    if spec.image_pull_secret and (why := safety.dns_subdomain(spec.image_pull_secret)):
        r.error(
            spec.at("image_pull_secret"),
            f"`image_pull_secret`: {why}",
            "bad-name",
            _dns_help(spec.image_pull_secret),
        )
    if spec.registry and (why := safety.image_ref(spec.registry)):
        r.error(spec.at("registry"), why, "bad-image", _IMAGE_HELP)
    if why := safety.version(spec.runtime.seldon_core):
        r.error(
            spec.at("runtime.seldon_core"),
            f"runtime.seldon_core: {why}",
            "bad-runtime",
            "a release number such as `1.17.1`",
        )
    if why := safety.image_ref(spec.runtime.base_image):
        r.error(
            spec.at("runtime.base_image"), f"runtime.base_image: {why}", "bad-image", _IMAGE_HELP
        )
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


def _check_metadata(spec: GraphSpec, r: Reporter) -> None:
    """Labels and annotations as the API server validates them, each at its key or value."""
    for key, value in spec.labels:
        if why := safety.qualified_name(key):
            r.error(spec.key_at(f"labels.{key}"), f"label key {why}", "bad-label", _KEY_HELP)
        if why := safety.label_value(value):
            r.error(
                spec.at(f"labels.{key}"),
                why,
                "bad-label",
                "at most 63 letters, digits, `-`, `_`, `.`; put free text in `annotations`",
            )
    for key, _ in spec.annotations:
        if why := safety.qualified_name(key, fold_case=True):
            r.error(
                spec.key_at(f"annotations.{key}"),
                f"annotation key {why}",
                "bad-annotation",
                _KEY_HELP,
            )
    if why := safety.annotations_size(spec.annotations):
        r.error(
            spec.key_at("annotations"),
            why,
            "bad-annotation",
            "keep large data in a ConfigMap or in the model, not in annotations",
        )


_KEY_HELP = (
    "a key is `name` or `prefix.example.com/name`; "
    "the name is at most 63 letters, digits, `-`, `_`, `.`"
)


def _dns_help(name: str) -> str:
    fixed = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-")
    return f"try `{fixed}`" if fixed and fixed != name else "use lower-case letters, digits, `-`"


def _check_node(spec: GraphSpec, node: NodeSpec, r: Reporter) -> bool:
    """Every check of one node; False when what it runs (so its role) is unknown."""
    if why := safety.dns_label(node.name):
        r.error(node.pos, f"node name {why}", "bad-name", _dns_help(node.name))
    elif node.name == ENGINE_CONTAINER:
        r.error(
            node.pos,
            f"`{ENGINE_CONTAINER}` is the name of the executor container Seldon's operator "
            "adds to the pod",
            "reserved-name",
            "rename the node",
        )
    known = _check_source(node, r)
    match node.source:
        case PythonSource(ref=ref):
            _check_python(spec, node, ref, r)
        case StockSource(name=name):
            _check_stock(node, name, r)
        case ServerSource(implementation=impl):
            _check_server(spec, node, impl, r)
        case ImageSource():
            _check_image(node, r)
        case BuiltinSource(implementation=impl):
            _check_builtin(node, impl, r)
        case NoSource():
            pass
        case _:
            assert_never(node.source)
    _check_params(node, r)
    _check_env(node, r)
    _check_references(node, r)
    _check_resources(node, r)
    _check_kind(spec, node, r)
    _check_wrapped_only_keys(node, r)
    if node.local_uri is not None:
        _check_path(spec, node, "local_uri", node.local_uri, r, must_exist=False)
    # An unknown `pods` value is already reported: nothing follows from it.
    if node.replicas is not None and spec.pods == "single":
        r.error(
            node.at("replicas"),
            f"node `{node.name}` sets `replicas`, but all nodes share one pod",
            "replicas-single-pod",
            "add `pods: per-node` at the top, or set `replicas` for the whole graph",
        )
    return known and _role_known(node)


def _check_source(node: NodeSpec, r: Reporter) -> bool:
    """Exactly one of the source keys; a misspelt one is already an unknown key."""
    present = [k for k in SOURCE_KEYS if k in node.positions]
    if len(present) > 1 and present != ["server", "image"]:
        second = present[1]
        r.error(
            node.at(second),
            f"node `{node.name}` has both `{present[0]}` and `{second}`",
            "many-sources",
            "a node runs exactly one thing; split it into two nodes",
        )
        return False
    if present:
        return True
    if not any(did_you_mean(k, SOURCE_KEYS) for k in _unknown_keys(node)):
        r.error(
            node.pos,
            f"node `{node.name}` does not say what it runs",
            "no-source",
            "add one of `python: file.py:Class`, `stock:`, `server:`, `image:` or `builtin:`",
        )
    return False


def _unknown_keys(node: NodeSpec) -> list[str]:
    known = graph_schema()["properties"]["nodes"]["additionalProperties"]["properties"]
    return [k for k in node.keys if "." not in k and k not in known]


def _role_known(node: NodeSpec) -> bool:
    """False when a misspelt stock, server, builtin or kind leaves the node's role open."""
    if "kind" in node.positions and node.kind is None:
        return False
    match node.source:
        case StockSource(component=component):
            return component is not None
        case ServerSource(implementation=impl) | BuiltinSource(implementation=impl):
            return impl is not None
        case PythonSource() | ImageSource() | NoSource():
            return True
        case _:
            assert_never(node.source)


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
        r.error(
            node.at(key),
            f"`{rel}` does not exist in the project directory",
            "missing-file",
            "paths are relative to the project directory: the nearest folder above the "
            "graph file with a pyproject.toml, .git or seldon-graphs.toml",
        )
        return None
    return path


def _check_python(spec: GraphSpec, node: NodeSpec, ref: PythonRef | None, r: Reporter) -> None:
    if ref is None:
        return
    if why := safety.python_identifier(ref.class_name):
        r.error(ref.pos, why, "bad-class", "name the class as Python does, e.g. `:MyModel`")
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
        r.error(
            ref.pos,
            f"`{ref.path}` is not a Python file",
            "missing-file",
            "`python` takes `path/to/module.py:ClassName`",
        )
        return
    try:
        tree = parse_module(path)
    except (SyntaxError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        r.error(
            ref.pos,
            f"cannot parse `{ref.path}`" + (f" (line {line})" if line else "") + f": {exc}",
            "bad-module",
            "the file is read, never imported: it must be UTF-8 Python that compiles",
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


def parse_module(path: Path) -> ast.Module:
    """A user's module, read and parsed once per version of the file: both this module's
    checks and role_check read it on every `validate`."""
    st = path.stat()
    return _parsed(path.resolve(), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _parsed(path: Path, mtime_ns: int, size: int) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _top_level_names(tree: ast.Module) -> Iterator[str]:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef | ast.FunctionDef):
            yield stmt.name
        elif isinstance(stmt, ast.Assign):
            yield from (t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.ImportFrom | ast.Import):
            yield from ((a.asname or a.name).split(".")[0] for a in stmt.names)


def _check_stock(node: NodeSpec, name: str | None, r: Reporter) -> None:
    if name is None or name in CATALOG:
        return
    r.error(
        node.at("stock"),
        f"there is no stock component `{name}`",
        "unknown-stock",
        did_you_mean(name, CATALOG) or f"stock components: {', '.join(CATALOG)}",
    )


def _check_server(spec: GraphSpec, node: NodeSpec, impl: str | None, r: Reporter) -> None:
    if impl is None:
        return
    # A misspelt `model_uri` is already reported as an unknown key: one mistake, one error.
    misspelt = [k for k in _unknown_keys(node) if did_you_mean(k, ["model_uri"])]
    if node.model_uri is None and impl != "HUGGINGFACE_SERVER" and not misspelt:
        r.error(
            node.at("server"),
            f"server node `{node.name}` has no `model_uri` "
            "(Seldon: Predictive unit modelUri required when using standalone servers)",
            "missing-model-uri",
            "add `model_uri: s3://bucket/path` (or gs://, https://)",
        )
    allowed = SERVER_PROTOCOLS.get(impl, ())
    # A misspelt protocol is already a bad value: no second error about it here.
    if spec.protocol in PROTOCOLS and spec.protocol not in allowed:
        r.error(
            node.at("server"),
            f"{impl} has no image for protocol `{spec.protocol}`",
            "protocol-server",
            f"use `protocol: {allowed[0]}` for this graph" if allowed else None,
        )
    _check_image(node, r)


def _check_image(node: NodeSpec, r: Reporter) -> None:
    if node.image and (why := safety.image_ref(node.image)):
        r.error(node.at("image"), why, "bad-image", _IMAGE_HELP)


def _check_builtin(node: NodeSpec, impl: str | None, r: Reporter) -> None:
    if impl in UNIMPLEMENTED_BUILTINS:
        r.warning(
            node.at("builtin"),
            f"{impl} is not implemented by Seldon's Go executor: it sends the request to "
            "every child and returns the first child's output (with no children, the request)",
            "unimplemented-builtin",
            _BUILTIN_INSTEAD[impl],
        )
    if impl == "RANDOM_ABTEST":
        for p in node.params:
            if p.name != "ratioA":
                r.error(
                    node.key_at(f"params.{p.name}"),
                    f"RANDOM_ABTEST takes only `ratioA`, not `{p.name}`",
                    "bad-param",
                    did_you_mean(p.name, ["ratioA"]) or "remove it",
                )
            elif (
                not isinstance(p.value, int | float)
                or isinstance(p.value, bool)
                or not (0 <= float(p.value) <= 1)
            ):
                r.error(
                    p.pos,
                    "`ratioA` must be a number between 0 and 1",
                    "bad-param",
                    "the share of requests sent to the first branch, e.g. `ratioA: 0.5`",
                )


def _check_params(node: NodeSpec, r: Reporter) -> None:
    stock = node.stock_component
    for p in node.params:
        if p.type not in PARAM_TYPES:
            r.error(
                p.pos,
                f"unknown parameter type `{p.type}`",
                "bad-param",
                f"use one of {', '.join(PARAM_TYPES)}",
            )
        elif (why := _param_parse(p.text, p.type)) is not None:
            r.error(
                p.pos,
                f"parameter `{p.name}`: {why}",
                "bad-param",
                f"write a value of type {p.type}, or change `type:`",
            )
        if stock is not None and p.name not in stock.params:
            r.error(
                node.key_at(f"params.{p.name}"),
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
                f"give a {stock.params[p.name]} value (docs/stock.md lists each parameter)",
            )
    for p in node.params:
        _check_secret_name(node, "params", p.name, r)
    if stock is not None:
        # A parameter written with a value of the wrong shape was reported already.
        written = {key.partition(".")[2] for key in node.positions if key.startswith("params.")}
        given = {p.name for p in node.params} | written
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
            r.error(node.key_at(f"env.{name}"), why, "bad-env", _ENV_HELP)
        else:
            _check_secret_name(node, "env", name, r)
    for item in node.secret_env:
        if why := safety.env_name(item.name):
            r.error(node.key_at(f"secret_env.{item.name}"), why, "bad-env", _ENV_HELP)


_ENV_HELP = "letters, digits and `_`, not starting with a digit, e.g. `LOG_LEVEL`"


def _check_secret_name(node: NodeSpec, key: str, name: str, r: Reporter) -> None:
    """A plain value under a name that says it is a secret ends up in the manifest."""
    certainty = safety.secret_name(name)
    if certainty is None:
        return
    var = name if key == "env" else "_".join(safety.name_words(name)).upper()
    what = "environment variables" if key == "env" else "parameters"
    add = r.error if certainty == "certain" else r.warning
    add(
        node.key_at(f"{key}.{name}"),
        f"`{name}` {'looks like' if certainty == 'certain' else 'may be'} a secret; "
        f"{what} are written into the manifest in plain text",
        "secret-in-env" if key == "env" else "secret-in-params",
        f"use `secret_env: {{{var}: secret-name/key}}`"
        + (" and read it from the environment" if key != "env" else "")
        + "; create the Secret with `seldon-graphs secret create`",
    )


def _check_references(node: NodeSpec, r: Reporter) -> None:
    """Names of Kubernetes objects the pod refers to (`secret_env` is checked by the schema)."""
    for key, name in (("secret", node.secret), ("service_account", node.service_account)):
        if name is not None and (why := safety.dns_subdomain(name)):
            r.error(node.at(key), f"`{key}`: {why}", "bad-name", _dns_help(name))


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
    kind = node.kind
    if kind is None:
        return
    where = node.at("kind")
    match node.source:
        case ServerSource() if kind is not Role.MODEL:
            r.error(
                where,
                f"a prepackaged server can only be a model, not a {kind.lower()}",
                "bad-kind",
                "remove `kind` or wrap the model in a Python class",
            )
        case BuiltinSource():
            r.error(
                where,
                "builtin nodes run inside Seldon's executor with no type of their own "
                "(UNKNOWN_TYPE); `kind` cannot change that",
                "bad-kind",
                "remove `kind`",
            )
        case StockSource(component=StockComponent(name=stock, role=role)) if kind.value != role:
            r.error(
                where,
                f"stock component `{stock}` is a {role.lower()}, not a {kind.lower()}",
                "bad-kind",
                "remove `kind`",
            )
        case PythonSource() | StockSource() | ServerSource() | ImageSource() | NoSource():
            pass
        case _:
            assert_never(node.source)


_IGNORED_BY_BUILTINS = (
    "model_uri",
    "image",
    "resources",
    "env",
    "secret_env",
    "replicas",
    "hpa",
    "pdb",
)


def _check_wrapped_only_keys(node: NodeSpec, r: Reporter) -> None:
    ignored: tuple[str, ...] = ()
    uses_model = node.model_uri is not None
    match node.source:
        case NoSource():  # what the keys belong to is not known
            return
        case BuiltinSource():
            ignored = _IGNORED_BY_BUILTINS
        case ServerSource():
            uses_model = True
        case PythonSource() | StockSource() | ImageSource():
            pass
        case _:
            assert_never(node.source)
    for key in ("requirements", "files"):
        if key in node.positions and not node.wrapped:
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
    for key in ignored:
        if key in node.positions:
            r.error(
                node.at(key),
                f"builtin nodes run inside the executor; `{key}` has no effect",
                "unused-key",
                "remove it",
            )
    if "secret" in node.positions and not uses_model:
        r.error(
            node.at("secret"),
            "`secret` holds storage credentials for `model_uri`, which this node does not have",
            "unused-key",
            "remove it, or add the `model_uri` it is for",
        )


def check_tree(spec: GraphSpec, tree: TreeNode, r: Reporter) -> None:
    """Checks that need the lowered roles: protocol limits, containers and derived names."""
    if not any(spec.node(t.name).has_container for t in tree.walk()):
        r.error(
            spec.node(tree.name).pos,
            "nothing in this graph runs in a container: Seldon's "
            "operator places its executor beside the first graph container",
            "no-container",
            "add at least one python, stock, server or image node",
        )
    for t in tree.walk():
        node = spec.node(t.name)
        # An unknown protocol is already reported: nothing follows from it.
        if spec.protocol in PROTOCOLS and spec.protocol != "seldon":
            _check_protocol_role(spec, node, t, r)
    if spec.pods == "single":
        _check_pod_containers(spec, [spec.node(t.name) for t in tree.walk()], r)
    _check_derived_names(spec, tree, r)


def _check_protocol_role(spec: GraphSpec, node: NodeSpec, t: TreeNode, r: Reporter) -> None:
    if t.role in (Role.ROUTER, Role.COMBINER, Role.TRANSFORMER, Role.OUTPUT_TRANSFORMER):
        r.error(
            node.pos,
            f"`{t.name}` would be a {t.role.lower().replace('_', ' ')}, "
            f"which Seldon's executor cannot run under protocol `{spec.protocol}`",
            "protocol-role",
            "use `protocol: seldon`, or a chain of models only",
        )
    elif node.wrapped:
        r.error(
            node.pos,
            f"python node `{t.name}` is served by seldon-core's wrapper, "
            f"which speaks only the seldon protocol, not `{spec.protocol}`",
            "protocol-python",
            f"use `protocol: seldon`, or an `image:` that serves {spec.protocol}",
        )


def _check_pod_containers(spec: GraphSpec, nodes: list[NodeSpec], r: Reporter) -> None:
    """One pod holds every node: the containers the operator adds must not collide."""
    tf_servers = [
        n for n in nodes if n.implementation == "TENSORFLOW_SERVER" and spec.protocol == "seldon"
    ]
    for extra in tf_servers[1:]:
        r.error(
            extra.at("server"),
            f"`{extra.name}` is a second TensorFlow server in the graph's one pod: under the "
            f"seldon protocol the operator adds one `{TFSERVING_CONTAINER}` sidecar per pod, "
            f"which serves only `{tf_servers[0].name}`'s model",
            "tfserving-shared",
            "add `pods: per-node` so each TensorFlow server gets its own pod and sidecar",
        )
    added = {
        f"{n.name}{INITIALIZER_SUFFIX}": f"the model download of `{n.name}`"
        for n in nodes
        if n.model_uri
    }
    if tf_servers:
        added[TFSERVING_CONTAINER] = f"the TensorFlow Serving sidecar of `{tf_servers[0].name}`"
    for n in nodes:
        if n.name in added:
            r.error(
                n.pos,
                f"the operator adds a container `{n.name}` for {added[n.name]} to this pod",
                "reserved-name",
                "rename the node",
            )


def _check_derived_names(spec: GraphSpec, tree: TreeNode, r: Reporter) -> None:
    """Names the operator derives from ours; those built from a name already reported
    as invalid are left out (one mistake, one error)."""
    parts = [spec.name, spec.predictor, *(n.name for n in spec.nodes)]
    if any(safety.dns_label(part) for part in parts):
        return
    seen: set[str] = set()
    for derived in derived_names(deployment(spec, tree, {}, "")):
        if derived.too_long and derived.name not in seen:
            seen.add(derived.name)
            r.warning(
                spec.at("name"),
                f"the {_what(spec, derived)} would be `{derived.name}` ({len(derived.name)} "
                "characters); the operator replaces names over 63 characters with "
                "`seldon-<md5>`",
                "long-name",
                "shorten the graph, predictor or node name",
            )


def _what(spec: GraphSpec, derived: DerivedName) -> str:
    if derived.kind == "Service":
        return f"Service of `{derived.owner}`"
    if derived.kind == "Deployment" and spec.pods == "per-node":
        return f"Deployment of `{derived.owner}`"
    return derived.kind
