"""Small builders for tests: graph text in a throwaway project directory."""

from __future__ import annotations

import textwrap
from pathlib import Path

from seldon_graphs import api

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
