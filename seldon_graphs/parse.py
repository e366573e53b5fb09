"""Stage 1: graph file text -> GraphSpec (typed, positioned). Structural problems are reported,
and whatever is well-formed is still built so later checks can report more in the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import safety
from .diagnostics import Reporter, Secret
from .flowparse import ParsedFlow, parse_chain
from .scalarpos import Locator, value_spots
from .schema_check import check_structure
from .spec import (
    BUILTINS,
    SERVERS,
    SOURCE_KEYS,
    BuiltinSource,
    Edge,
    GraphSpec,
    Hpa,
    ImageSource,
    NodeSource,
    NodeSpec,
    NoSource,
    Param,
    Pdb,
    Pos,
    PythonRef,
    PythonSource,
    Resources,
    Role,
    Runtime,
    SecretEnv,
    ServerSource,
    StockSource,
)
from .yamlpos import LMap, Located, LScalar, LSeq, load_document

ROOT_MARKERS = ("pyproject.toml", ".git", "seldon-graphs.toml")
_KINDS = {r.value for r in Role} - {Role.UNKNOWN_TYPE.value}


def find_root(graph_file: Path) -> Path:
    """The project directory: the nearest ancestor with a project marker, else the file's dir."""
    start = graph_file.resolve().parent
    for folder in (start, *start.parents):
        if any((folder / m).exists() for m in ROOT_MARKERS):
            return folder
    return start


def _str(node: Located | None) -> str | None:
    if isinstance(node, LScalar) and isinstance(node.value, str):
        return node.value
    return None


