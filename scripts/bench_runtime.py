"""Benchmark the local runtimes on a 3-node chain (tin -> m -> out), side by side.

    .venv/bin/python scripts/bench_runtime.py [--requests 2000] [--json]

Rows, each at concurrency 1 and 16 (p50 / p99 latency in ms, requests per second):
  (a) direct     the client calls the three node processes itself, one after another
                 (the latency of one "request" is the sum of the three calls)
  (b) executor   the client calls our executor (process runtime), which calls the nodes
  (b0) the same on asyncio's own event loop (SELDON_GRAPHS_LOOP=asyncio): the baseline
                 of (b)'s loop, with nodes of its own, interleaved with (a) and (b)
  (c) in-process InProcessGraph.predict in this process (no HTTP anywhere)
  (d) in-process behind our HTTP server (what `run --runtime inprocess` serves)
The load generator (scripts/bench_load.py) runs in a separate process (asyncio, the
executor's own HTTP client, keep-alive) so it does not share a GIL with the executor; runs
are bounded in count and time, calls have timeouts, errors are counted. Executor CPU: this
process's (it hosts the executor and nothing else while (a)/(b) run). Targets:
(b) p50 - (a) p50 <= 0.5 ms at concurrency 1; executor CPU <= 0.6 ms per request;
(c) >= 2,000 req/s. Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import bench_load

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NODE, GRAPH = bench_load.CHAIN_NODE, bench_load.CHAIN_GRAPH
BODY = b'{"data":{"ndarray":[[1.0,2.0,3.0,4.0]]}}'
CONCURRENCY = (1, 16)
DIRECT = "(a) direct node calls (sum of 3)"
EXECUTOR = "(b) executor, process runtime"
ASYNCIO = "(b0) same, asyncio's own loop"
# (row, event loop): the executor as it runs (SELDON_GRAPHS_LOOP's loop, uvloop by default)
# and, as the same-run baseline, on asyncio's selector loop; each with nodes of its own.
EXECUTORS = ((EXECUTOR, None), (ASYNCIO, "asyncio"))


def run_client(steps: list[str], total: int, concurrency: int) -> dict[str, Any]:
    """One bounded run of the shared load generator (scripts/bench_load.py)."""
    spec = {
        "steps": steps,
        "total": total,
        "concurrency": concurrency,
        "seconds": 60,
        "timeout": 10,
    }
    return bench_load.run_load(spec)


def _summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "rps": len(ordered) / elapsed,
    }


def interleaved(
    targets: dict[str, list[str]], total: int, concurrency: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Alternate short runs of each target, so drifting machine load hits them alike."""
    latencies: dict[str, list[float]] = {name: [] for name in targets}
    elapsed = dict.fromkeys(targets, 0.0)
    cpu = dict.fromkeys(targets, 0.0)
    client_cpu = dict.fromkeys(targets, 0.0)
    served = dict.fromkeys(targets, 0)  # requests the executor answered, warm-ups included
    errors = dict.fromkeys(targets, 0)
    for _ in range(rounds):
        for name, steps in targets.items():
            before = time.process_time()  # this process hosts the executor, nothing else
            run = run_client(steps, max(1, total // rounds), concurrency)
            cpu[name] += time.process_time() - before
            client_cpu[name] += run["client_cpu"]
            latencies[name] += run["latencies"]
            served[name] += len(run["latencies"]) + run["warmup"]
            errors[name] += run["errors"]
            elapsed[name] += run["elapsed"]
    out = {}
    for name in targets:
        out[name] = _summary(latencies[name], elapsed[name])
        out[name]["cpu_ms"] = cpu[name] / served[name] * 1000
        out[name]["client_cpu_ms"] = client_cpu[name] / max(1, len(latencies[name])) * 1000
        out[name]["error_rate"] = errors[name] / max(1, errors[name] + len(latencies[name]))
    return out


# --- the runtimes ----------------------------------------------------------------------------
def process_executor(graph: Any, options: Any, loop: str | None) -> Any:
    from seldon_graphs.runtime.process import ProcessBackend
    from seldon_graphs.runtime.server import GraphServer, ServerThread

    return ServerThread(GraphServer(ProcessBackend(graph.spec, graph.tree), options), loop)


def project(folder: Path) -> Any:
    from seldon_graphs import api

    (folder / "Affine.py").write_text(NODE)
    (folder / "graph.yaml").write_text(GRAPH)
    return api.load(folder / "graph.yaml")


def bench_inprocess_direct(graph: Any, total: int, concurrency: int) -> dict[str, float]:
    from seldon_graphs.runtime.inprocess import InProcessGraph

    g = InProcessGraph(graph.spec, graph.tree)
    payload = json.loads(BODY)
    for _ in range(50):
        g.predict(payload)
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = total // concurrency

    def worker() -> None:
        mine = []
        for _ in range(per_thread):
            start = time.perf_counter()
            g.predict(payload)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _summary(latencies, time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per row and concurrency")
    parser.add_argument("--rounds", type=int, default=5, help="(a)/(b) alternations")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    from seldon_graphs.runtime.inprocess import InProcessBackend
    from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread

    rows: dict[str, dict[int, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="seldon-graphs-bench-") as tmp:
        graph = project(Path(tmp))
        options = ServerOptions(port=0, name="bench", namespace="bench", max_concurrency=256)
        executors = {row: process_executor(graph, options, loop) for row, loop in EXECUTORS}
        try:
            urls = {row: executor.start() for row, executor in executors.items()}
            nodes = executors[EXECUTOR].server.backend.nodes  # type: ignore[attr-defined]
            paths = {"tin": "/transform-input", "m": "/transform-input", "out": "/predict"}
            targets = {DIRECT: [nodes[n].url + paths[n] for n in ("tin", "m", "out")]}
            targets.update({row: [url + "/api/v1.0/predictions"] for row, url in urls.items()})
            for c in CONCURRENCY:
                for name, summary in interleaved(targets, args.requests, c, args.rounds).items():
                    rows.setdefault(name, {})[c] = summary
        finally:
            for executor in executors.values():
                executor.stop()
        rows["(c) in-process runtime (no HTTP)"] = {
            c: bench_inprocess_direct(graph, args.requests * 2, c) for c in CONCURRENCY
        }
        local = ServerThread(GraphServer(InProcessBackend(graph.spec, graph.tree), options))
        url = local.start()
        try:
            target = {"(d) in-process runtime via HTTP": [url + "/api/v1.0/predictions"]}
            for c in CONCURRENCY:
                for name, summary in interleaved(target, args.requests, c, 1).items():
                    rows.setdefault(name, {})[c] = summary
        finally:
            local.stop()
    rows = {name: rows[name] for name in sorted(rows)}
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(table(rows))
    return 0


def table(rows: dict[str, dict[int, dict[str, float]]]) -> str:
    head = f"{'':36}" + "".join(f"| c={c:<2} p50 ms  p99 ms   req/s  errors " for c in CONCURRENCY)
    lines = [head, "-" * len(head)]
    for name, by_c in rows.items():
        cells = "".join(
            f"| {by_c[c]['p50_ms']:>10.2f} {by_c[c]['p99_ms']:>7.2f} {by_c[c]['rps']:>7.0f} "
            f"{by_c[c].get('error_rate', 0.0):>7.2%} "
            for c in CONCURRENCY
        )
        lines.append(f"{name:36}{cells}")
    a = rows[DIRECT][1]["p50_ms"]
    c = rows["(c) in-process runtime (no HTTP)"][1]["rps"]
    direct_cpu = rows[DIRECT][1]["client_cpu_ms"]
    lines.append("")
    for row, target in ((EXECUTOR, " (target <= 0.5 ms)"), (ASYNCIO, "")):
        lines.append(f"{row[:4]} overhead at c=1: {rows[row][1]['p50_ms'] - a:+.2f} ms p50{target}")
    for row, target in ((EXECUTOR, " (target <= 0.6 ms)"), (ASYNCIO, "")):
        cpu = rows[row][1]["cpu_ms"]
        lines.append(
            f"{row[:4]} CPU per request at c=1: {cpu:.2f} ms{target}; a client making the same "
            f"3 node calls itself {direct_cpu:.2f} ms (difference {cpu - direct_cpu:+.2f} ms)"
        )
    lines.append(f"in-process runtime at c=1: {c:,.0f} req/s (target >= 2,000)")
    served = rows["(d) in-process runtime via HTTP"][1]["cpu_ms"]
    lines.append(f"CPU per request at c=1, (d) server + in-process graph: {served:.2f} ms")
    lines.append(bench_load.machine())
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
