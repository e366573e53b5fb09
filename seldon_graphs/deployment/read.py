"""Deployment file text -> DeploymentSpec, and each predictor's graph analysed.

A predictor's graph is a graph file (analysed exactly as `validate` would analyse it, its
diagnostics at the graph file's own positions) or a mapping written inline (parsed by the
graph file's parser, its diagnostics at the deployment file's positions).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import api, safety, settings
from ..diagnostics import Diagnostic, Reporter
from ..parse import (
    _int,
    _key_positions,
    _positions,
    _str,
    _str_pairs,
    conceal_secrets,
    find_root,
    load_nonempty,
    parse_document,
)
from ..schema_check import check_structure, deployment_schema
from ..spec import GraphSpec
from ..tree import TreeNode
from ..yamlpos import LMap, Located, LScalar
from .detect import is_deployment_file
from .model import DeploymentSpec, Explainer, PredictorSpec


@dataclass(frozen=True)
class PredictorGraph:
    """A predictor with its graph as far as it could be checked (None where it could not)."""

    predictor: PredictorSpec
    spec: GraphSpec | None = None
    tree: TreeNode | None = None


@dataclass
class Reading:
    """What reading a deployment file found: the graphs' files are sources too."""

    reporter: Reporter
    sources: dict[str, str] = field(default_factory=dict)
    found: list[Diagnostic] = field(default_factory=list)  # from graph files
    graphs: list[PredictorGraph] = field(default_factory=list)


def read(
    text: str, file: Path, display: str, root: Path | None, flags: settings.Flags | None
) -> tuple[DeploymentSpec | None, Reading]:
    reading = Reading(Reporter(display))
    reporter = reading.reporter
    doc = load_nonempty(
        text, reporter, "deployment", "a deployment needs `deployment:` and `predictors:`"
    )
    if doc is None:
        return None, reading
    _conceal(doc, reporter)
    check_structure(doc, reporter, kind="deployment")
    if not isinstance(doc, LMap):
        return None, reading
    spec = _deployment(doc, file, root or find_root(file), reporter)
    bodies = _predictor_bodies(doc)
    for predictor in spec.predictors:
        reading.graphs.append(_graph(spec, predictor, bodies[predictor.name], reading, flags))
    return spec, reading


def _conceal(doc: Located, reporter: Reporter) -> None:
    """Secret-looking values stay out of diagnostics; an inline graph is concealed as a
    graph file is (its nodes' `secret:` names a Secret, it holds none)."""
    if not isinstance(doc, LMap):
        conceal_secrets(doc, reporter)
        return
    for key, value in doc.items():
        if key.value != "predictors" or not isinstance(value, LMap):
            conceal_secrets(LMap(doc.pos, [(key, value)]), reporter)
            continue
        for _, body in value.items():
            _conceal_predictor(body, reporter)


def _conceal_predictor(body: Located, reporter: Reporter) -> None:
    entries = list(body.items()) if isinstance(body, LMap) else []
    for k, v in entries:
        if k.value == "graph":
            conceal_secrets(v, reporter)
        elif k.value == "explainer" and isinstance(v, LMap):
            # Its `secret:` names a Secret, as a node's does; it holds none.
            named = [(ek, ev) for ek, ev in v.items() if ek.value != "secret"]
            conceal_secrets(LMap(v.pos, named), reporter)
        else:
            conceal_secrets(LMap(body.pos, [(k, v)]), reporter)


def _predictor_bodies(doc: LMap) -> dict[str, Located]:
    node = doc.get("predictors")
    return {_name(k): v for k, v in node.items()} if isinstance(node, LMap) else {}


def _name(key: LScalar) -> str:
    """A predictor's name as written (`on:` is `on`, though YAML reads a boolean)."""
    return key.value if isinstance(key.value, str) else key.text


def _deployment(doc: LMap, file: Path, root: Path, reporter: Reporter) -> DeploymentSpec:
    node = doc.get("predictors")
    pairs = list(node.items()) if isinstance(node, LMap) else []
    return DeploymentSpec(
        file=file,
        root=root,
        name=_str(doc.get("deployment")) or "",
        namespace=_str(doc.get("namespace")),
        predictors=tuple(_predictor(k, v, reporter) for k, v in pairs),
        labels=_str_pairs(doc.get("labels")),
        annotations=_str_pairs(doc.get("annotations")),
        positions=_positions(doc),
        keys=_key_positions(doc),
    )


