"""What Seldon accepts but breaks, or surprises, later (reference §2.1 "not checked", §6 2-3).

Errors: names Kubernetes will refuse, graphs deeper than the CRD keeps, nodes the executor
cannot tell apart or call, parameters the Python wrapper cannot parse, servers that have no
image for the protocol, an engine with nowhere to go. Warnings: what runs but not as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from ..catalog import (
    ENDPOINT_TYPES,
    LOGGER_MODES,
    NO_ENGINE,
    PARAM_TYPES,
    SEPARATE_ENGINE,
    SVC_NAME,
    UNIMPLEMENTED_BUILTINS,
    UNIT_METHODS,
    UNIT_TYPES,
    V2_ONLY,
    V2_PROTOCOLS,
    hashed,
)
from ..diagnostics import did_you_mean
from ..sdep import Predictor
from ..sdep.names import predictor_names
from .finding import Finding, JsonPath
from .walk import (
    Node,
    as_list,
    as_map,
    as_str,
    container_names,
    is_prepack,
    needs_container,
    opt_str,
    predictors,
    walk,
)

MAX_DEPTH = 11  # the CRD nests `children` 10 levels under the root; deeper ones are pruned
TYPES = UNIT_TYPES
METHODS = UNIT_METHODS
UNIMPLEMENTED = UNIMPLEMENTED_BUILTINS
V2 = V2_PROTOCOLS
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# What strtobool (the wrapper's BOOL parser) accepts.
_BOOL_WORDS = {"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"}


def check(sdep: dict[str, Any]) -> list[Finding]:
    """Every extra finding: names first, then per predictor its graph, node by node."""
    out: list[Finding] = []
    out += _names(sdep)
    spec = as_map(sdep.get("spec"))
    protocol = as_str(spec.get("protocol"))
    for i, p in enumerate(predictors(sdep)):
        if not isinstance(p.get("graph"), dict):
            out.append(_err(("spec", "predictors", i), "predictor has no graph", "missing-graph"))
        nodes = list(walk(i, p.get("graph")))
        containers = container_names(p)
        out += _derived_names(sdep, i, p)
        out += _depth(nodes)
        out += _duplicates(nodes)
        out += _containers(i, p, nodes)
        out += _downloads(i, p)
        out += _engine(spec, i, p, nodes, containers)
        for node in nodes:
            out += _node_fields(node)
            out += _parameters(node)
            out += _protocol(protocol, node, containers)
            out += _shape(node)
    return out


def _err(path: JsonPath, message: str, rule: str, help: str | None = None) -> Finding:
    return Finding(path, message, rule, "error", help)


def _warn(path: JsonPath, message: str, rule: str, help: str | None = None) -> Finding:
    return Finding(path, message, rule, "warning", help)


def _const(path: JsonPath) -> Callable[[], JsonPath]:
    return lambda: path


def seldon_hash_name(name: str) -> str:
    """The name the operator uses instead of one over 63 characters."""
    return hashed(name)


# --- names


def _dns(value: str, what: str, path: Callable[[], JsonPath]) -> Iterator[Finding]:
    """`path` is computed only for a finding: a deep node's path costs its depth."""
    if _DNS_LABEL.match(value) and len(value) <= 63:
        return
    fixed = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")[:63].strip("-")
    reason = "is longer than 63 characters" if len(value) > 63 else "is not a DNS-1123 label"
    yield _err(
        path(),
        f"{what} `{value}` {reason}: Kubernetes refuses it",
        "dns-1123-name",
        f"use lower-case letters, digits and '-', starting and ending with a letter or digit, "
        f"at most 63 characters (e.g. `{fixed or 'model'}`)",
    )


def _sdep_name(name: str) -> Iterator[Finding]:
    """A DNS-1123 subdomain for Kubernetes; no dots for the Services Seldon derives from it.

    Over 63 characters is fine: Seldon hashes the names it derives (see the length warnings).
    """
    if _DNS_SUBDOMAIN.match(name) and len(name) <= 253 and "." not in name:
        return
    fixed = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "mydeployment"
    reason = (
        "contains '.', which the Service names Seldon derives from it cannot hold"
        if _DNS_SUBDOMAIN.match(name) and len(name) <= 253
        else "is not a DNS-1123 subdomain: Kubernetes refuses it"
    )
    yield _err(
        ("metadata", "name"),
        f"SeldonDeployment name `{name}` {reason}",
        "dns-1123-name",
        f"use lower-case letters, digits and '-' (e.g. `{fixed}`)",
    )


