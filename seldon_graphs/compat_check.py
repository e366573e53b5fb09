"""Model/server compatibility: would the server image a node names load the model at
`local_uri`? Locally every model loads (our own libraries); in the cluster the server
image's pinned versions do, so this check is how a local run learns what the cluster will do.

Failures known to be certain (a pickle importing a module the server's scikit-learn lacks,
tree nodes in a newer layout, an xgboost format the server cannot read, no file the server
looks for) are errors: `server_image: generated` (generated_servers.py) serves such a model
with the versions that wrote it, and its nodes are checked by server_image_check instead. A
plain version difference is a warning (scikit-learn itself only warns). A missing
`local_uri` (model not trained yet) or an unreadable file says nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import server_image_check
from .diagnostics import Reporter
from .generated_servers import GENERATORS, generator, is_generated, model_file, model_folder
from .servers_catalog import ServerImage, server_image, version_tuple
from .spec import GraphSpec, NodeSpec, Pos

DECISION = "docs/decisions/0006-models-the-cluster-can-load.md"
# sklearn submodules a pickle may import, and the version that added them.
_SKLEARN_ADDED = {"_loss": (1, 1)}
_UBJ_SINCE = (1, 6)


def check_models(spec: GraphSpec, r: Reporter) -> None:
    server_image_check.check_server_images(spec, r)
    for node in spec.nodes:
        if node.server is None:
            continue
        server = server_image(node.server.implementation, spec.protocol)
        folder = model_folder(spec, node)
        if folder is None or server is None:
            continue
        if is_generated(node):
            _check_generated(node, folder, r)
        else:
            _check_node(node, server, folder, node.at("local_uri"), r)


def _check_generated(node: NodeSpec, folder: Path, r: Reporter) -> None:
    """Its image has the model's own versions: only the file can be missing."""
    gen = generator(node)  # None: a misuse of `server_image`, reported as such
    if gen is not None and model_file(folder, gen.files) is None:
        _no_model_file(node, "the generated server image", gen.files, r)


def _check_node(node: NodeSpec, server: ServerImage, folder: Path, at: Pos, r: Reporter) -> None:
    model = model_file(folder, server.files)
    if model is None:
        _no_model_file(node, server.image, server.files, r)
        return
    fix = _fix(server, node)
    if server.library == "scikit-learn":
        _check_sklearn(model, server, at, fix, r)
    elif server.library == "xgboost":
        _check_xgboost(model, server, at, fix, r)
    elif server.library == "mlflow":
        _check_mlflow(model, server, at, fix, r)


def _no_model_file(node: NodeSpec, image: str, files: tuple[str, ...], r: Reporter) -> None:
    names = " or ".join(f"`{f}`" for f in files)
    r.error(
        node.at("local_uri"),
        f"{image} looks for {names} in the model folder; `{node.local_uri}` has none",
        "model-server",
        f"save the model as {names} (the folder is what model_uri must hold)",
    )


def _loads_with(server: ServerImage) -> str:
    about = "" if server.exact else " (about: MLServer's licence list)"
    return f"{server.image} loads models with {server.library} {server.version}{about}"


_Fix = Callable[[str], str]  # the help, given the versions that wrote the model


def _fix(server: ServerImage, node: NodeSpec) -> _Fix:
    # A generated image speaks the seldon protocol only (under v2 the operator runs MLServer).
    generated = node.implementation in GENERATORS and server == server_image(
        node.implementation, "seldon"
    )

    def fix(wrote: str) -> str:
        if generated:
            return (
                f"add `server_image: generated` to the node (an image with the versions "
                f"that wrote it: {wrote}), or train with {server.library}=={server.version}; "
                f"see {DECISION}"
            )
        return (
            f"train with {server.library}=={server.version}, or serve the model with the "
            f"versions that wrote it ({wrote}); see {DECISION}"
        )

    return fix


def _check_sklearn(model: Path, server: ServerImage, at: Pos, fix: _Fix, r: Reporter) -> None:
    from . import model_versions as mv  # only when a model file is there

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
        r.error(
            at,
            f"{_loads_with(server)}, which lacks {need}; this model (pickled by {wrote}) "
            "imports it: it cannot load in the cluster",
            "model-server",
            fix(wrote),
        )
    elif found.trees_1_3 and have < (1, 3):
        r.error(
            at,
            f"{_loads_with(server)}; this model's trees were saved by {wrote} in the node "
            "layout of scikit-learn >= 1.3, which older versions refuse (incompatible dtype)",
            "model-server",
            fix(wrote),
        )
    elif any(version_tuple(v)[:2] != have[:2] for v in found.versions):
        r.warning(
            at,
            f"{_loads_with(server)}; this model was pickled by {wrote}: loading may fail "
            "or predict differently",
            "model-server",
            fix(wrote),
        )


def _check_xgboost(model: Path, server: ServerImage, at: Pos, fix: _Fix, r: Reporter) -> None:
    from . import model_versions as mv  # only when a model file is there

    found = mv.xgboost_model(model)
    if found is None or found.format == "binary":
        return
    have = version_tuple(server.version)
    wrote = "xgboost " + ".".join(map(str, found.version)) if found.version else "a newer xgboost"
    if found.format == "ubj" and have < _UBJ_SINCE:
        r.error(
            at,
            f"{_loads_with(server)}; `{model.name}` is UBJSON (saved by {wrote}), "
            "a format added in xgboost 1.6",
            "model-server",
            fix(wrote),
        )
    elif found.version and found.version[:2] > have[:2]:
        r.warning(
            at,
            f"{_loads_with(server)}; `{model.name}` was saved by {wrote}, a newer version",
            "model-server",
            fix(wrote),
        )


def _check_mlflow(model: Path, server: ServerImage, at: Pos, fix: _Fix, r: Reporter) -> None:
    from . import model_versions as mv  # only when a model file is there

    wrote = mv.mlflow_version(model)
    if wrote and version_tuple(wrote)[:2] > version_tuple(server.version)[:2]:
        r.warning(
            at,
            f"{server.image} runs mlflow <= {server.version}; this MLmodel was written by "
            f"mlflow {wrote}",
            "model-server",
            fix(f"mlflow {wrote}"),
        )
