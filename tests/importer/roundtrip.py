"""Import a manifest, compile what was written, and compare both as the operator sees them.

Both steps go through the command line (`seldon_graphs.cli.main`, in this process: the
same code a shell runs, without a Python start-up per file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from seldon_graphs import cli
from seldon_graphs.importer import import_text, operator_view
from seldon_graphs.manifest.finding import JsonPath


@dataclass(frozen=True)
class Trip:
    """One round trip: exit codes, what was said, and both manifests as the operator sees
    them (`compiled` is None when nothing was compiled)."""

    import_code: int
    import_output: str
    files: dict[str, Any]
    compile_code: int | None
    compile_output: str
    original: dict[str, Any]
    compiled: dict[str, Any] | None

    @property
    def equivalent(self) -> bool:
        return self.import_code == 0 and self.compiled == self.original


def load_objects(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return [json.loads(text)]
    return [d for d in yaml.safe_load_all(text) if d]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def round_trip(source: Path, work: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> Trip:
    (original,) = load_objects(source)
    out, build = work / "graphs", work / "build"
    code, said = run_cli(capsys, "import", str(source), "-o", str(out), *flags)
    files = {p.name: yaml.safe_load(p.read_text()) for p in sorted(out.glob("*.yaml"))}
    name = original["metadata"]["name"]
    compiled, compile_code, compile_said = None, None, ""
    if code == 0:
        compile_code, compile_said = run_cli(
            capsys, "compile", str(out / f"{name}.yaml"), "-o", str(build)
        )
        written = sorted(build.glob("*/seldondeployment.yaml"))
        if compile_code == 0 and written:
            compiled = operator_view(yaml.safe_load(written[0].read_text()))
    return Trip(code, said, files, compile_code, compile_said, operator_view(original), compiled)


def dropped_paths(source: Path, folder: Path) -> list[JsonPath]:
    """The semantic losses import reports for `source`, as paths into the object."""
    outcome = import_text(source.read_text(encoding="utf-8"), str(source), folder)
    return [loss.path for loss in outcome.losses if loss.semantic]


def without(obj: dict[str, Any], paths: list[JsonPath]) -> dict[str, Any]:
    """A deep copy of `obj` without the values at `paths` (later list items first, so the
    earlier indexes stay right)."""
    out: dict[str, Any] = json.loads(json.dumps(obj))
    for path in sorted(paths, key=lambda p: [(isinstance(x, int), x) for x in p], reverse=True):
        parent: Any = out
        for part in path[:-1]:
            parent = parent[part]
        del parent[path[-1]]
    return out
