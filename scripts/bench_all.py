#!/usr/bin/env python3
"""Every target of issue 14 in one table, each against its baseline measured in the same run
(`make bench`).

    .venv/bin/python scripts/bench_all.py [--runs 3] [--only compile,nodes,...] [--raw FILE]
                                          [--extra DIR]  (httpx for bench_clients.py)

Runs the benchmarks below, each in a process of its own with bounded sizes and a wall limit,
and reads their `--json` output; `--runs N` repeats the whole set N times and the table gives
min / median / max of every figure (the status is judged on the median, with how many runs
met it). A benchmark that fails or overruns its limit is reported in the table, not fatal.

    compile  scripts/bench_compile.py  compile 1,000 nodes (CPU) against libyaml's and PyYAML's
                                       pure-Python loaders on the same text; `validate` start-up
                                       (wall) against `python -c pass` and `import networkx,
                                       yaml`, interleaved, bytecode cached
    nodes    scripts/bench_nodes.py    one node: the launcher against stock
                                       seldon-core-microservice, same class, c=16
    process  scripts/bench_process.py  process runtime, 3-node chain: this checkout against
                                       the issue's "today" (main before its first merge:
                                       stock nodes, the executor as it was), c=16
    runtime  scripts/bench_runtime.py  executor CPU per request and p50 overhead at c=1 against
                                       a client calling the three nodes itself
    clients  scripts/bench_clients.py  runtime/http1.py against kept libraries, CPU per call

Every load run is bounded in count (--requests) and time (--seconds), every request has a
timeout (--timeout), and errors are counted, not fatal: the table gives the error rates.
With the default sizes one run took 4.6 minutes on the 2-core development machine at load
average ~18, and 8-10 minutes at ~21 with a test suite running alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
STOCK, OURS = "stock seldon-core-microservice", "seldon-graphs launcher"
NOW = "this checkout"
DIRECT, EXECUTOR = "(a) direct node calls (sum of 3)", "(b) executor, process runtime"
OUR_CLIENT, HTTPTOOLS = "http1 (ours)", "httptools + asyncio"
# "Today" of the issue's process-runtime target: main before issue 14's first merge (perf:
# the node launcher). Today's main already has it, so a main baseline would measure ~1x.
PROCESS_BASELINE = "bbd1f2a^1"
VALIDATE_SMALL = "seldon-graphs validate graphs/iris.yaml"
VALIDATE_FLOW = "seldon-graphs validate graphs/income.yaml"


@dataclass(frozen=True)
class Step:
    """One benchmark: its script, its arguments (sizes and bounds) and its wall limit."""

    name: str
    argv: tuple[str, ...]
    limit_s: float


def steps(args: argparse.Namespace) -> list[Step]:
    bounds = ("--seconds", str(args.seconds), "--timeout", str(args.timeout), "--json")
    load = ("--requests", str(args.requests), "--rounds", str(args.rounds), *bounds)
    calls = ("--calls", str(args.requests), "--rounds", str(args.rounds), *bounds)
    sizes = ("--sizes", "10,100,1000", "--runs", "5", "--startup-runs", "10", "--json")
    runtime = ("--requests", str(args.requests // 2), "--rounds", str(args.rounds), "--json")
    return [
        Step("compile", ("bench_compile.py", *sizes), 300),
        Step("nodes", ("bench_nodes.py", *load, "--concurrency", "16"), 300),
        Step(
            "process",
            ("bench_process.py", *load, "--concurrency", "16", "--baseline-rev", args.baseline),
            300,
        ),
        Step("runtime", ("bench_runtime.py", *runtime), 480),  # its runs: 60 s, 10 s per call
        Step("clients", ("bench_clients.py", *calls), 300),
    ]


def bytecode_env() -> dict[str, str]:
    """This environment with Python's bytecode cache on: start-up is timed as an installed
    CLI runs after its first start, not compiling its sources every time."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_step(step: Step, env: dict[str, str]) -> dict[str, Any]:
    """The step's JSON figures, or {"error": why} when it failed or overran its limit."""
    argv = [sys.executable, str(SCRIPTS / step.argv[0]), *step.argv[1:]]
    try:
        done = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=step.limit_s
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {step.limit_s:g} s"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {tail}"}
    try:
        out: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        return {"error": "its output was not JSON"}
    return out


# --- figures: one per target, from one run's results ------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One run's measure of one target, whether it met the target, and the same run's
    baseline in words."""

    value: float
    met: bool
    baseline: str


@dataclass(frozen=True)
class Target:
    """A target of issue 14 and how to read its figure from one run's results."""

    label: str
    step: str
    unit: str  # "x", "ms", "us"
    read: Callable[[dict[str, Any]], Figure]


def _errors(*rows: dict[str, Any]) -> str:
    return "errors " + " / ".join(f"{r.get('error_rate', 0.0):.2%}" for r in rows)


