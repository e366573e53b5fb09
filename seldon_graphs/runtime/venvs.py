"""One virtual environment per distinct set of node requirements, cached by their hash.

A node with no requirements of its own runs on this interpreter's environment (which has
seldon-core, pinned by the project). Otherwise its environment lives in
`.seldon-graphs/venvs/<hash>/`: the node's requirements are installed there and come first
on sys.path; a `.pth` file then appends this environment's site-packages, so the node gets
the project's seldon-core without reinstalling it. The hash covers the Python version, the
seldon-core version and the requirement lines; an environment is used only once its
`.ready` marker exists, so an interrupted build is rebuilt, never half-used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

from .nodes import NodeSetupError

READY = ".ready"


def env_key(requirements: Sequence[str], seldon_core: str) -> str:
    material = {
        "python": sys.version.split()[0],
        "seldon_core": seldon_core,
        "requirements": sorted(r.strip() for r in requirements),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]


def python_for(
    requirements: Sequence[str], cache: Path, seldon_core: str, find_links: Sequence[str] = ()
) -> str:
    """The interpreter a node with these requirements runs on (built on first use)."""
    if not requirements:
        return sys.executable
    folder = cache / env_key(requirements, seldon_core)
    python = folder / "bin" / "python"
    if (folder / READY).exists():
        return str(python)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs building the same environment wait
        if not (folder / READY).exists():
            _build(folder, requirements, find_links)
    return str(python)


def _build(folder: Path, requirements: Sequence[str], find_links: Sequence[str]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _run([sys.executable, "-m", "venv", "--without-pip", str(folder)], folder)
    site = _site_packages(folder)
    base = sysconfig.get_paths()["purelib"]
    (site / "zz_seldon_graphs_base.pth").write_text(base + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(folder / "bin" / "python"), "install"]
    pip += ["--quiet", "--disable-pip-version-check"]
    for link in find_links:
        pip += ["--find-links", link]
    _run([*pip, *requirements], folder)
    (folder / READY).write_text("\n".join(requirements) + "\n")


def _site_packages(folder: Path) -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return folder / "lib" / version / "site-packages"


def _run(command: list[str], folder: Path) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise NodeSetupError(f"building the environment {folder} failed:\n{tail}")