def _names(sdep: dict[str, Any]) -> Iterator[Finding]:
    meta = as_map(sdep.get("metadata"))
    name = meta.get("name")
    if isinstance(name, str) and name:
        yield from _sdep_name(name)
    elif not as_str(meta.get("generateName")):
        yield _err(
            ("metadata",) if "metadata" in sdep else (),
            "metadata.name is missing: the API server requires a name",
            "missing-name",
            "add metadata.name",
        )
    for i, p in enumerate(predictors(sdep)):
        pname = p.get("name")
        if isinstance(pname, str):
            yield from _dns(pname, "predictor name", _const(("spec", "predictors", i, "name")))
        graph_names = {n.name for n in walk(i, p.get("graph")) if needs_container(n.pu)}
        for node in walk(i, p.get("graph")):
            if needs_container(node.pu) and isinstance(node.pu.get("name"), str):
                yield from _dns(node.name, "graph node name", partial(node.path, "name"))
        for j, k, c in _containers_of(p):
            cname = as_map(c).get("name")
            if isinstance(cname, str) and cname not in graph_names:  # nodes reported above
                path = ("spec", "predictors", i, "componentSpecs", j, "spec", "containers", k)
                yield from _dns(cname, "container name", _const((*path, "name")))


def _containers_of(p: dict[str, Any]) -> Iterator[tuple[int, int, Any]]:
    for j, cs in enumerate(as_list(p.get("componentSpecs"))):
        for k, c in enumerate(as_list(as_map(as_map(cs).get("spec")).get("containers"))):
            yield j, k, c


def _derived_names(sdep: dict[str, Any], i: int, p: dict[str, Any]) -> Iterator[Finding]:
    """Service and Deployment names the operator derives; over 63 they become `seldon-<md5>`."""
    sdep_name = as_str(as_map(sdep.get("metadata")).get("name"))
    overrides = {"predictor Service": SVC_NAME, "Deployment": "metadata.name"}
    for d in predictor_names(sdep_name, i, Predictor.from_dict(p)):
        yield from _long(d.kind, d.name, _const(d.path), overrides.get(d.kind))


def _long(
    what: str, name: str, path: Callable[[], JsonPath], override: str | None = None
) -> Iterator[Finding]:
    if len(name) <= 63:
        return
    hint = "shorten the SeldonDeployment, predictor or container names"
    if override:
        hint += f", or set {override}"
    yield _warn(
        path(),
        f"derived {what} name `{name}` has {len(name)} characters (> 63): the operator names it "
        f"`{seldon_hash_name(name)}` instead",
        f"{'deployment' if what == 'Deployment' else 'service'}-name-length",
        hint,
    )


# --- graph shape


def _depth(nodes: list[Node]) -> Iterator[Finding]:
    deepest = max((n.depth for n in nodes), default=0)
    if deepest <= MAX_DEPTH:
        return
    first = next(n for n in nodes if n.depth == MAX_DEPTH + 1)
    pruned = sum(1 for n in nodes if n.depth > MAX_DEPTH)
    parent = first.parent
    assert parent is not None  # depth > 1
    yield _err(
        parent.path("children"),
        f"the graph is {deepest} levels deep, but the CRD keeps only {MAX_DEPTH} (the root and "
        f"10 levels of children): the API server silently drops these children "
        f"({pruned} node{'s' if pruned != 1 else ''})",
        "graph-depth",
        "flatten the graph: chain fewer transformers, or merge steps into one node",
    )


def _duplicates(nodes: list[Node]) -> Iterator[Finding]:
    first: dict[str, Node] = {}
    for node in nodes:
        if not node.name:
            continue
        seen = first.setdefault(node.name, node)
        if seen is not node:
            yield _err(
                node.path("name"),
                f"node name `{node.name}` is used twice in this graph (first at "
                f"{seen.seldon_path()}): Seldon looks nodes up by name, so both resolve to the "
                "first one's container and endpoint",
                "duplicate-node-name",
                "give every node its own name (and container)",
            )


