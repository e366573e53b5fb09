"""SeldonDeployments written in a few lines, and their import compiled back in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from seldon_graphs import api
from seldon_graphs.importer import Outcome, import_text, operator_view


def unit(
    name: str, type_: str | None = None, *children: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A PredictiveUnit; `type_` None leaves the type to the operator's defaulting."""
    pu: dict[str, Any] = {"name": name}
    if type_ is not None:
        pu["type"] = type_
    pu.update(fields)
    if children:
        pu["children"] = list(children)
    return pu


def names(pu: dict[str, Any]) -> list[str]:
    out = [pu["name"]]
    for child in pu.get("children", []):
        out += names(child)
    return out


def sdep(
    graph: dict[str, Any],
    *,
    containers: dict[str, dict[str, Any]] | None = None,
    images: bool = True,
    **spec: Any,
) -> dict[str, Any]:
    """One predictor `default`, one pod with a container (`img/<name>:1`) per unit that
    has no implementation; `containers` adds fields to them."""
    extra = containers or {}
    built = [
        {"name": n, **({"image": f"img/{n}:1"} if images else {}), **extra.get(n, {})}
        for n in names(graph)
        if n in extra or not _implemented(graph, n)
    ]
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": "SeldonDeployment",
        "metadata": {"name": "demo"},
        "spec": {
            **spec,
            "predictors": [
                {
                    "name": "default",
                    "graph": graph,
                    "componentSpecs": [{"spec": {"containers": built}}],
                }
            ],
        },
    }


def _implemented(pu: dict[str, Any], name: str) -> bool:
    if pu["name"] == name:
        return "implementation" in pu
    return any(_implemented(c, name) for c in pu.get("children", []) if name in names(c))


def run_import(obj: dict[str, Any], folder: Path, as_json: bool = False) -> Outcome:
    text = json.dumps(obj) if as_json else yaml.safe_dump(obj, sort_keys=False)
    return import_text(text, "sdep.yaml", folder)


def compiled_view(outcome: Outcome, folder: Path, file: str = "demo.yaml") -> dict[str, Any]:
    """The operator's view of what the imported graph file compiles to."""
    result = api.analyze_text(outcome.files[file], folder / file, root=folder)
    assert result.ok, result.render()
    assert result.spec is not None and result.tree is not None
    return operator_view(api.Graph(result.spec, result.tree, result).manifest())


def comes_back(obj: dict[str, Any], folder: Path) -> Outcome:
    """Import `obj`, compile the graph: the operator sees the same deployment."""
    outcome = run_import(obj, folder)
    assert not outcome.failed, outcome.diagnostics
    assert outcome.dropped == 0, outcome.diagnostics
    assert compiled_view(outcome, folder) == operator_view(obj)
    return outcome


def graph_file(outcome: Outcome, file: str = "demo.yaml") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(outcome.files[file])
    return loaded
