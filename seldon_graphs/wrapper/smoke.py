"""Run inside a freshly built wrapper image, as its user: load the node the way
seldon-core-microservice will at start, and say what fails (the build's last step).

Standard library only; passed to `python3 -I -c` (not copied into the image):

    python3 -I -c "<this file>" MODULE CLASS        # PREDICTIVE_UNIT_PARAMETERS in the env

Prints one JSON line: {"ok": true, "lock": ["name==version", ...]} or
{"ok": false, "error": "...", "hint": "..."}; exits 0 or 1.
"""

from __future__ import annotations

import importlib
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
    try:
        problem = _load(module_name, class_name)
    except BaseException as exc:  # whatever the user's code raises is the answer
        problem = (_describe(exc), _hint(exc))
    if problem is not None:
        print(json.dumps({"ok": False, "error": problem[0], "hint": problem[1]}))
        return 1
    print(json.dumps({"ok": True, "lock": _lock()}))
    return 0


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
    entry.Adapter(**parse_parameters(raw))
    return None


def _describe(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("/app/")]
    where = f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _hint(exc: BaseException) -> str:
    if isinstance(exc, ModuleNotFoundError):
        return f"add the package that provides `{exc.name}` to the node's requirements"
    if isinstance(exc, TypeError) and "argument" in str(exc):
        return "the node's `params` must match the class's __init__ parameters"
    return ""


def _lock() -> list[Any]:
    try:
        with open(LOCK_FILE, encoding="utf-8") as lock:
            return [line.strip() for line in lock if line.strip()]
    except OSError:
        return []


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
