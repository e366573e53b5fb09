"""Benchmark one node: our launcher against stock `seldon-core-microservice`, same class.

    .venv/bin/python scripts/bench_nodes.py [--requests 3000] [--rounds 5] [--seconds 20]

Both nodes run the same class (y = X * 2 + 1, no custom metrics) from the same generated
entry, as the process runtime runs them (127.0.0.1, one gunicorn worker, one thread); the
stock one with SELDON_GRAPHS_LAUNCHER=stock. The load generator (scripts/bench_load.py, its
own process, keep-alive when the node allows it) alternates short runs on each node, round
after round, so drifting machine load hits both alike. Every run is bounded in count and
time, every call has a timeout, errors are counted. Node CPU is the node's processes'
(gunicorn master, worker, metrics server, the Manager) per answered request.
Target: ours >= 2x stock's requests per second at concurrency 16. Not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import bench_load

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NODE = """
import numpy as np


class Affine:
    def predict(self, X, names, meta=None):
        return np.asarray(X, dtype=float) * 2 + 1
"""
STOCK, OURS = "stock seldon-core-microservice", "seldon-graphs launcher"


def start(folder: Path, stock: bool) -> Any:
    """A one-node graph on the process runtime (the executor is not used here)."""
    from seldon_graphs import api
    from seldon_graphs.runtime.process import ProcessBackend
    from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread

    env = "\n    env: {SELDON_GRAPHS_LAUNCHER: stock}" if stock else ""
    name = "stock" if stock else "ours"
    (folder / "Affine.py").write_text(NODE)
    (folder / f"{name}.yaml").write_text(
        f"name: {name}\nnodes:\n  m:\n    python: Affine.py:Affine{env}\nflow: m\n"
    )
    graph = api.load(folder / f"{name}.yaml")
    options = ServerOptions(port=0, name=name, namespace="bench")
    thread = ServerThread(GraphServer(ProcessBackend(graph.spec, graph.tree), options))
    thread.start()
    return thread


def measure(
    nodes: dict[str, Any], concurrency: int, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in nodes}
    cpu = dict.fromkeys(nodes, 0.0)
    for _ in range(args.rounds):
        for name, node in nodes.items():
            spec = bench_load.load_spec(args, [node.url + "/predict"], concurrency)
            pid = node.proc.pid
            before = bench_load.cpu_seconds([pid])
            runs[name].append(bench_load.run_load(spec))
            cpu[name] += bench_load.cpu_seconds([pid]) - before
    out = {}
    for name in nodes:
        out[name] = bench_load.summary(runs[name])
        served = out[name]["requests"] + sum(r["warmup"] for r in runs[name])
        out[name]["node_cpu_ms"] = cpu[name] / max(1, served) * 1000
    return out


def table(rows: dict[int, dict[str, dict[str, float]]]) -> str:
    lines = [
        f"{'node':32} {'c':>3} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'node CPU ms/req':>16}"
    ]
    for c, by_name in rows.items():
        for name, r in by_name.items():
            lines.append(
                f"{name:32} {c:>3} {r['rps']:>8.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                f"{r['error_rate']:>7.2%} {r['node_cpu_ms']:>16.3f}"
            )
    for c, by_name in rows.items():
        ratio = by_name[OURS]["rps"] / by_name[STOCK]["rps"] if by_name[STOCK]["rps"] else 0.0
        cpu = by_name[STOCK]["node_cpu_ms"] / max(by_name[OURS]["node_cpu_ms"], 1e-9)
        target = " (target >= 2x)" if c == 16 else ""
        lines.append(
            f"c={c}: launcher / stock = {ratio:.2f}x req/s{target}; {cpu:.2f}x less node CPU"
        )
    lines.append(bench_load.machine())
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_load.load_options(parser, requests=3000, rounds=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seldon-graphs-bench-") as tmp:
        threads = {STOCK: start(Path(tmp), True), OURS: start(Path(tmp), False)}
        try:
            nodes = {n: t.server.backend.nodes["m"] for n, t in threads.items()}
            rows = {
                c: measure(nodes, c, args) for c in (int(x) for x in args.concurrency.split(","))
            }
        finally:
            for thread in threads.values():
                thread.stop()
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
