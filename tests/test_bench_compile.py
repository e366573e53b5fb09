"""The benchmark's graph generator makes valid graphs (a smoke test, not a timing test)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from seldon_graphs import api

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_compile.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_compile", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_compile"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("shape", ["combiner", "router"])
@pytest.mark.parametrize("n", [5, 6, 50])
def test_generated_graph_is_valid_with_exactly_n_nodes(
    bench: ModuleType, tmp_path: Path, shape: str, n: int
) -> None:
    file = bench.project(tmp_path)
    text = bench.generate_graph(n, shape)
    file.write_text(text, encoding="utf-8")
    result = api.analyze(file)
    assert result.ok, result.render()
    assert not [d for d in result.diagnostics if d.is_error]
    assert result.spec is not None and result.tree is not None
    assert len(result.spec.nodes) == n
    assert sorted(t.name for t in result.tree.walk()) == sorted(x.name for x in result.spec.nodes)
    assert result.tree.depth() <= 11


def test_the_table_prints(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sizes", "10,20", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "nodes" in out and "yaml.safe_load" in out
    assert len([line for line in out.splitlines() if line.strip().startswith(("10 ", "20 "))]) == 2