def _at(result: dict[str, Any], c: int) -> dict[str, Any]:
    by_c: dict[str, Any] = result[str(c)]
    return by_c


def _twice_as_fast(now: dict[str, Any], then: dict[str, Any], names: str, more: str) -> Figure:
    """`now` against `then` in req/s, the target being 2x; `names` says which is which."""
    ratio = now["rps"] / then["rps"]
    said = names.format(then=f"{then['rps']:.0f}", now=f"{now['rps']:.0f}")
    return Figure(ratio, ratio >= 2.0, f"{said}; {more}{_errors(then, now)}")


def node_ratio(result: dict[str, Any]) -> Figure:
    ours, stock = _at(result, 16)[OURS], _at(result, 16)[STOCK]
    cpu = f"node CPU {stock['node_cpu_ms']:.2f} vs {ours['node_cpu_ms']:.2f} ms/req; "
    return _twice_as_fast(ours, stock, "stock {then} req/s, launcher {now}", cpu)


def process_ratio(result: dict[str, Any]) -> Figure:
    by_label = _at(result, 16)
    (then_label,) = [label for label in by_label if label != NOW]
    names = then_label + " {then} req/s, this checkout {now}"
    return _twice_as_fast(by_label[NOW], by_label[then_label], names, "")


def executor_cpu(result: dict[str, Any]) -> Figure:
    executor, direct = result[EXECUTOR]["1"], result[DIRECT]["1"]
    return Figure(
        executor["cpu_ms"],
        executor["cpu_ms"] <= 0.6,
        f"a client making the 3 calls itself {direct['client_cpu_ms']:.2f} ms; "
        f"{_errors(direct, executor)}",
    )


def executor_p50(result: dict[str, Any]) -> Figure:
    executor, direct = result[EXECUTOR]["1"], result[DIRECT]["1"]
    overhead = executor["p50_ms"] - direct["p50_ms"]
    return Figure(
        overhead,
        overhead <= 0.5,
        f"direct calls p50 {direct['p50_ms']:.2f} ms, executor {executor['p50_ms']:.2f} ms",
    )


def client_rule(result: dict[str, Any]) -> Figure:
    """The best library's CPU per call over ours at c=1. The rule holds when none comes
    within 10 %, or when the one that does is httptools' parser, which runtime/http1.py
    already parses with (issue 14, round 2)."""
    ours = result[OUR_CLIENT]["1"]["cpu_us"]
    libraries = {c: r["1"]["cpu_us"] for c, r in result.items() if not c.startswith("http1")}
    best = min(libraries, key=libraries.__getitem__)
    ratio = libraries[best] / ours
    verdict = f"{best} within 10 %" if ratio <= 1.10 else "none within 10 %"
    return Figure(
        ratio,
        ratio > 1.10 or best == HTTPTOOLS,
        f"ours {ours:.0f} us, best library {best} {libraries[best]:.0f} us: {verdict}",
    )


def validate_wall(label: str) -> Callable[[dict[str, Any]], Figure]:
    def read(result: dict[str, Any]) -> Figure:
        times = result["startup"]
        wall = {name: statistics.median(w for w, _ in runs) * 1e3 for name, runs in times.items()}
        cpu = {name: statistics.median(c for _, c in runs) * 1e3 for name, runs in times.items()}
        base, libs = "python -c pass", "import networkx, yaml"
        return Figure(
            wall[label],
            wall[label] <= 200.0,
            f"wall / CPU ms: {base} {wall[base]:.0f} / {cpu[base]:.0f}, {libs} "
            f"{wall[libs]:.0f} / {cpu[libs]:.0f}, this {wall[label]:.0f} / {cpu[label]:.0f}; "
            f"medians of {len(times[label])} runs",
        )

    return read


def compile_cpu(result: dict[str, Any]) -> Figure:
    row = next(r for r in result["rows"] if r["nodes"] == 1000)
    return Figure(
        row["compile"] * 1e3,
        row["compile"] <= 0.150,
        f"same text: {result['c_loader']} (libyaml) load {row['c_load'] * 1e3:.1f} ms, "
        f"yaml.safe_load (pure Python) {row['safe_load'] * 1e3:.1f} ms",
    )


TARGETS = (
    Target("node: launcher >= 2x stock req/s, c=16", "nodes", "x", node_ratio),
    Target("executor <= 0.6 ms CPU/request, c=1", "runtime", "ms", executor_cpu),
    Target("executor p50 overhead <= 0.5 ms, c=1", "runtime", "ms", executor_p50),
    Target("process runtime >= 2x today's req/s, c=16", "process", "x", process_ratio),
    Target("validate iris.yaml (1 node) <= 200 ms", "compile", "ms", validate_wall(VALIDATE_SMALL)),
    Target("validate income.yaml (flow) <= 200 ms", "compile", "ms", validate_wall(VALIDATE_FLOW)),
    Target("compile 1,000 nodes <= 150 ms CPU", "compile", "ms", compile_cpu),
    Target("http1.py kept only if no library within 10%", "clients", "x", client_rule),
)