def _containers(i: int, p: dict[str, Any], nodes: list[Node]) -> Iterator[Finding]:
    """Pods Kubernetes refuses: a container name twice, or a container without an image
    (only a prepackaged server's container gets its image from the operator)."""
    servers = {n.name for n in nodes if is_prepack(n.pu)}
    for j, cs in enumerate(as_list(p.get("componentSpecs"))):
        seen: set[str] = set()
        for k, c in enumerate(as_list(as_map(as_map(cs).get("spec")).get("containers"))):
            name = as_str(as_map(c).get("name"))
            path = ("spec", "predictors", i, "componentSpecs", j, "spec", "containers", k)
            if not as_str(as_map(c).get("image")) and name not in servers:
                yield _err(
                    (*path, "name") if name else path,
                    f"container `{name}` has no image: Kubernetes refuses the pod",
                    "missing-image",
                    "add `image:`; only a prepackaged server's container may leave it out",
                )
            if name and name in seen:
                yield _err(
                    (*path, "name"),
                    f"container name `{name}` appears twice in one pod: Kubernetes refuses it",
                    "duplicate-container",
                    "rename or remove one of them",
                )
            seen.add(name)


def _downloads(i: int, p: dict[str, Any]) -> Iterator[Finding]:
    """Storage initializers (`args: [source, destination]`) of one pod that download into the
    same directory of the same volume: the later download overwrites the earlier one."""
    for j, cs in enumerate(as_list(p.get("componentSpecs"))):
        first: dict[tuple[str, str], str] = {}
        inits = as_list(as_map(as_map(cs).get("spec")).get("initContainers"))
        for k, c in enumerate(inits):
            c = as_map(c)
            target = _download_target(c)
            if target is None:
                continue
            name = as_str(c.get("name"))
            seen = first.setdefault(target, name)
            if seen != name:
                path = ("spec", "predictors", i, "componentSpecs", j, "spec", "initContainers", k)
                yield _err(
                    (*path, "args"),
                    f"init containers `{seen}` and `{name}` both download into "
                    f"{as_list(c.get('args'))[-1]} (volume `{target[0]}`): the second "
                    "overwrites the first's files (two MLflow models both hold MLmodel and "
                    "model.pkl)",
                    "shared-model-dir",
                    "give each model its own volume (or subPath), mounted at /mnt/models in its "
                    "own container",
                )


def _download_target(c: dict[str, Any]) -> tuple[str, str] | None:
    """(volume, directory inside it) an initializer writes to, from its last argument."""
    args = as_list(c.get("args"))
    if len(args) < 2 or not isinstance(args[-1], str) or not args[-1].startswith("/"):
        return None
    dest = args[-1].rstrip("/") or "/"
    for m in as_list(c.get("volumeMounts")):
        m = as_map(m)
        mount = as_str(m.get("mountPath")).rstrip("/") or "/"
        if dest == mount or dest.startswith(mount + "/"):
            inner = as_str(m.get("subPath")) + dest[len(mount) :]
            return as_str(m.get("name")), "/" + inner.strip("/")
    return None


def _engine(
    spec: dict[str, Any],
    i: int,
    p: dict[str, Any],
    nodes: list[Node],
    containers: dict[str, dict[str, Any]],
) -> Iterator[Finding]:
    """componentSpecs[0] must hold a graph node's container, or the operator cannot place the
    executor (`engine not separate and no pu with localhost service`)."""
    if as_str(as_map(spec.get("annotations")).get(SEPARATE_ENGINE)) == "true":
        return
    if as_str(as_map(p.get("annotations")).get(NO_ENGINE)) == "true" or not nodes:
        return
    if any(n.name not in containers and needs_container(n.pu) for n in nodes):
        # A server's container is appended to componentSpecs[0]; a node without its
        # container is already an error (webhook-container): one mistake, one error.
        return
    names = {n.name for n in nodes}
    specs = as_list(p.get("componentSpecs"))
    first = as_list(as_map(as_map(specs[0] if specs else {}).get("spec")).get("containers"))
    if any(as_str(as_map(c).get("name")) in names for c in first):
        return
    path: JsonPath = (
        ("spec", "predictors", i, "componentSpecs", 0)
        if specs
        else ("spec", "predictors", i, "graph")
    )
    yield _err(
        path,
        "componentSpecs[0] holds no container of a graph node: the operator fails with "
        "`engine not separate and no pu with localhost service - not clear where to inject engine`",
        "engine-placement",
        f"put the first graph node's container in componentSpecs[0], or set spec.annotations "
        f'"{SEPARATE_ENGINE}": "true"',
    )


