#!/usr/bin/env python3
"""Benchmark CLI start-up, and validate + compile on graphs of 10 to 5,000 nodes (`make bench`).

CLI start-up: wall and CPU time of `seldon-graphs validate graphs/iris.yaml` as a fresh
process, against `python -c pass` (the interpreter's own start) and against importing only
the libraries validating a good file needs (networkx, yaml), all measured in this run,
interleaved, with the bytecode cache written (as after any first run).
Target (issue 14): validate <= 200 ms wall.

What is timed, per graph: `api.analyze_text` (parse, every check, data flow, lowering) plus
`Graph.manifest_yaml()` (wrapper build-context plans of the stock nodes, the
SeldonDeployment, YAML dump). The graphs are wide, because the Seldon tree is capped at 11
levels:

    combiner shape:  head -> [m_0_0 -> m_0_1 -> m_0_2, m_1_0 -> ..., ...] -> vote -> post
    router shape:    route -> [m_0_0 -> m_0_1 -> m_0_2, ...]

All `m_*` and `head` are prepackaged-server nodes (no build context: this measures the
compiler); `vote` (mean-combiner), `post` (identity) and `route` (epsilon-greedy) are stock
nodes, so each graph also plans one to two wrapper build contexts. No user Python nodes.

Baselines from the same run: `yaml.safe_load` of the same text (PyYAML's pure-Python
loader: the floor any YAML tool pays without libyaml) and PyYAML's C loader (`CSafeLoader`,
libyaml, what the compiler's own parser uses); the table's header names which one is C.
Target (issue 14): 1,000 nodes <= 150 ms CPU.

Compile times are median CPU (process) time, so other work on a shared machine does not
skew them.

Usage: scripts/bench_compile.py [--sizes 10,100,1000,5000] [--runs N] [--shape combiner|router]
       [--startup-runs N] (CLI start-up runs per command; 0 skips them)
       [--json]           (the figures as JSON, for scripts/bench_all.py)
       [--no-gc]          (cyclic GC off while compiling: algorithmic growth alone)
       [--profile SIZE]   (cProfile one compile of that size, top functions by own time)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO))

from seldon_graphs import api  # noqa: E402
from seldon_graphs.cli import GC_THRESHOLD as CLI_GC_THRESHOLD  # noqa: E402

CHAIN = 3  # nodes per branch: depth = head + vote + post + chain (<= 11)
SHAPES = ("combiner", "router")
_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
C_LOADER_NAME = "CSafeLoader" if _CLoader is not yaml.SafeLoader else "SafeLoader (no libyaml)"
COMPILE_TARGET_NODES, COMPILE_TARGET_S = 1000, 0.150
STARTUP_TARGET_S = 0.200
STARTUP_GRAPH = "graphs/iris.yaml"  # one node, no flow: no DAG to check (no networkx)
STARTUP_FLOW_GRAPH = "graphs/income.yaml"  # five nodes and a flow: networkx is imported
STARTUP_TIMEOUT_S = 30.0  # one start-up run; a hung one fails the benchmark
STARTUP_BUDGET_S = 120.0  # all start-up runs together: fewer runs rather than an endless bench


def generate_graph(n_nodes: int, shape: str = "combiner", name: str = "bench") -> str:
    """A valid graph file with exactly `n_nodes` nodes (>= 5 for `combiner`, >= 3 `router`)."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    fixed = 3 if shape == "combiner" else 1
    body = n_nodes - fixed
    if body < 2:
        raise ValueError(f"a {shape} graph needs at least {fixed + 2} nodes")
    chains: list[list[str]] = []
    while body > 0:
        length = min(CHAIN, body)
        if body - length == 1:  # never leave a last branch of zero length
            length -= 1
        chains.append([f"m{len(chains)}-{j}" for j in range(length)])
        body -= length
    lines = [f"name: {name}", "namespace: bench", "nodes:"]
    if shape == "combiner":
        lines.append("  head: {server: sklearn, model_uri: s3://bench/head}")
    else:
        lines.append(f"  route: {{stock: epsilon-greedy, params: {{n_branches: {len(chains)}}}}}")
    for chain in chains:
        lines += [f"  {m}: {{server: xgboost, model_uri: s3://bench/{m}}}" for m in chain]
    groups = ", ".join(" -> ".join(chain) for chain in chains)
    if shape == "combiner":
        lines += ["  vote: {stock: mean-combiner}", "  post: {stock: identity}"]
        lines.append(f"flow: head -> [{groups}] -> vote -> post")
    else:
        lines.append(f"flow: route -> [{groups}]")
    return "\n".join(lines) + "\n"