# --- the table ----------------------------------------------------------------------------------


@dataclass
class Row:
    target: Target
    figures: list[Figure] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def collect(runs: Sequence[dict[str, dict[str, Any]]]) -> list[Row]:
    rows = [Row(t) for t in TARGETS]
    for results in runs:
        for row in rows:
            result = results.get(row.target.step, {"error": "not run"})
            if "error" in result:
                row.failures.append(str(result["error"]))
                continue
            try:
                row.figures.append(row.target.read(result))
            except (KeyError, ValueError, ZeroDivisionError, StopIteration) as exc:
                row.failures.append(f"no figure in its output ({type(exc).__name__}: {exc})")
    return rows


def _value(value: float, unit: str) -> str:
    return f"{value:.2f}x" if unit == "x" else f"{value:.2f} {unit}"


def figure_cell(row: Row) -> str:
    values = sorted(f.value for f in row.figures)
    if not values:
        return "-"
    if len(values) == 1:
        return _value(values[0], row.target.unit)
    mid = statistics.median(values)
    unit = row.target.unit
    return f"{_value(values[0], unit)} / {_value(mid, unit)} / {_value(values[-1], unit)}"


def status_cell(row: Row) -> str:
    if not row.figures:
        return "not measured: " + (row.failures[0] if row.failures else "no run")
    met = sum(f.met for f in row.figures)
    ordered = sorted(row.figures, key=lambda f: f.value)
    median = ordered[(len(ordered) - 1) // 2] if len(ordered) % 2 else None
    verdict = median.met if median is not None else met * 2 > len(row.figures)
    counted = f" ({met} of {len(row.figures)} runs)" if len(row.figures) > 1 else ""
    failed = f"; {len(row.failures)} run(s) failed" if row.failures else ""
    return ("met" if verdict else "NOT MET") + counted + failed


def _cells(row: Row) -> tuple[str, str, str, str]:
    baseline = row.figures[-1].baseline if row.figures else ""
    return row.target.label, figure_cell(row), status_cell(row), baseline


def table(rows: list[Row], runs: int) -> str:
    cols = [_cells(r) for r in rows]
    head = ("target", "min / median / max" if runs > 1 else "figure", "status", "")
    widths = [max(len(c[i]) for c in [head, *cols]) for i in range(3)]
    lines = [f"issue 14 targets, {runs} run(s), each against its baseline from the same run"]
    for i, cells in enumerate([(*head[:3], "same-run baseline (last run)"), *cols]):
        lines.append(" | ".join(c.ljust(w) for c, w in zip(cells, [*widths, 0], strict=True)))
        lines += ["-" * len(lines[-1])] if i == 0 else []
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines.append(f"machine: {os.cpu_count()} CPUs, load average {load}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1, help="times the whole set is run")
    parser.add_argument("--requests", type=int, default=1200, help="per load target and c")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of targets")
    parser.add_argument("--seconds", type=float, default=15.0, help="wall limit of one load run")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout (s)")
    parser.add_argument("--only", help="comma-separated steps (compile,nodes,process,...)")
    parser.add_argument("--raw", type=Path, help="also write every run's results here (JSON)")
    parser.add_argument("--from-raw", type=Path, help="table the results --raw wrote; run none")
    parser.add_argument("--baseline", default=PROCESS_BASELINE, help="bench_process's baseline")
    parser.add_argument(
        "--extra", metavar="DIR", help="a folder with httpx, for the client comparison only"
    )
    args = parser.parse_args(argv)
    chosen = [s for s in steps(args) if not args.only or s.name in args.only.split(",")]
    if args.from_raw:
        saved = json.loads(args.from_raw.read_text(encoding="utf-8"))
        print(table(collect(saved), len(saved)))
        return 0
    env = bytecode_env()
    extra = {**env, "PYTHONPATH": args.extra} if args.extra else env
    runs: list[dict[str, dict[str, Any]]] = []
    for n in range(args.runs):
        results: dict[str, dict[str, Any]] = {}
        for step in chosen:
            started = time.monotonic()
            results[step.name] = run_step(step, extra if step.name == "clients" else env)
            state = results[step.name].get("error", "done")
            took = time.monotonic() - started
            print(f"run {n + 1}/{args.runs}: {step.name} {state} ({took:.0f} s)", flush=True)
        runs.append(results)
    if args.raw:
        args.raw.write_text(json.dumps(runs, indent=2), encoding="utf-8")
    wanted = {s.name for s in chosen}
    print(table([r for r in collect(runs) if r.target.step in wanted], args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
