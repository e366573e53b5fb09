"""networkx without its whole package import, for the command line's start-up (issue 14).

`import networkx` runs networkx/__init__.py: some 300 modules (every algorithm, generator,
reader and drawing helper) and a scan of every installed distribution's entry points. That
was 120 of the 300 ms of `validate` on a graph with a flow. The compiler uses `DiGraph` and
three algorithms. `narrow()` makes `networkx` a package whose `__init__` has not run yet;
its first use imports the modules those four need and sets the names they look up on `nx`
(what networkx's own `__init__` would have set first). A graph without a flow never uses it.

Nothing can see a partial networkx: any other name asked of the package, or of its partial
`algorithms` packages, runs networkx's own `__init__` first (`_complete`), and the answer is
the full package's. So code added later that uses another algorithm stays correct, it only
starts slower; tests/test_nx_import.py checks that validating our graphs never needs that, and
that the narrowed functions give the full package's answers.

Only the console script narrows (`seldon_graphs.cli.entry`): a program importing
seldon_graphs gets networkx as it is.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import dist_info

# Packages whose __init__ imports every algorithm: made without running it.
_PARTIAL = ("networkx.algorithms", "networkx.algorithms.components")
# What the compiler calls, and what those call through `nx.` (checked by the tests).
_MODULES = (
    "networkx.algorithms.components.strongly_connected",
    "networkx.algorithms.dominance",
    "networkx.algorithms.cycles",
    "networkx.algorithms.traversal",
)

# The entry-point groups networkx.utils.backends reads when imported (two scans of every
# installed distribution, through importlib.metadata: half of the narrowed import's time).
_BACKEND_GROUPS = ("networkx.backends", "networkx.backend_info")

_state = {"loading": False, "loaded": False, "completing": False, "completed": False}
# One thread loads or completes; another asking meanwhile waits for it (re-entrant: the
# loading thread's own imports come back through __getattr__).
_lock = threading.RLock()


def narrow() -> bool:
    """Make `networkx` the narrowed package, loaded on its first use (a graph without a flow
    never uses it); False, and nothing changed, when networkx is imported already or cannot
    be found."""
    if "networkx" in sys.modules:
        return False
    spec = importlib.util.find_spec("networkx")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    _unexecuted(spec)
    return True


def loaded() -> bool:
    """Whether the narrowed package's modules were imported (something used networkx)."""
    return _state["loaded"]


def completed() -> bool:
    """Whether something asked the narrowed package for a name it did not have."""
    return _state["completed"]


def _load(top: ModuleType) -> None:
    """Import what the compiler uses and set the names it reads on `nx`, as networkx's own
    __init__ would have set them; anything unexpected completes the package instead."""
    _state["loading"] = True
    try:
        namespace = vars(top)
        namespace.update(_public(importlib.import_module("networkx.exception")))
        utils: Any = _import_utils()
        # networkx's own __init__ order: decorators and config before the graph classes
        namespace["_dispatchable"] = utils._dispatchable
        namespace["_clear_cache"] = utils._clear_cache
        namespace["config"] = utils.config = utils.configs.config = (
            utils.backends._set_configs_from_environment()
        )
        namespace.update(_public(importlib.import_module("networkx.classes")))
        for name in _PARTIAL:
            found = importlib.util.find_spec(name)
            assert found is not None
            _unexecuted(found)
        for name in _MODULES:
            namespace.update(_public(importlib.import_module(name)))
    except Exception:
        _complete()  # networkx not laid out as this module expects: the whole package
    finally:
        _state["loading"] = False
    _state["loaded"] = True


def _import_utils() -> ModuleType:
    """networkx.utils, its backends module given an `entry_points` that answers "none" at
    once when no installed distribution declares a networkx backend (and asks
    importlib.metadata otherwise, or for any other group)."""
    if "importlib.metadata" in sys.modules or _backends_may_be_declared():
        return importlib.import_module("networkx.utils")
    stand_in = ModuleType("importlib.metadata")
    setattr(stand_in, "entry_points", _entry_points)  # noqa: B010
    sys.modules["importlib.metadata"] = stand_in
    try:
        return importlib.import_module("networkx.utils")
    finally:
        if sys.modules.get("importlib.metadata") is stand_in:
            del sys.modules["importlib.metadata"]


def _entry_points(**params: Any) -> Any:
    if params.get("group") in _BACKEND_GROUPS and len(params) == 1:
        return ()  # _backends_may_be_declared() found none
    from importlib import metadata

    return metadata.entry_points(**params)


def _backends_may_be_declared() -> bool:
    """Whether a distribution on sys.path may declare entry points in a networkx backend
    group: read from each folder's *.dist-info and *.egg-info entry_points.txt; True also
    where only importlib.metadata can tell (a zip on sys.path, another distribution finder)."""
    if any(
        hasattr(finder, "find_distributions") and finder is not importlib.machinery.PathFinder
        for finder in sys.meta_path
    ):
        return True
    for folder, names in dist_info.folders():
        if names is None:
            return True
        for name in names:
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            if _declares_backend(text):
                return True
    return False


def _declares_backend(entry_points_txt: str) -> bool:
    """Whether an entry_points.txt names an entry in a backend group; networkx's own test
    backend (`nx_loopback`, which networkx itself ignores) does not count."""
    section = ""
    for raw in entry_points_txt.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif (
            section in _BACKEND_GROUPS
            and line
            and not line.startswith(("#", ";"))
            and line.partition("=")[0].strip() != "nx_loopback"
        ):
            return True
    return False


def _unexecuted(spec: Any) -> ModuleType:
    module = importlib.util.module_from_spec(spec)
    setattr(module, "__getattr__", _completer(module))  # noqa: B010 (a module's own hook)
    sys.modules[spec.name] = module
    parent, _, child = spec.name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def _public(module: ModuleType) -> dict[str, Any]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return {name: getattr(module, name) for name in names}


def _completer(module: ModuleType) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        """A name a narrowed package lacks: the full package's (completed first)."""
        with _lock:
            return _lookup(module, name)

    return __getattr__


def _lookup(module: ModuleType, name: str) -> Any:
    if name in vars(module):
        return vars(module)[name]  # set by another thread's load while this one waited
    if not _state["completing"]:
        if not _state["loaded"] and not _state["loading"]:
            _load(sys.modules["networkx"])  # the first use: what every module needs first
            if name in vars(module):
                return vars(module)[name]
        if not name.startswith("__") and _is_submodule(f"{module.__name__}.{name}"):
            return importlib.import_module(f"{module.__name__}.{name}")  # that one only
        if _state["loading"]:
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        if not _state["completed"]:
            _complete()
        current = sys.modules.get(module.__name__)
        if current is not None and current is not module:
            return getattr(current, name)  # a partial package's full successor
        if name in vars(module):
            return vars(module)[name]  # the top package, completed in place
    # networkx's own __init__ asking for a name not defined yet: what it would get
    raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")


def _is_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _complete() -> None:
    """Run networkx's own __init__ into the narrowed module object, so every holder of `nx`
    sees the full package; the partial algorithms packages are imported afresh, whole."""
    top = sys.modules["networkx"]
    _state["completing"] = True
    try:
        for partial in _PARTIAL:
            sys.modules.pop(partial, None)
        spec = top.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(top)
    finally:
        _state["completing"] = False
    _state["completed"] = True