def compile_text(text: str, file: Path) -> str:
    """validate + compile, as `seldon-graphs compile --stdout` does it (no files written)."""
    result = api.analyze_text(text, file)
    if not result.ok or result.spec is None or result.tree is None:
        raise SystemExit(f"generated graph is invalid:\n{result.render()}")
    return api.Graph(result.spec, result.tree, result).manifest_yaml()


def median_time(fn: Callable[[], object], runs: int, gc_off: bool = False) -> float:
    """Median CPU time of `fn` (process time: robust to other work on a shared machine)."""
    times = []
    for _ in range(runs):
        gc.collect()
        if gc_off:
            gc.disable()
        try:
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        finally:
            gc.enable()
    return statistics.median(times)


def project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n", encoding="utf-8")
    return root / "bench.yaml"


def run(sizes: list[int], runs: int, shape: str, gc_off: bool = False) -> list[dict[str, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        file = project(Path(tmp))
        compile_text(generate_graph(sizes[0], shape), file)  # warm caches and imports
        for n in sizes:
            text = generate_graph(n, shape)
            file.write_text(text, encoding="utf-8")
            k = runs if n <= 1000 else max(1, runs // 2)
            rows.append(
                {
                    "nodes": n,
                    "runs": k,
                    "compile": median_time(lambda t=text: compile_text(t, file), k, gc_off),
                    "safe_load": median_time(lambda t=text: yaml.safe_load(t), k),
                    "c_load": median_time(lambda t=text: yaml.load(t, Loader=_CLoader), k),
                }
            )
    return rows


def table(rows: list[dict[str, float]]) -> str:
    base = rows[0]["compile"] / rows[0]["nodes"]
    head = (
        f"{'nodes':>6} {'runs':>4} {'compile (median)':>17} {'per node':>9} {'ratio':>6} "
        f"{'marginal/node':>14} {'safe_load (pure)':>17} {C_LOADER_NAME + ' (C)':>16} "
        f"{'vs pure load':>13}"
    )
    out = [head, "-" * len(head)]
    prev: dict[str, float] | None = None
    for r in rows:
        per = r["compile"] / r["nodes"]
        marginal = (r["compile"] - prev["compile"]) / (r["nodes"] - prev["nodes"]) if prev else per
        out.append(
            f"{int(r['nodes']):>6} {int(r['runs']):>4} {_ms(r['compile']):>17} "
            f"{per * 1e6:>7.0f}us {per / base:>6.2f} {marginal * 1e6:>12.0f}us "
            f"{_ms(r['safe_load']):>17} {_ms(r['c_load']):>16} "
            f"{r['compile'] / r['safe_load']:>12.1f}x"
        )
        prev = r
    out += [
        "ratio: time per node / time per node at the smallest size (flat = linear growth)",
        "marginal/node: extra time per extra node since the previous size (grows = superlinear)",
        "safe_load (pure): yaml.safe_load, PyYAML's pure-Python loader, on the same text; "
        f"{C_LOADER_NAME}: libyaml's loader, which the compiler's parser uses",
    ]
    return "\n".join(out)


def compile_target(rows: list[dict[str, float]]) -> str | None:
    row = next((r for r in rows if r["nodes"] == COMPILE_TARGET_NODES), None)
    if row is None:
        return None
    return (
        f"target: compile {COMPILE_TARGET_NODES:,} nodes <= {_ms(COMPILE_TARGET_S)} CPU: "
        f"{_ms(row['compile'])} ({_verdict(row['compile'] <= COMPILE_TARGET_S)}); same run: "
        f"safe_load (pure) {_ms(row['safe_load'])}, {C_LOADER_NAME} {_ms(row['c_load'])}"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def startup_commands() -> dict[str, list[str]]:
    """What is started, by label: the CLI as users start it (its console script beside this
    interpreter, else `-m`) and the two baselines."""
    script = Path(sys.executable).with_name("seldon-graphs")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "seldon_graphs.cli"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import networkx, yaml": [sys.executable, "-c", "import networkx, yaml"],
        f"seldon-graphs validate {STARTUP_GRAPH}": [*cli, "validate", STARTUP_GRAPH],
        f"seldon-graphs validate {STARTUP_FLOW_GRAPH}": [*cli, "validate", STARTUP_FLOW_GRAPH],
    }  # fmt: skip


def cached_bytecode_env() -> dict[str, str]:
    """This environment with Python's bytecode cache on, as an installed CLI runs after its
    first start (PYTHONDONTWRITEBYTECODE would time compiling our sources on every run)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_process(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of `argv`, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        argv, cwd=REPO, env=env, check=True, timeout=STARTUP_TIMEOUT_S,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def startup(runs: int, budget: float = STARTUP_BUDGET_S) -> dict[str, list[tuple[float, float]]]:
    """`runs` rounds of every start-up command, interleaved (so a busy moment hits all of
    them alike), stopping early when `budget` seconds have passed; after one untimed round
    that writes the bytecode cache."""
    commands = startup_commands()
    env = cached_bytecode_env()
    for argv in commands.values():
        time_process(argv, env)
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    deadline = time.monotonic() + budget
    for _ in range(runs):
        for label, argv in commands.items():
            times[label].append(time_process(argv, env))
        if time.monotonic() > deadline:
            break
    return times


def startup_table(times: dict[str, list[tuple[float, float]]]) -> str:
    head = (
        f"{'CLI start-up (fresh process, bytecode cached)':<46} {'runs':>4} {'wall median':>12} "
        f"{'wall min':>9} {'CPU median':>11}"
    )
    out = [head, "-" * len(head)]
    for label, samples in times.items():
        walls = [w for w, _ in samples]
        cpus = [c for _, c in samples]
        out.append(
            f"{label:<46} {len(samples):>4} {_ms(statistics.median(walls)):>12} "
            f"{_ms(min(walls)):>9} {_ms(statistics.median(cpus)):>11}"
        )
    validate = statistics.median(w for w, _ in times[f"seldon-graphs validate {STARTUP_GRAPH}"])
    base = statistics.median(w for w, _ in times["python -c pass"])
    out.append(
        f"target: validate {STARTUP_GRAPH} <= {_ms(STARTUP_TARGET_S)} wall: {_ms(validate)} "
        f"({_verdict(validate <= STARTUP_TARGET_S)}); same run: python -c pass {_ms(base)}"
    )
    return "\n".join(out)


def profile(n: int, shape: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        file = project(Path(tmp))
        text = generate_graph(n, shape)
        compile_text(text, file)
        prof = cProfile.Profile()
        prof.runcall(compile_text, text, file)
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shape", choices=SHAPES, default="combiner")
    parser.add_argument("--profile", type=int, metavar="SIZE")
    parser.add_argument("--startup-runs", type=int, default=10, metavar="N")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--no-gc",
        action="store_true",
        help="disable Python's cyclic GC while compiling (separates algorithmic growth from GC)",
    )
    args = parser.parse_args(argv)
    gc.set_threshold(*CLI_GC_THRESHOLD)  # measure what `seldon-graphs compile` runs with
    if args.profile:
        profile(args.profile, args.shape)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.json:
        rows = run(sizes, args.runs, args.shape, args.no_gc)
        times = startup(args.startup_runs) if args.startup_runs > 0 else {}
        print(json.dumps({"c_loader": C_LOADER_NAME, "rows": rows, "startup": times}))
        return 0
    print(
        f"validate + compile, {args.shape} shape (server nodes + 1-2 stock nodes), "
        f"Python {sys.version.split()[0]}, median CPU time, GC thresholds as the CLI sets them"
        + (", cyclic GC off while compiling" if args.no_gc else "")
    )
    rows = run(sizes, args.runs, args.shape, args.no_gc)
    print(table(rows))
    target = compile_target(rows)
    if target:
        print(target)
    if args.startup_runs > 0:
        print()
        print(startup_table(startup(args.startup_runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
