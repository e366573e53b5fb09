"""Throwaway copies of the abtest graph with code no other image has, so its images are
unique to one test: removing them cannot touch anyone else's, and a pull really pulls."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from tests.helpers import REPO


def unique_abtest(folder: Path, marker: str | None = None) -> tuple[Path, str]:
    """(the graph file, the marker written into its models module)."""
    marker = marker or secrets.token_hex(8)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'registry-test'\n")
    models = folder / "examples" / "bandit"
    models.mkdir(parents=True, exist_ok=True)
    source = (REPO / "examples" / "bandit" / "models.py").read_text()
    (models / "models.py").write_text(source + f"\nMARKER = {marker!r}\n")
    graph = folder / "abtest.yaml"
    shutil.copy(REPO / "graphs" / "abtest.yaml", graph)
    return graph, marker


def change_code(graph: Path, marker: str) -> None:
    models = graph.parent / "examples" / "bandit" / "models.py"
    text = models.read_text()
    models.write_text(text[: text.rindex("MARKER = ")] + f"MARKER = {marker!r}\n")
