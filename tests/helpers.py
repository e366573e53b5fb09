"""Small builders for tests: graph text in a throwaway project directory, and the one rule
for a missing oracle, tool or input (skip locally, fail under CI=true)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from seldon_graphs import api, settings
from seldon_graphs.spec import GraphSpec

REPO = Path(__file__).resolve().parents[1]
# Seldon's own CRD and examples: the oracles, read in place from ../shared beside the repo.
SHARED = REPO.parent / "shared"
CRD_FILE = SHARED / "seldon" / "crd" / "seldondeployments.machinelearning.seldon.io.yaml"
SELDON_EXAMPLES = SHARED / "seldon" / "examples"
NO_SHARED = f"Seldon's CRD and examples are not at {SHARED} (../shared beside the repo)"


def configured(spec: GraphSpec, **flags: str) -> GraphSpec:
    """`spec` with image settings given as flags would give them (settings.apply), and no
    SELDON_GRAPHS_* variable of the machine running the tests."""
    return settings.apply(spec, settings.Flags(**flags), environ={})


MODELS = (Path(__file__).parent / "bad_graphs" / "code" / "model.py").read_text()


def project(tmp: Path) -> Path:
    """A project root with a marker file and a module of trivial classes."""
    (tmp / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp / "models.py").write_text(MODELS)
    return tmp


def analyze(tmp: Path, text: str) -> api.Analysis:
    root = project(tmp)
    file = root / "graph.yaml"
    file.write_text(textwrap.dedent(text))
    return api.analyze_text(file.read_text(), file, display="graph.yaml", root=root)


def roles(result: api.Analysis) -> list[tuple[str, str, list[str]]]:
    """(name, role, children) in pre-order."""
    assert result.tree is not None, result.render()
    return [(t.name, t.role.value, [c.name for c in t.children]) for t in result.tree.walk()]


def rules(result: api.Analysis) -> list[str]:
    return [d.rule for d in result.diagnostics]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true")


def missing(reason: str) -> NoReturn:
    """An oracle (../shared), tool or input a test needs is absent.

    Elsewhere the test skips saying why; under CI=true it fails, because CI provides all of
    them and a green build must mean the checks ran, not that they quietly skipped."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing oracle or tool is a failure)", pytrace=False)
    pytest.skip(reason)


def missing_param(reason: str) -> Any:
    """The parametrize case that stands for absent inputs: skipped saying why, or under
    CI=true a collection error (a mark cannot fail a test, so `missing` runs right here)."""
    if in_ci():
        missing(reason)
    return pytest.param(None, marks=pytest.mark.skip(reason=reason), id="missing")


def require_file(path: Path, reason: str) -> Path:
    if not path.exists():
        missing(f"{path} not found: {reason}")
    return path


def require_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(f"`{name}` is not on PATH")
    return found


def clone_repo(dest: Path) -> Path:
    """A fresh `git clone` of this checkout's HEAD: committed files only, as a user gets them."""
    git = require_tool("git")
    subprocess.run(
        [git, "clone", "--quiet", str(REPO), str(dest)], check=True, timeout=60, capture_output=True
    )
    return dest


def load_script(path: Path) -> ModuleType:
    """A script of scripts/ imported from its file, as module `path.stem`."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
