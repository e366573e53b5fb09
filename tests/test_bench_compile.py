"""The benchmark's graph generator makes valid graphs (a smoke test, not a timing test)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from seldon_graphs import api
from tests.helpers import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_compile.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script(SCRIPT)


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
    assert bench.main(["--sizes", "10,20", "--runs", "1", "--startup-runs", "0"]) == 0
    out = capsys.readouterr().out
    assert "nodes" in out and "safe_load (pure)" in out and "CSafeLoader (C)" in out
    assert len([line for line in out.splitlines() if line.strip().startswith(("10 ", "20 "))]) == 2
    assert "target:" not in out and "CLI start-up" not in out  # no 1,000-node row, no runs


def test_the_compile_target_is_judged_on_the_1000_node_row(bench: ModuleType) -> None:
    rows = [{"nodes": 10, "compile": 0.01, "safe_load": 0.001, "c_load": 0.0005}]
    assert bench.compile_target(rows) is None
    rows.append({"nodes": 1000, "compile": 0.2, "safe_load": 0.1, "c_load": 0.01})
    assert bench.compile_target(rows) == (
        "target: compile 1,000 nodes <= 150.0 ms CPU: 200.0 ms (MISSED); "
        "same run: safe_load (pure) 100.0 ms, CSafeLoader 10.0 ms"
    )


def test_cli_start_up_is_timed_against_its_baselines(bench: ModuleType) -> None:
    times = bench.startup(runs=2)
    assert list(times) == [
        "python -c pass",
        "import networkx, yaml",
        "seldon-graphs validate graphs/iris.yaml",
        "seldon-graphs validate graphs/income.yaml",
    ]
    assert all(len(samples) == 2 for samples in times.values())
    assert all(wall > 0 and cpu > 0 for s in times.values() for wall, cpu in s)
    lines = bench.startup_table(times).splitlines()
    firsts = [line.split()[0] for line in lines[2:6]]
    assert firsts == ["python", "import", "seldon-graphs", "seldon-graphs"]
    assert lines[6].startswith("target: validate graphs/iris.yaml <= 200.0 ms wall: ")


def test_the_figures_print_as_json(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sizes", "10", "--runs", "1", "--startup-runs", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["c_loader"] == "CSafeLoader" and out["startup"] == {}
    assert [r["nodes"] for r in out["rows"]] == [10]
    assert set(out["rows"][0]) == {"nodes", "runs", "compile", "safe_load", "c_load"}


def test_the_start_up_loop_stops_at_its_budget(bench: ModuleType) -> None:
    times = bench.startup(runs=1000, budget=0.0)
    assert {len(samples) for samples in times.values()} == {1}


def test_a_failing_start_up_fails_the_benchmark(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "STARTUP_GRAPH", "graphs/no-such-graph.yaml")
    with pytest.raises(subprocess.CalledProcessError):
        bench.startup(runs=1)
