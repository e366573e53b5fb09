"""The load generator the runtime benchmarks share, run in a process of its own (so it never
shares a GIL with what it measures).

    python scripts/bench_load.py '{"steps": [...], "total": 2000, "concurrency": 16}'

Each "request" POSTs the body to every URL in `steps` in turn, feeding each answer to the
next (one step: a plain request; three: a client calling a chain of nodes itself). A run is
bounded in count (`total`) and in time (`seconds`); every call has a timeout (`timeout`);
a non-200, a timeout or a broken connection is counted as an error (the first few are kept
as samples) and the run goes on. Connections are kept alive when the server allows it.
Prints one JSON line: latencies of the successful requests (s), errors, elapsed wall time
and the generator's own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BODY = b'{"data":{"ndarray":[[1.0,2.0,3.0,4.0]]}}'
# The benchmarks' 3-node chain: y = ((X + 1) * 10) + 100, each step a node.
CHAIN_NODE = """
import numpy as np


class Affine:
    def __init__(self, name="affine", mul=1.0, add=0.0):
        self.name, self.mul, self.add = name, float(mul), float(add)

    def predict(self, X, names, meta=None):
        return np.asarray(X, dtype=float) * self.mul + self.add
"""
CHAIN_GRAPH = """name: bench
namespace: bench
nodes:
  tin: {python: Affine.py:Affine, params: {name: tin, add: 1.0}}
  m: {python: Affine.py:Affine, params: {name: m, mul: 10.0}}
  out: {python: Affine.py:Affine, params: {name: out, add: 100.0}}
flow: tin -> m -> out
"""
HEADERS = {"Content-Type": "application/json", "Seldon-Puid": "bench"}
WARMUP = 20  # requests before timing starts (connections, caches)
SAMPLES = 5  # error messages kept


class Failed(Exception):
    """One request's failure, as counted."""


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    from seldon_graphs.runtime.http1 import Client  # the executor's own client: a fair race

    targets = [
        (u.hostname or "127.0.0.1", u.port or 80, u.path) for u in map(urlsplit, spec["steps"])
    ]
    body0 = spec.get("body", BODY.decode()).encode()
    timeout, deadline = float(spec.get("timeout", 10.0)), float(spec.get("seconds", 60.0))
    client = Client()
    latencies: list[float] = []
    errors: list[str] = []

    async def one() -> None:
        body = body0
        for host, port, path in targets:
            try:
                async with asyncio.timeout(timeout):
                    answer = await client.request("POST", host, port, path, HEADERS, body)
            except (OSError, TimeoutError) as exc:
                raise Failed(f"{path}: {type(exc).__name__} {exc}") from exc
            if answer.status != 200:
                raise Failed(f"{path}: {answer.status} {answer.body[:120]!r}")
            body = answer.body

    async def timed() -> None:
        start = time.perf_counter()
        try:
            await one()
        except Failed as exc:
            errors.append(str(exc))
            return
        latencies.append(time.perf_counter() - start)

    for _ in range(WARMUP):
        await timed()
    latencies.clear()
    errors.clear()
    remaining = int(spec["total"])
    started, cpu = time.perf_counter(), time.process_time()
    stop_at = started + deadline

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < stop_at:
            remaining -= 1
            await timed()

    await asyncio.gather(*(worker() for _ in range(int(spec["concurrency"]))))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    client.close()
    return {
        "latencies": latencies,
        "errors": len(errors),
        "error_samples": errors[:SAMPLES],
        "elapsed": elapsed,
        "client_cpu": cpu,
        "warmup": WARMUP,
    }


def cpu_seconds(pids: list[int], below: bool = True) -> float:
    """User + system CPU of these processes and (`below`) of every process below them, from
    /proc: e.g. a node's gunicorn master, workers and metrics processes."""
    table: dict[int, tuple[int, float]] = {}  # pid -> (parent, cpu)
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    wanted = set(pids)
    grew = below
    while grew:
        below = {pid for pid, (parent, _) in table.items() if parent in wanted} - wanted
        grew, wanted = bool(below), wanted | below
    return sum(table[pid][1] for pid in wanted if pid in table)


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    """p50/p99 latency (ms), req/s, error rate of runs of one target (successes / wall)."""
    latencies = sorted(x for run in runs for x in run["latencies"])
    errors = sum(run["errors"] for run in runs)
    elapsed = sum(run["elapsed"] for run in runs)
    done = len(latencies)
    return {
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": latencies[min(done - 1, int(done * 0.99))] * 1000 if latencies else float("nan"),
        "rps": done / elapsed if elapsed else 0.0,
        "requests": done,
        "error_rate": errors / (done + errors) if done + errors else 0.0,
    }


def load_options(parser: argparse.ArgumentParser, requests: int, rounds: int) -> None:
    """The options every load benchmark takes (bounds of each run, concurrency, output)."""
    parser.add_argument("--requests", type=int, default=requests, help="per target and c")
    parser.add_argument("--rounds", type=int, default=rounds, help="alternations of targets")
    parser.add_argument("--seconds", type=float, default=20.0, help="wall limit of one run")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout (s)")
    parser.add_argument("--concurrency", default="1,16", help="comma-separated")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def load_spec(args: argparse.Namespace, steps: list[str], concurrency: int) -> dict[str, Any]:
    """One run's spec: a round's share of the requests, within the options' bounds."""
    total = max(1, args.requests // args.rounds)
    spec = {"steps": steps, "total": total, "concurrency": concurrency}
    return {**spec, "seconds": args.seconds, "timeout": args.timeout}


def machine() -> str:
    """The line every table ends with: the figures depend on it."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"machine: {os.cpu_count()} CPUs, load average {load}"


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """One bounded load run in a fresh process (its wall limit plus a margin as a backstop)."""
    limit = float(spec.get("seconds", 60.0)) + float(spec.get("timeout", 10.0)) * 3 + 30
    out = subprocess.run(
        [sys.executable, __file__, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
        timeout=limit,
    )
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_load(json.loads(sys.argv[1])))))
