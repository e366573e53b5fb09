"""Generated server images: which server nodes get one, and which versions it pins.

A server node with `server_image: generated` is served, in the cluster and by the docker
runtime, by an image we build (wrapper/server_context.py) on the wrappers' base, with
seldon-core, our server class (runtime/servers.py, the one local runs use) and the versions
that wrote its model, so the model loads with the libraries it was saved by. The versions:

- the library's own (`scikit-learn`, `xgboost`) is read from the model file at `local_uri`
  (model_versions: a pickle is scanned, never loaded); before the model is trained, the
  version installed here, which is what this project's training writes and what the local
  runtimes load it with;
- its direct dependencies (numpy, scipy, joblib, ...) are pinned to the versions installed
  here when the library installed here is that same version (the usual case: the model was
  trained in this project); otherwise pip resolves them, and the image's lock label says
  what it chose.

See docs/decisions/0006-models-the-cluster-can-load.md.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

from . import dist_info, safety
from .servers_catalog import version_tuple
from .spec import (
    BuiltinSource,
    GraphSpec,
    ImageSource,
    NodeSpec,
    NoSource,
    PythonSource,
    ServerSource,
    StockSource,
)

GENERATED = "generated"


@dataclass(frozen=True)
class Generator:
    """What a generated image for one kind of server holds."""

    library: str  # the distribution that loads the model file
    server_class: str  # its class in runtime/servers.py
    files: tuple[str, ...]  # what Seldon's server looks for under /mnt/models


GENERATORS: dict[str, Generator] = {
    "SKLEARN_SERVER": Generator("scikit-learn", "SKLearnServer", ("model.joblib",)),
    "XGBOOST_SERVER": Generator("xgboost", "XGBoostServer", ("model.bst",)),
}

# The oldest release with a wheel for a CPython version (pip would build anything older
# from source, which these libraries cannot do on a slim base). Seen on PyPI.
OLDEST_WHEEL: dict[tuple[str, tuple[int, int]], str] = {
    ("scikit-learn", (3, 11)): "1.1.3",
}
# Base images whose Python we know: our debootstrap base (Debian bookworm) and python:3.X.
_BOOKWORM = ("seldon-graphs/base:bookworm", (3, 11))
_PYTHON_TAG = re.compile(r"(?:docker\.io/)?(?:library/)?python:3\.(\d+)")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Pins:
    """The versions a generated image installs next to seldon-core."""

    library: str
    version: str
    read_from: str  # "the model" or "this environment"
    companions: tuple[tuple[str, str], ...] = ()  # (distribution, version), from here

    @property
    def requirements(self) -> tuple[str, ...]:
        pinned = ((self.library, self.version), *self.companions)
        return tuple(f"{name}=={version}" for name, version in pinned)


def is_generated(node: NodeSpec) -> bool:
    match node.source:
        case ServerSource(server_image=chosen):
            return chosen == GENERATED
        case PythonSource() | StockSource() | ImageSource() | BuiltinSource() | NoSource():
            return False
        case _:
            assert_never(node.source)


def builds_image(node: NodeSpec) -> bool:
    """Whether seldon-graphs builds the node's image: python and stock nodes, and server
    nodes with `server_image: generated`."""
    return node.wrapped or is_generated(node)


def generator(node: NodeSpec) -> Generator | None:
    return GENERATORS.get(node.implementation or "") if is_generated(node) else None


def model_folder(spec: GraphSpec, node: NodeSpec) -> Path | None:
    """The node's `local_uri` when it is inside the project and exists, else None."""
    if node.local_uri is None:
        return None
    folder, why = safety.project_path(spec.root, node.local_uri)
    return folder if why is None and folder is not None and folder.exists() else None


def model_file(folder: Path, files: tuple[str, ...]) -> Path | None:
    """The file a server loads from `folder` (or `folder` itself, when it is that file)."""
    if folder.is_file():
        return folder if folder.name in files else None
    return next((folder / f for f in files if (folder / f).is_file()), None)


def model_version(library: str, path: Path) -> str | None:
    """The version of `library` that wrote the model file, or None if it does not say."""
    # Imported here, as in compat_check: only a graph with a model file on disk reads one,
    # and `validate` of any other graph does not pay for the decompressors.
    from . import model_versions as mv

    if library == "scikit-learn":
        found = mv.sklearn_pickle(path)
        return max(found.versions, key=version_tuple) if found else None
    model = mv.xgboost_model(path)
    if model is None or model.version is None:
        return None
    return ".".join(map(str, model.version))


@functools.cache  # asked several times per generated node; what is installed stays put
def installed(distribution: str) -> str | None:
    """The version of `distribution` installed here, as importlib.metadata.version gives it.

    Read from the name of its `{name}-{version}.dist-info` folder where one is on sys.path
    (the names pip writes, PEP 427); importlib.metadata (and the email package under it:
    about a quarter of `validate`'s start-up) only when no folder answers.
    """
    found = _dist_info_version(distribution)
    if found is not None:
        return found
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _dist_info_version(distribution: str) -> str | None:
    """The version in the first `.dist-info` folder of `distribution` on sys.path, None when
    the first entry that has the distribution has it another way (an egg-info) or none has."""
    wanted = _normalized(distribution)
    for _, names in dist_info.folders():
        for name in names or ():  # a zip: importlib.metadata reads those
            stem, _, suffix = name.rpartition(".")
            project, _, version = stem.partition("-")
            if _normalized(project) != wanted:
                continue
            if suffix == "egg-info" or not version or "-" in version:
                return None  # not a name that says the version: ask importlib.metadata
            return version
    return None


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def pins(spec: GraphSpec, node: NodeSpec, companions: bool = True) -> Pins | None:
    """What the node's generated image pins; None when no version can be told. Without
    `companions` (the checks, which need only the library's version) no dependency list is
    read: that needs importlib.metadata."""
    gen = generator(node)
    if gen is None:
        return None
    folder = model_folder(spec, node)
    path = model_file(folder, gen.files) if folder else None
    version = model_version(gen.library, path) if path else None
    read_from = "the model"
    if version is None:
        version, read_from = installed(gen.library), "this environment"
    if version is None:
        return None
    deps = _companions(gen.library, version) if companions else ()
    return Pins(gen.library, version, read_from, deps)


def _companions(library: str, version: str) -> tuple[tuple[str, str], ...]:
    """The library's direct dependencies as installed here, when it is `version` here."""
    if installed(library) != version:
        return ()
    from importlib import metadata

    out = []
    for line in metadata.requires(library) or []:
        name = _NAME.match(line)
        if name is None or "extra" in line.partition(";")[2]:
            continue
        if (have := installed(name.group())) is not None:
            out.append((name.group().lower(), have))
    return tuple(sorted(out))


def base_python(base: str) -> tuple[int, int] | None:
    """The Python of a base image we know, else None."""
    if base == _BOOKWORM[0]:
        return _BOOKWORM[1]
    tag = _PYTHON_TAG.match(base)
    return (3, int(tag.group(1))) if tag else None


def lacks_wheel(library: str, version: str, python: tuple[int, int] | None) -> str | None:
    """The oldest release with a wheel for `python` when `version` is older, else None."""
    oldest = OLDEST_WHEEL.get((library, python)) if python else None
    if oldest and version_tuple(version) < version_tuple(oldest):
        return oldest
    return None