def _int(node: Located | None) -> int | None:
    if (
        isinstance(node, LScalar)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    return None


def _str_pairs(node: Located | None) -> tuple[tuple[str, str], ...]:
    if not isinstance(node, LMap):
        return ()
    return tuple(
        (str(k.value), _scalar_text(v.value))
        for k, v in node.items()
        if isinstance(v, LScalar) and v.value is not None
    )


_YAML_TYPES = {bool: "a boolean", int: "a number", float: "a number", type(None): "null"}


def _name_key(key: LScalar, reporter: Reporter) -> LScalar:
    """Node names are strings; `on:`, `1:` or `null:` are read by YAML as something else."""
    if isinstance(key.value, str):
        return key
    what = _YAML_TYPES.get(type(key.value), f"a {type(key.value).__name__}")
    reporter.error(
        key.pos,
        f"YAML reads the node name `{key.text}` as {what}",
        "bad-name",
        f'quote it: `"{key.text}":`',
    )
    return LScalar(key.pos, key.text, key.text, key.text_col)


def _str_list(node: Located | None) -> tuple[str, ...]:
    items = node.items if isinstance(node, LSeq) else []
    return tuple(s for s in map(_str, items) if s is not None)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _param(name: LScalar, node: Located) -> Param | None:
    value: Any
    declared: str | None = None
    if isinstance(node, LMap):
        inner = node.get("value")
        if not isinstance(inner, LScalar):
            return None
        value = inner.value
        declared = _str(node.get("type"))
    elif isinstance(node, LScalar):
        value = node.value
    else:
        return None
    if value is None or not isinstance(value, str | int | float | bool):
        return None
    if declared is None:
        if isinstance(value, bool):
            declared = "BOOL"
        elif isinstance(value, int):
            declared = "INT"
        elif isinstance(value, float):
            declared = "FLOAT"
        else:
            declared = "STRING"
    return Param(str(name.value), value, declared, node.pos)


def _node(name: LScalar, body: Located) -> NodeSpec | None:
    if not isinstance(body, LMap) or not isinstance(name.value, str):
        return None
    positions = _positions(body)
    kind = _str(body.get("kind"))
    params_node = body.get("params")
    params = tuple(
        p
        for k, v in (params_node.items() if isinstance(params_node, LMap) else ())
        if (p := _param(k, v)) is not None
    )
    reqs = body.get("requirements")
    res = body.get("resources")
    logger = body.get("logger")
    logger_mode = _str(logger.get("mode")) if isinstance(logger, LMap) else None
    secret_env = tuple(
        SecretEnv(var, *value.split("/", 1))
        for var, value in _str_pairs(body.get("secret_env"))
        if "/" in value
    )
    cpu = res.get("cpu") if isinstance(res, LMap) else None
    return NodeSpec(
        name=name.value,
        pos=name.pos,
        source=_source(body),
        kind=Role(kind.upper()) if kind and kind.upper() in _KINDS else None,
        params=params,
        model_uri=_str(body.get("model_uri")),
        local_uri=_str(body.get("local_uri")),
        secret=_str(body.get("secret")),
        service_account=_str(body.get("service_account")),
        requirements=_str_list(reqs),
        requirements_file=_str(reqs),
        files=_str_list(body.get("files")),
        env=_str_pairs(body.get("env")),
        secret_env=secret_env,
        resources=Resources(
            cpu=_scalar_text(cpu.value) if isinstance(cpu, LScalar) else None,
            memory=_str(res.get("memory")) if isinstance(res, LMap) else None,
            gpu=_int(res.get("gpu")) if isinstance(res, LMap) else None,
        ),
        replicas=_int(body.get("replicas")),
        hpa=_hpa(body.get("hpa")),
        pdb=_pdb(body.get("pdb")),
        logger=(logger_mode, _str(logger.get("url")))
        if logger_mode and isinstance(logger, LMap)
        else None,
        positions=positions,
        keys=_key_positions(body),
    )


def _source(body: LMap) -> NodeSource:
    """What the node runs: the first source key written (several are reported by check)."""
    present = [k for k in SOURCE_KEYS if body.get(k) is not None]
    match present[0] if present else None:
        case "python":
            return PythonSource(_python_ref(body.get("python")))
        case "stock":
            return StockSource(_str(body.get("stock")))
        case "server":
            return ServerSource(
                SERVERS.get(_str(body.get("server")) or ""),
                _str(body.get("image")),
                _str(body.get("server_image")),
            )
        case "image":
            return ImageSource(_str(body.get("image")))
        case "builtin":
            return BuiltinSource(BUILTINS.get(_str(body.get("builtin")) or ""))
        case _:
            return NoSource()


def _python_ref(node: Located | None) -> PythonRef | None:
    ref = _str(node)
    if node is None or not ref or ":" not in ref:
        return None
    path, cls = ref.rsplit(":", 1)
    return PythonRef(path, cls, node.pos)


def _hpa(node: Located | None) -> Hpa | None:
    if not isinstance(node, LMap) or (most := _int(node.get("max"))) is None:
        return None  # the schema check says what is missing
    fewest = _int(node.get("min"))
    return Hpa(
        most, 1 if fewest is None else fewest, _int(node.get("cpu")), _int(node.get("memory"))
    )


def _pdb(node: Located | None) -> Pdb | None:
    if not isinstance(node, LMap):
        return None
    return Pdb(_count(node.get("min_available")), _count(node.get("max_unavailable")))


def _count(node: Located | None) -> int | str | None:
    """A pod count or a percentage (`"50%"`), as a PodDisruptionBudget takes them."""
    return _int(node) if _int(node) is not None else _str(node)


def _flow(root: LMap, reporter: Reporter) -> ParsedFlow:
    out = ParsedFlow()
    flow = root.get("flow")
    chains = flow.items if isinstance(flow, LSeq) else [flow] if flow is not None else []
    for chain in chains:
        if isinstance(chain, LScalar) and isinstance(chain.value, str):
            spots = value_spots(chain.value, chain.written) if chain.written else None
            parse_chain(chain.value, Locator(chain.pos, spots), out, reporter)
    return out


def load_nonempty(text: str, reporter: Reporter, what: str, needs: str) -> Located | None:
    """The file's one document; an empty file is an `empty` error, unless its YAML already
    failed (graph files and deployment files alike)."""
    doc = load_document(text, reporter)
    if doc is None and not reporter.has_errors:
        reporter.error(Pos(1, 1, 2), f"the {what} file is empty", "empty", needs)
    return doc


def parse(
    text: str, file: Path, display: str, root: Path | None = None, reporter: Reporter | None = None
) -> tuple[GraphSpec | None, Reporter]:
    """Parse graph text. Returns (spec or None if unusable, reporter with every problem)."""
    reporter = reporter or Reporter(display)
    doc = load_nonempty(text, reporter, "graph", "a graph needs at least `name:` and `nodes:`")
    if doc is None:
        return None, reporter
    conceal_secrets(doc, reporter)
    check_structure(doc, reporter)
    return parse_document(doc, file, root, reporter), reporter


def parse_document(
    doc: Located, file: Path, root: Path | None, reporter: Reporter
) -> GraphSpec | None:
    """A graph's already-loaded mapping -> GraphSpec: a whole graph file, or a graph written
    inline in a deployment file (whose positions are then the deployment file's)."""
    if not isinstance(doc, LMap):
        return None
    nodes_map = doc.get("nodes")
    pairs = [
        (_name_key(k, reporter), v)
        for k, v in (nodes_map.items() if isinstance(nodes_map, LMap) else [])
    ]
    nodes = tuple(n for n in (_node(k, v) for k, v in pairs) if n is not None)
    flow = _flow(doc, reporter)
    edges = tuple(
        Edge(e.src.name, e.dst.name, e.arrow, i) for i, e in enumerate(flow.written_edges())
    )
    runtime = doc.get("runtime")
    defaults = Runtime()
    return GraphSpec(
        file=file,
        root=root or find_root(file),
        name=_str(doc.get("name")) or "",
        namespace=_str(doc.get("namespace")),
        nodes=nodes,
        edges=edges,
        flow_groups=tuple(flow.groups),
        refs=tuple((r.name, r.pos) for r in flow.refs),
        protocol=_str(doc.get("protocol")) or "seldon",
        transport=_str(doc.get("transport")) or "rest",
        pods=_str(doc.get("pods")) or "single",
        predictor=_str(doc.get("predictor")) or "default",
        replicas=_int(doc.get("replicas")),
        annotations=_str_pairs(doc.get("annotations")),
        labels=_str_pairs(doc.get("labels")),
        registry=_str(doc.get("registry")),
        image_pull_secret=_str(doc.get("image_pull_secret")),
        rest_timeout_ms=_int(doc.get("rest_timeout_ms")),
        runtime=Runtime(
            seldon_core=_str(runtime.get("seldon_core")) or defaults.seldon_core
            if isinstance(runtime, LMap)
            else defaults.seldon_core,
            base_image=_str(runtime.get("base_image")) or defaults.base_image
            if isinstance(runtime, LMap)
            else defaults.base_image,
        ),
        positions=_positions(doc),
        keys=_key_positions(doc),
    )


def _key_positions(body: LMap) -> dict[str, Pos]:
    """Positions of a mapping's keys, and of the keys of the mappings nested in it."""
    keys = {str(k.value): k.pos for k, _ in body.items()}
    for k, v in body.items():
        if isinstance(v, LMap):
            keys.update({f"{k.value}.{kk.value}": kk.pos for kk, _ in v.items()})
    return keys


# Node keys that name a Secret rather than hold one.
_SECRET_REFERENCES = ("secret", "secret_env")


def conceal_secrets(root: Located, reporter: Reporter) -> None:
    """Values under secret-looking keys (`password:`, `env: {API_TOKEN: ...}`) are kept out
    of every diagnostic, whatever the diagnostic is about."""
    seen: set[int] = set()  # aliases share subtrees: visit each once
    stack: list[tuple[Located, int | None, int]] = [(root, None, 0)]
    while stack:
        node, indent, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, LScalar) and indent is not None:
            single = node.pos.end_col > node.pos.col + 1
            reporter.conceal(Secret(node.pos, indent, node.text, single))
        elif isinstance(node, LSeq):
            stack.extend((item, indent, depth + 1) for item in node.items)
        elif isinstance(node, LMap):
            for k, v in node.items():
                stack.append((v, _secret_indent(k, indent, depth), depth + 1))


def _secret_indent(key: LScalar, indent: int | None, depth: int) -> int | None:
    """The key column from which values are secret (inherited from an outer key)."""
    if indent is not None or not isinstance(key.value, str):
        return indent
    if depth == 2 and key.value in _SECRET_REFERENCES:  # nodes -> name -> secret
        return None
    if depth == 0 and key.value == "image_pull_secret":  # names a Secret, holds none
        return None
    return key.pos.col if safety.secret_name(key.value) else None


def _positions(body: LMap) -> dict[str, Pos]:
    """Positions of a mapping's keys' values, and of the keys of nested mappings and lists."""
    positions = {str(k.value): v.pos for k, v in body.items()}
    for k, v in body.items():
        if isinstance(v, LSeq):
            positions.update({f"{k.value}[{i}]": item.pos for i, item in enumerate(v.items)})
        elif isinstance(v, LMap):
            positions.update({f"{k.value}.{kk.value}": vv.pos for kk, vv in v.items()})
    return positions
