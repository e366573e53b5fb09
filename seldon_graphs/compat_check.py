"""Model/server compatibility: would the prepackaged server the graph names load the model at
`local_uri`? Locally every model loads (our own libraries); in the cluster the server
image's pinned versions do, so this check is how a local run learns what the cluster will do.

Every finding is a warning, those known to be certain (a pickle importing a module the
server's scikit-learn lacks, tree nodes in a newer layout, an xgboost format the server
cannot read, no file the server looks for) say "cannot load in the cluster"; `validate
--strict` fails on them. They are not errors (yet) because `local_uri` folders hold models
trained on this machine outside version control, so an error would make `validate`,
`compile` and every test that reads the graph depend on whether someone trained the
examples, and `make run GRAPH=graphs/income.yaml` could not run what the local runtime
serves fine; once the generated server image of docs/decisions/0006 exists, a certain
failure has a fix the compiler can apply. A missing `local_uri` (model not trained yet) or
an unreadable file says nothing.
"""

from __future__ import annotations

from pathlib import Path

from . import model_versions as mv
from . import safety
from .diagnostics import Reporter
from .servers_catalog import ServerImage, server_image, version_tuple
from .spec import GraphSpec, NodeSpec, Pos, Source

DECISION = "docs/decisions/0006-models-the-cluster-can-load.md"
# sklearn submodules a pickle may import, and the version that added them.
_SKLEARN_ADDED = {"_loss": (1, 1)}
_UBJ_SINCE = (1, 6)


def check_models(spec: GraphSpec, r: Reporter) -> None:
    for node in spec.nodes:
        server = server_image(node.implementation, spec.protocol)
        if node.source is not Source.SERVER or node.local_uri is None or server is None:
            continue
        folder, why = safety.project_path(spec.root, node.local_uri)
        if why is None and folder is not None and folder.exists():
            _check_node(node, server, folder, node.at("local_uri"), r)


def _check_node(node: NodeSpec, server: ServerImage, folder: Path, at: Pos, r: Reporter) -> None:
    model = _model_file(folder, server)
    if model is None:
        names = " or ".join(f"`{f}`" for f in server.files)
        r.warning(
            at,
            f"{server.image} looks for {names} in the model folder; `{node.local_uri}` has none",
            "model-server",
            f"save the model as {names} (the folder is what model_uri must hold)",
        )
        return
    if server.library == "scikit-learn":
        _check_sklearn(model, server, at, r)
    elif server.library == "xgboost":
        _check_xgboost(model, server, at, r)
    elif server.library == "mlflow":
        _check_mlflow(model, server, at, r)


def _model_file(folder: Path, server: ServerImage) -> Path | None:
    if folder.is_file():
        return folder if folder.name in server.files else None
    return next((folder / f for f in server.files if (folder / f).is_file()), None)


def _loads_with(server: ServerImage) -> str:
    about = "" if server.exact else " (about: MLServer's licence list)"
    return f"{server.image} loads models with {server.library} {server.version}{about}"


def _fix(server: ServerImage, wrote: str) -> str:
    return (
        f"train with {server.library}=={server.version}, or serve the model with the versions "
        f"that wrote it ({wrote}); see {DECISION}"
    )


def _check_sklearn(model: Path, server: ServerImage, at: Pos, r: Reporter) -> None:
    found = mv.sklearn_pickle(model)
    if found is None:
        return
    wrote = ", ".join(f"scikit-learn {v}" for v in found.versions)
    have = version_tuple(server.version)
    lacking = sorted(
        m for m, since in _SKLEARN_ADDED.items() if m in found.modules and have < since
    )
    if lacking:
        need = ", ".join(f"`sklearn.{m}`" for m in lacking)
        r.warning(
            at,
            f"{_loads_with(server)}, which lacks {need}; this model (pickled by {wrote}) "
            "imports it: it cannot load in the cluster",
            "model-server",
            _fix(server, wrote),
        )
    elif found.trees_1_3 and have < (1, 3):
        r.warning(
            at,
            f"{_loads_with(server)}; this model's trees were saved by {wrote} in the node "
            "layout of scikit-learn >= 1.3, which older versions refuse (incompatible dtype)",
            "model-server",
            _fix(server, wrote),
        )
    elif any(version_tuple(v)[:2] != have[:2] for v in found.versions):
        r.warning(
            at,
            f"{_loads_with(server)}; this model was pickled by {wrote}: loading may fail "
            "or predict differently",
            "model-server",
            _fix(server, wrote),
        )


def _check_xgboost(model: Path, server: ServerImage, at: Pos, r: Reporter) -> None:
    found = mv.xgboost_model(model)
    if found is None or found.format == "binary":
        return
    have = version_tuple(server.version)
    wrote = "xgboost " + ".".join(map(str, found.version)) if found.version else "a newer xgboost"
    if found.format == "ubj" and have < _UBJ_SINCE:
        r.warning(
            at,
            f"{_loads_with(server)}; `{model.name}` is UBJSON (saved by {wrote}), "
            "a format added in xgboost 1.6",
            "model-server",
            _fix(server, wrote),
        )
    elif found.version and found.version[:2] > have[:2]:
        r.warning(
            at,
            f"{_loads_with(server)}; `{model.name}` was saved by {wrote}, a newer version",
            "model-server",
            _fix(server, wrote),
        )


def _check_mlflow(model: Path, server: ServerImage, at: Pos, r: Reporter) -> None:
    wrote = mv.mlflow_version(model)
    if wrote and version_tuple(wrote)[:2] > version_tuple(server.version)[:2]:
        r.warning(
            at,
            f"{server.image} runs mlflow <= {server.version}; this MLmodel was written by "
            f"mlflow {wrote}",
            "model-server",
            _fix(server, f"mlflow {wrote}"),
        )
