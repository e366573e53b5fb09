#!/usr/bin/env python3
"""Benchmark validate + compile on generated graphs of 10 to 5,000 nodes (`make bench`).

What is timed, per graph: `api.analyze_text` (parse, every check, data flow, lowering) plus
`Graph.manifest_yaml()` (wrapper build-context plans of the stock nodes, the
SeldonDeployment, YAML dump). The graphs are wide, because the Seldon tree is capped at 11
levels:

    combiner shape:  head -> [m_0_0 -> m_0_1 -> m_0_2, m_1_0 -> ..., ...] -> vote -> post
    router shape:    route -> [m_0_0 -> m_0_1 -> m_0_2, ...]

All `m_*` and `head` are prepackaged-server nodes (no build context: this measures the
compiler); `vote` (mean-combiner), `post` (identity) and `route` (epsilon-greedy) are stock
nodes, so each graph also plans one to two wrapper build contexts. No user Python nodes.

Baselines from the same run: `yaml.safe_load` of the same text (the floor any YAML tool pays)
and PyYAML's C loader (`CSafeLoader`, what the compiler's own parser uses).

Times are median CPU (process) time, so other work on a shared machine does not skew them.

Usage: scripts/bench_compile.py [--sizes 10,100,1000,5000] [--runs N] [--shape combiner|router]
       [--no-gc]          (cyclic GC off while compiling: algorithmic growth alone)
       [--profile SIZE]   (cProfile one compile of that size, top functions by own time)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
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
        f"{'marginal/node':>14} {'yaml.safe_load':>15} {'CSafeLoader':>12} {'vs safe_load':>13}"
    )
    out = [head, "-" * len(head)]
    prev: dict[str, float] | None = None
    for r in rows:
        per = r["compile"] / r["nodes"]
        marginal = (r["compile"] - prev["compile"]) / (r["nodes"] - prev["nodes"]) if prev else per
        out.append(
            f"{int(r['nodes']):>6} {int(r['runs']):>4} {_ms(r['compile']):>17} "
            f"{per * 1e6:>7.0f}us {per / base:>6.2f} {marginal * 1e6:>12.0f}us "
            f"{_ms(r['safe_load']):>15} {_ms(r['c_load']):>12} "
            f"{r['compile'] / r['safe_load']:>12.1f}x"
        )
        prev = r
    out += [
        "ratio: time per node / time per node at the smallest size (flat = linear growth)",
        "marginal/node: extra time per extra node since the previous size (grows = superlinear)",
    ]
    return "\n".join(out)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


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
    print(
        f"validate + compile, {args.shape} shape (server nodes + 1-2 stock nodes), "
        f"Python {sys.version.split()[0]}, median CPU time, GC thresholds as the CLI sets them"
        + (", cyclic GC off while compiling" if args.no_gc else "")
    )
    print(table(run(sizes, args.runs, args.shape, args.no_gc)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
