"""Run inside a freshly built wrapper image, as its user: load the node the way
seldon-core-microservice will at start, and say what fails (the build's last step).

Standard library only; passed to `python3 -I -c` (not copied into the image):

    python3 -I -c "<this file>" MODULE CLASS        # PREDICTIVE_UNIT_PARAMETERS in the env

Prints one JSON line, {"ok": ..., "stage": ..., "error": ..., "hint": ..., "lock": [...]},
and exits 0 or 1. `stage` is "load" when the module, the class or the parameters' names are
wrong (always the node's fault) and "construct" when the class's own __init__ raised (which
may need what only the cluster provides: secrets, a model folder).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import traceback
from typing import Any

LOCK_FILE = "/opt/venv/requirements.lock"


def main(module_name: str, class_name: str) -> int:
    # seldon-core-microservice appends the working directory (/app) to the import path:
    # it comes last, after the standard library and the installed packages.
    sys.path.append(os.getcwd())
    stage, problem = "load", None
    try:
        problem = _load(module_name, class_name)
        if problem is None:
            stage = "construct"
            _construct()
    except BaseException as exc:  # whatever the user's code raises is the answer
        problem = (_describe(exc), _hint(exc))
    error, hint = problem or ("", "")
    answer = {"ok": problem is None, "stage": stage, "error": error, "hint": hint}
    print(json.dumps({**answer, "lock": _lock()}))
    return 0 if problem is None else 1


def _load(module_name: str, class_name: str) -> tuple[str, str] | None:
    module = importlib.import_module(module_name)
    found = os.path.abspath(getattr(module, "__file__", None) or "<built-in>")
    if os.path.dirname(found) != os.getcwd():
        return (
            f"`import {module_name}` loads {found}, not {os.getcwd()}/{module_name}.py: a "
            "standard-library or installed module of that name comes first on the import path",
            f"rename {module_name}.py (and the node's `python:` reference)",
        )
    user_class = getattr(module, class_name, None)
    if not isinstance(user_class, type):
        return (
            f"{module_name}.{class_name} is {type(user_class).__name__}, not a class",
            f"`python:` must name a class defined in {module_name}.py",
        )
    from seldon_core.microservice import parse_parameters  # also imports gunicorn, flask

    entry = importlib.import_module("seldon_graphs_entry")
    raw = json.loads(os.environ.get("PREDICTIVE_UNIT_PARAMETERS") or "[]")
    try:
        inspect.signature(entry.Adapter).bind(**parse_parameters(raw))
    except TypeError as exc:
        return f"the parameters do not fit {class_name}.__init__: {exc}", _PARAMS_HINT
    return None


def _construct() -> None:
    from seldon_core.microservice import parse_parameters

    entry = importlib.import_module("seldon_graphs_entry")
    raw = json.loads(os.environ.get("PREDICTIVE_UNIT_PARAMETERS") or "[]")
    entry.Adapter(**parse_parameters(raw))


_PARAMS_HINT = "the node's `params` must match the class's __init__ parameters"


def _describe(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("/app/")]
    where = f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _hint(exc: BaseException) -> str:
    if isinstance(exc, ModuleNotFoundError):
        return f"add the package that provides `{exc.name}` to the node's requirements"
    if isinstance(exc, TypeError) and "argument" in str(exc):
        return _PARAMS_HINT
    return ""


def _lock() -> list[Any]:
    try:
        with open(LOCK_FILE, encoding="utf-8") as lock:
            return [line.strip() for line in lock if line.strip()]
    except OSError:
        return []


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