def _node_fields(node: Node) -> Iterator[Finding]:
    pu = node.pu
    ptype = opt_str(pu.get("type"))
    if ptype is not None and ptype not in TYPES:
        yield _err(
            node.path("type"),
            f"unknown type `{ptype}`: Seldon accepts it, but the executor never calls the node",
            "unknown-type",
            did_you_mean(ptype.upper(), TYPES) or "one of " + ", ".join(TYPES),
        )
    for k, method in enumerate(as_list(pu.get("methods"))):
        if not isinstance(method, str) or method in METHODS:
            continue
        if method.upper() in ("PREDICT", "PREDICTION", "MODEL"):
            yield _warn(
                node.path("methods", k),
                f"there is no `{method}` method: the executor calls /predict only for "
                "type MODEL, so this node is never asked to predict",
                "methods-predict",
                "remove `methods` and set `type: MODEL`",
            )
        else:
            yield _err(
                node.path("methods", k),
                f"unknown method `{method}`: the executor ignores it",
                "unknown-method",
                did_you_mean(method.upper(), METHODS) or "one of " + ", ".join(METHODS),
            )
    etype = as_str(as_map(pu.get("endpoint")).get("type"))
    if etype and etype not in ENDPOINT_TYPES:
        yield _err(
            node.path("endpoint", "type"),
            f"unknown endpoint.type `{etype}`",
            "unknown-endpoint-type",
            "REST or GRPC; better, leave endpoint out and set spec.transport",
        )
    mode = as_str(as_map(pu.get("logger")).get("mode"))
    if mode and mode not in LOGGER_MODES:
        yield _err(
            node.path("logger", "mode"),
            f"unknown logger mode `{mode}`: nothing is logged",
            "logger-mode",
            did_you_mean(mode.lower(), LOGGER_MODES) or "all, request or response",
        )


def _parameters(node: Node) -> Iterator[Finding]:
    for k, param in enumerate(as_list(node.pu.get("parameters"))):
        param = as_map(param)
        ptype, value = param.get("type"), param.get("value")
        name = as_str(param.get("name"))
        if isinstance(ptype, str) and ptype not in PARAM_TYPES:
            yield _err(
                node.path("parameters", k, "type"),
                f"parameter type `{ptype}` is not one the Python wrapper knows: the node fails "
                "at start-up",
                "parameter-type",
                did_you_mean(ptype.upper(), PARAM_TYPES) or "one of " + ", ".join(PARAM_TYPES),
            )
        elif "value" in param and not isinstance(value, str):
            yield _err(
                node.path("parameters", k, "value"),
                f"parameter `{name}`: value must be a string (Seldon passes every value as text)",
                "parameter-value",
                f'quote it: "{_yaml_text(value)}"',
            )
        elif isinstance(ptype, str) and isinstance(value, str) and not _parses(ptype, value):
            yield _err(
                node.path("parameters", k, "value"),
                f"parameter `{name}`: `{value}` cannot be parsed as {ptype}: the node fails at "
                "start-up",
                "parameter-value",
                _param_help(ptype),
            )


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parses(ptype: str, value: str) -> bool:
    """As seldon_core.microservice.parse_parameters does it (int(), float(), strtobool)."""
    try:
        if ptype == "INT":
            int(value)
        elif ptype in ("FLOAT", "DOUBLE"):
            float(value)
    except ValueError:
        return False
    return ptype != "BOOL" or value.lower() in _BOOL_WORDS


def _param_help(ptype: str) -> str:
    return {
        "INT": 'a whole number, e.g. "3"',
        "FLOAT": 'a number, e.g. "0.5"',
        "DOUBLE": 'a number, e.g. "0.5"',
        "BOOL": '"true" or "false"',
    }.get(ptype, "")


