"""`make bench`'s driver: each target read from its benchmark's JSON, judged, and tabled with
min / median / max over runs; a benchmark that fails is reported, not fatal (not a timing
test: the load benchmarks themselves are not run here)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.helpers import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_all.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script(SCRIPT)


def _load(rps: float, error_rate: float = 0.0, **more: float) -> dict[str, float]:
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": 2.0, "error_rate": error_rate, **more}


def results(scale: float = 1.0) -> dict[str, Any]:
    """One run's results, shaped as each benchmark's --json prints them."""
    startup = {
        "python -c pass": [[0.02, 0.02]] * 3,
        "import networkx, yaml": [[0.19, 0.18]] * 3,
        "seldon-graphs validate graphs/iris.yaml": [[0.15 * scale, 0.14]] * 3,
        "seldon-graphs validate graphs/income.yaml": [[0.30, 0.28]] * 3,
    }
    return {
        "compile": {
            "c_loader": "CSafeLoader",
            "rows": [
                {"nodes": 10, "runs": 5, "compile": 0.005, "safe_load": 0.002, "c_load": 0.0003},
                {"nodes": 1000, "runs": 5, "compile": 0.14 * scale, "safe_load": 0.15,
                 "c_load": 0.02},
            ],
            "startup": startup,
        },
        "nodes": {"16": {
            "stock seldon-core-microservice": _load(200, node_cpu_ms=0.9),
            "seldon-graphs launcher": _load(500 / scale, 0.01, node_cpu_ms=0.4),
        }},
        "process": {"16": {
            "baseline (main, stock nodes)": _load(100),
            "this checkout": _load(150 / scale),
        }},
        "runtime": {
            "(a) direct node calls (sum of 3)": {"1": {**_load(300), "client_cpu_ms": 0.5}},
            "(b) executor, process runtime": {"1": {**_load(200), "p50_ms": 1.8 * scale,
                                                    "cpu_ms": 0.8}},
        },
        "clients": {
            "http1 (ours)": {"1": {"cpu_us": 160.0, "rps": 1, "error_rate": 0.0}},
            "http1 hand-written (main)": {"1": {"cpu_us": 150.0, "rps": 1, "error_rate": 0.0}},
            "aiohttp pooled": {"1": {"cpu_us": 330.0, "rps": 1, "error_rate": 0.0}},
            "httptools + asyncio": {"1": {"cpu_us": 150.0, "rps": 1, "error_rate": 0.0}},
        },
    }  # fmt: skip


def _row(bench: ModuleType, rows: list[Any], label_start: str) -> Any:
    (row,) = [r for r in rows if r.target.label.startswith(label_start)]
    return row


def test_every_target_of_issue_14_has_a_row(bench: ModuleType) -> None:
    labels = [t.label for t in bench.TARGETS]
    assert labels == [
        "node: launcher >= 2x stock req/s, c=16",
        "executor <= 0.6 ms CPU/request, c=1",
        "executor p50 overhead <= 0.5 ms, c=1",
        "process runtime >= 2x today's req/s, c=16",
        "validate iris.yaml (1 node) <= 200 ms",
        "validate income.yaml (flow) <= 200 ms",
        "compile 1,000 nodes <= 150 ms CPU",
        "http1.py kept only if no library within 10%",
    ]


def test_one_run_is_judged_target_by_target(bench: ModuleType) -> None:
    rows = bench.collect([results()])
    assert [(round(f.value, 3), f.met) for f in (r.figures[0] for r in rows)] == [
        (2.5, True),  # launcher 500 / stock 200
        (0.8, False),  # executor CPU
        (0.8, False),  # p50 1.8 - 1.0
        (1.5, False),  # process 150 / 100
        (150.0, True),  # validate iris, median wall
        (300.0, False),  # validate income
        (140.0, True),  # compile
        (0.938, True),  # httptools within 10 %: http1.py already parses with it
    ]
    assert rows[6].figures[0].baseline == (
        "same text: CSafeLoader (libyaml) load 20.0 ms, yaml.safe_load (pure Python) 150.0 ms"
    )
    assert "errors 0.00% / 1.00%" in rows[0].figures[0].baseline
    assert rows[4].figures[0].baseline == (
        "wall / CPU ms: python -c pass 20 / 20, import networkx, yaml 190 / 180, "
        "this 150 / 140; medians of 3 runs"
    )


def test_a_library_within_10_percent_that_ours_is_not_built_on_fails_the_rule(
    bench: ModuleType,
) -> None:
    result = results()["clients"]
    result["aiohttp pooled"]["1"]["cpu_us"] = 100.0
    figure = bench.client_rule(result)
    assert (round(figure.value, 3), figure.met) == (0.625, False)
    assert figure.baseline.endswith("aiohttp pooled 100 us: aiohttp pooled within 10 %")


def test_three_runs_give_min_median_max_and_the_median_decides(bench: ModuleType) -> None:
    rows = bench.collect([results(1.0), results(1.2), results(0.9)])
    compile_row = _row(bench, rows, "compile")
    assert bench.figure_cell(compile_row) == "126.00 ms / 140.00 ms / 168.00 ms"
    assert bench.status_cell(compile_row) == "met (2 of 3 runs)"
    assert bench.status_cell(_row(bench, rows, "validate iris")) == "met (3 of 3 runs)"
    assert bench.status_cell(_row(bench, rows, "process")) == "NOT MET (0 of 3 runs)"
    node = _row(bench, rows, "node")
    assert bench.figure_cell(node) == "2.08x / 2.50x / 2.78x"


def test_a_failed_benchmark_is_reported_in_its_rows(bench: ModuleType) -> None:
    broken = results()
    broken["nodes"] = {"error": "exit 1: OSError: address in use"}
    del broken["clients"]["http1 (ours)"]
    rows = bench.collect([broken, results()])
    node = _row(bench, rows, "node")
    assert bench.status_cell(node) == "met; 1 run(s) failed"
    rows = bench.collect([broken])
    assert bench.status_cell(_row(bench, rows, "node")) == (
        "not measured: exit 1: OSError: address in use"
    )
    assert bench.status_cell(_row(bench, rows, "http1")).startswith(
        "not measured: no figure in its output (KeyError"
    )
    text = bench.table(rows, 1)
    assert "not measured: exit 1: OSError: address in use" in text
    assert text.splitlines()[-1].startswith("machine: ")


def test_a_real_benchmark_runs_as_a_step_and_its_figures_are_read(bench: ModuleType) -> None:
    step = bench.Step(
        "compile", ("bench_compile.py", "--sizes", "10", "--runs", "1", "--startup-runs", "1",
                    "--json"), 120,
    )  # fmt: skip
    result = bench.run_step(step, bench.bytecode_env())
    assert [r["nodes"] for r in result["rows"]] == [10]
    rows = bench.collect([{"compile": result}])
    iris = _row(bench, rows, "validate iris")
    assert len(iris.figures) == 1 and iris.figures[0].value > 0
    compile_row = _row(bench, rows, "compile")
    assert compile_row.figures == []  # no 1,000-node row at these sizes
    assert bench.status_cell(compile_row).startswith("not measured: no figure in its output")


def test_a_step_over_its_limit_or_failing_is_an_error_not_a_crash(bench: ModuleType) -> None:
    slow = bench.Step("compile", ("bench_compile.py", "--sizes", "1000", "--json"), 0.01)
    assert bench.run_step(slow, bench.bytecode_env()) == {"error": "did not finish within 0.01 s"}
    bad = bench.Step("compile", ("bench_compile.py", "--no-such-flag"), 60)
    error = bench.run_step(bad, bench.bytecode_env())["error"]
    assert error.startswith("exit 2: ") and "--no-such-flag" in error


def test_saved_results_are_tabled_again_without_running_anything(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps([results(), results(1.2), results(0.9)]), encoding="utf-8")
    assert bench.main(["--from-raw", str(raw)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "issue 14 targets, 3 run(s), each against its baseline from the same run"
    assert lines[1].split(" | ")[1].strip() == "min / median / max"
    compile_line = next(line for line in lines if line.startswith("compile 1,000 nodes"))
    cells = [c.strip() for c in compile_line.split(" | ")]
    assert cells[1:3] == ["126.00 ms / 140.00 ms / 168.00 ms", "met (2 of 3 runs)"]
    assert cells[3].startswith("same text: CSafeLoader (libyaml) load 20.0 ms")
