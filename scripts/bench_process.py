"""Benchmark the process runtime against itself as it was: the same 3-node chain served by
this checkout and by a baseline revision (default `main`: stock seldon-core-microservice
nodes, the executor as it was), side by side in the same run.

    .venv/bin/python scripts/bench_process.py [--baseline-rev main] [--requests 3000]

Each side is a `seldon-graphs run --runtime process` process of its own (the baseline's
code is `git archive`d into a temporary folder and put first on PYTHONPATH; the same venv).
The load generator (scripts/bench_load.py) alternates short runs on each, round after round.
Every run is bounded in count and time, every call has a timeout, errors are counted.
Executor CPU is the `run` process's own, node CPU that of every process below it, both per
answered request. Target: this checkout >= 2x the baseline's requests per second at c=16.
`SELDON_GRAPHS_LAUNCHER=stock` makes this checkout's nodes stock ones too (the executor's
share alone). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_load

ROOT = Path(__file__).resolve().parent.parent
NODE, GRAPH = bench_load.CHAIN_NODE, bench_load.CHAIN_GRAPH
UP = re.compile(r"is up on (http://127\.0\.0\.1:\d+)")
START_TIMEOUT = 180.0


class Served:
    """One `seldon-graphs run` of the graph, with the code found first on `pythonpath`."""

    def __init__(self, label: str, folder: Path, pythonpath: str) -> None:
        self.label = label
        env = dict(os.environ, PYTHONPATH=pythonpath, PYTHONUNBUFFERED="1")
        code = "import sys; from seldon_graphs.cli import main; sys.exit(main())"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                "run",
                "graph.yaml",
                "--runtime",
                "process",
                "--port",
                "0",
            ],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.url = self._wait_up()

    def _wait_up(self) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        seen = []
        for line in self.proc.stdout:  # the announcement comes once every node is ready
            seen.append(line)
            found = UP.search(line)
            if found:
                return found.group(1)
            if time.monotonic() > deadline:
                break
        self.stop()
        raise RuntimeError(f"{self.label} did not start:\n{''.join(seen[-20:])}")

    def cpu(self) -> tuple[float, float]:
        """(executor, nodes) CPU seconds so far."""
        own = bench_load.cpu_seconds([self.proc.pid], below=False)
        return own, bench_load.cpu_seconds([self.proc.pid]) - own

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # run's own shutdown stops its nodes
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


def baseline_code(rev: str, into: Path) -> Path:
    """The baseline revision's package (git archive: nothing in the checkout changes)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "seldon_graphs", "wrappers"],
        capture_output=True,
        check=True,
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def measure(
    sides: list[Served], concurrency: int, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    runs: dict[str, list[dict[str, Any]]] = {s.label: [] for s in sides}
    cpu = {s.label: [0.0, 0.0] for s in sides}
    for _ in range(args.rounds):
        for side in sides:
            spec = bench_load.load_spec(args, [side.url + "/api/v1.0/predictions"], concurrency)
            before = side.cpu()
            runs[side.label].append(bench_load.run_load(spec))
            after = side.cpu()
            cpu[side.label][0] += after[0] - before[0]
            cpu[side.label][1] += after[1] - before[1]
    out = {}
    for label, results in runs.items():
        out[label] = bench_load.summary(results)
        served = max(1, int(out[label]["requests"]) + sum(r["warmup"] for r in results))
        out[label]["executor_cpu_ms"] = cpu[label][0] / served * 1000
        out[label]["node_cpu_ms"] = cpu[label][1] / served * 1000
    return out


def table(rows: dict[int, dict[str, dict[str, float]]], now: str, then: str) -> str:
    head = (
        f"{'process runtime, 3-node chain':40} {'c':>3} {'req/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'errors':>7} {'executor CPU':>12} {'node CPU':>9}"
    )
    lines = [head]
    for c, by_label in rows.items():
        for label, r in by_label.items():
            lines.append(
                f"{label:40} {c:>3} {r['rps']:>7.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
                f"{r['error_rate']:>7.2%} {r['executor_cpu_ms']:>9.3f} ms "
                f"{r['node_cpu_ms']:>6.3f} ms"
            )
    for c, by_label in rows.items():
        base = by_label[then]["rps"]
        ratio = by_label[now]["rps"] / base if base else 0.0
        target = " (target >= 2x)" if c == 16 else ""
        lines.append(f"c={c}: this checkout / baseline = {ratio:.2f}x req/s{target}")
    lines.append(bench_load.machine())
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-rev", default="main", help="git revision of the baseline")
    bench_load.load_options(parser, requests=3000, rounds=5)
    args = parser.parse_args()
    now, then = "this checkout", f"baseline ({args.baseline_rev}, stock nodes)"
    with tempfile.TemporaryDirectory(prefix="seldon-graphs-bench-") as tmp:
        folder = Path(tmp)
        (folder / "Affine.py").write_text(NODE)
        (folder / "graph.yaml").write_text(GRAPH)
        old = baseline_code(args.baseline_rev, folder / "baseline")
        sides: list[Served] = []
        try:
            sides.append(Served(then, folder, str(old)))
            sides.append(Served(now, folder, str(ROOT)))
            concurrency = [int(x) for x in args.concurrency.split(",")]
            rows = {c: measure(sides, c, args) for c in concurrency}
        finally:
            for side in sides:
                side.stop()
    print(json.dumps(rows, indent=2) if args.json else table(rows, now, then))
    return 0


if __name__ == "__main__":
    sys.exit(main())