def _protocol(
    protocol: str, node: Node, containers: dict[str, dict[str, Any]]
) -> Iterator[Finding]:
    """Servers with no image for the protocol; graph roles the protocol cannot call."""
    pu, impl = node.pu, as_str(node.pu.get("implementation"))
    proto = protocol or "seldon"
    has_image = bool(as_str(containers.get(node.name, {}).get("image")))
    if is_prepack(pu) and not has_image:
        if (
            impl in V2_ONLY
            and proto not in V2
            and not (proto == "tensorflow" and impl == "HUGGINGFACE_SERVER")
        ):
            yield _err(
                node.path("implementation"),
                f"{impl} has an image only for the v2 protocol; with protocol `{proto}` the "
                "operator sets no image and the pod never starts",
                "protocol-server",
                "set spec.protocol: v2",
            )
        elif impl == "TENSORFLOW_SERVER" and proto in V2:
            yield _err(
                node.path("implementation"),
                f"TENSORFLOW_SERVER has no image for protocol `{proto}`",
                "protocol-server",
                "use protocol seldon or tensorflow, or TRITON_SERVER for v2",
            )
    if proto not in ("tensorflow", *V2) or not as_list(pu.get("children")):
        return
    ptype = as_str(pu.get("type"))
    methods = {m for m in as_list(pu.get("methods")) if isinstance(m, str)}
    if ptype in ("ROUTER", "COMBINER") or methods & {"ROUTE", "AGGREGATE"}:
        role = ptype or "/".join(sorted(methods & {"ROUTE", "AGGREGATE"}))
        yield _err(
            node.path("type") if ptype else node.path("methods"),
            f"a {role} under protocol `{proto}`: the executor calls /route or /aggregate on "
            "the model server, which no v2 or TensorFlow server implements",
            "protocol-graph",
            "use protocol seldon for graphs with routers or combiners",
        )
    elif ptype in ("TRANSFORMER", "OUTPUT_TRANSFORMER"):
        yield _warn(
            node.path("type"),
            f"a {ptype} under protocol `{proto}`: the executor sends it a plain inference request "
            "(it must be a model server that takes the previous node's output as input)",
            "protocol-graph",
            "use protocol seldon for Seldon transformers, or drop `type` for a chain of models",
        )


def _shape(node: Node) -> Iterator[Finding]:
    """What the Go executor does with the graph, where it differs from what it looks like."""
    pu = node.pu
    impl, ptype = as_str(pu.get("implementation")), as_str(pu.get("type"))
    methods = {m for m in as_list(pu.get("methods")) if isinstance(m, str)}
    kids = len(as_list(pu.get("children")))
    if impl in UNIMPLEMENTED:
        yield _warn(
            node.path("implementation"),
            f"{impl} is not implemented by the Go executor (it was a Java-engine feature): the "
            "node only sends the request to all its children and returns the first child's "
            "output (or, with no children, its input)",
            "unimplemented-builtin",
            "use a COMBINER (or ROUTER) node with your own class",
        )
        return
    combiner = ptype == "COMBINER" or "AGGREGATE" in methods
    router = ptype == "ROUTER" or "ROUTE" in methods or impl == "RANDOM_ABTEST"
    if kids > 1 and not combiner and not router:
        yield _warn(
            node.path("children"),
            f"`{node.name}` ({ptype or impl or 'no type'}) has {kids} children but is not a "
            "combiner: all of them run, and only the first child's output is returned",
            "multi-child",
            "put a COMBINER over the children, or chain them",
        )
    if kids == 0 and (ptype in ("ROUTER", "COMBINER") or impl == "RANDOM_ABTEST"):
        what = ptype or impl
        yield _warn(
            node.path("type" if ptype else "implementation"),
            f"{what} `{node.name}` has no children: the executor passes the request through "
            f"without calling it",
            "pass-through",
            "give it children, or make it a MODEL or TRANSFORMER",
        )
    if impl == "RANDOM_ABTEST" and kids == 1:
        yield _err(
            node.path("children"),
            "RANDOM_ABTEST with one child: half of the requests route to child 1, which does "
            "not exist, and the executor fails",
            "random-abtest-children",
            "give it exactly two children",
        )
    elif impl == "RANDOM_ABTEST" and kids > 2:
        yield _warn(
            node.path("children"),
            f"RANDOM_ABTEST chooses between the first two children only; the other {kids - 2} "
            "never receive a request",
            "random-abtest-children",
            "give it exactly two children",
        )