def _predictor(key: LScalar, body: Located, reporter: Reporter) -> PredictorSpec:
    if not isinstance(key.value, str):
        reporter.error(
            key.pos,
            f"YAML reads the predictor name `{key.text}` as something other than text",
            "bad-name",
            f'quote it: `"{key.text}":`',
        )
    name = _name(key)
    if not isinstance(body, LMap):
        return PredictorSpec(name, key.pos, None)
    shadow = body.get("shadow")
    traffic = body.get("traffic")
    return PredictorSpec(
        name=name,
        pos=key.pos,
        graph_file=_str(body.get("graph")),
        traffic=_int(traffic),
        shadow=isinstance(shadow, LScalar) and shadow.value is True,
        replicas=_int(body.get("replicas")),
        labels=_str_pairs(body.get("labels")),
        annotations=_str_pairs(body.get("annotations")),
        explainer=_explainer(body.get("explainer")),
        positions=_positions(body),
        keys=_key_positions(body),
        unsure=(traffic is not None and _int(traffic) is None) or _unknown_keys(body),
    )


def _unknown_keys(body: LMap) -> bool:
    allowed = deployment_schema()["properties"]["predictors"]["additionalProperties"]
    return any(k.value not in allowed["properties"] for k, _ in body.items())


def _explainer(node: Located | None) -> Explainer | None:
    kind = _str(node.get("type")) if isinstance(node, LMap) else None
    if not isinstance(node, LMap) or kind is None:
        return None
    return Explainer(kind, _str(node.get("model_uri")), _str(node.get("secret")))


def _graph(
    dep: DeploymentSpec,
    predictor: PredictorSpec,
    body: Located,
    reading: Reading,
    flags: settings.Flags | None,
) -> PredictorGraph:
    inline = body.get("graph") if isinstance(body, LMap) else None
    if isinstance(inline, LMap):
        return _inline_graph(dep, predictor, inline, reading.reporter, flags)
    if predictor.graph_file is None:
        return PredictorGraph(predictor)  # the schema check said what is wrong
    return _graph_file(dep, predictor, reading, flags)


def _graph_file(
    dep: DeploymentSpec,
    predictor: PredictorSpec,
    reading: Reading,
    flags: settings.Flags | None,
) -> PredictorGraph:
    rel = predictor.graph_file or ""
    path, why = safety.project_path(dep.root, rel)
    at = predictor.at("graph")
    if why is not None or path is None:
        reading.reporter.error(
            at,
            why or "bad path",
            "path-escape",
            "keep every path relative to and inside the project directory",
        )
        return PredictorGraph(predictor)
    if not path.is_file():
        reading.reporter.error(
            at,
            f"`{rel}` is not a graph file in the project directory",
            "missing-file",
            "graph paths are relative to the project directory: the nearest folder above "
            "the deployment file with a pyproject.toml, .git or seldon-graphs.toml",
        )
        return PredictorGraph(predictor)
    if is_deployment_file(path):
        reading.reporter.error(
            at,
            f"`{rel}` is a deployment file; a predictor's graph is a graph file",
            "graph-errors",
            "name a graph file (with `nodes:`), or write the graph inline",
        )
        return PredictorGraph(predictor)
    result = api.analyze(path, flags)
    reading.sources[result.display] = result.text
    reading.found.extend(result.diagnostics)
    if not result.ok:
        reading.reporter.error(
            at,
            f"the graph of predictor `{predictor.name}` has errors (reported in {result.display})",
            "graph-errors",
            "fix the graph file; `seldon-graphs validate` on it shows the same errors",
        )
        return PredictorGraph(predictor)
    return PredictorGraph(predictor, result.spec, result.tree)


def _inline_graph(
    dep: DeploymentSpec,
    predictor: PredictorSpec,
    node: LMap,
    reporter: Reporter,
    flags: settings.Flags | None,
) -> PredictorGraph:
    node = _without_placement(node, reporter)
    whole = f"the graph of predictor `{predictor.name}`"
    check_structure(node, reporter, kind="inline", whole=whole)
    parsed = parse_document(node, dep.file, dep.root, reporter)
    if parsed is not None:
        # Named and placed by the deployment: its own name problems are reported there.
        places = {"name": dep.at("deployment"), "predictor": predictor.pos}
        parsed = replace(
            parsed,
            name=dep.name,
            namespace=dep.namespace,
            predictor=predictor.name,
            positions={**parsed.positions, **places},
        )
    before = len(reporter.items)
    spec, tree = api.analyze_spec(parsed, reporter, flags)
    if any(d.is_error for d in reporter.items[before:]):
        return PredictorGraph(predictor)
    return PredictorGraph(predictor, spec, tree)


_PLACEMENT = {
    "name": "its name from `deployment:`",
    "namespace": "its namespace from the deployment file's `namespace:`",
    "predictor": "its predictor name from its key under `predictors:`",
}


def _without_placement(node: LMap, reporter: Reporter) -> LMap:
    """An inline graph's `name:`, `namespace:` or `predictor:`, reported as what the
    deployment file decides, then left out (one mistake, one error)."""
    kept = []
    for key, value in node.items():
        if key.value in _PLACEMENT:
            reporter.error(
                key.pos,
                f"a graph written inline takes {_PLACEMENT[str(key.value)]}",
                "deploy-inline",
                f"remove `{key.value}:` here",
            )
        else:
            kept.append((key, value))
    return LMap(node.pos, kept)
