"""Does serving the page slow the API path? The same in-process graph behind two servers,
one with the page (as `run` serves it) and one without, measured in alternating rounds.

    .venv/bin/python scripts/bench_page.py [--requests 2000] [--rounds 5]

Prints p50 / p99 latency (ms) and requests per second at concurrency 1 and 16, using
bench_runtime.py's load generator (a separate process). Not a test: the numbers depend on
the machine and its load; what matters is that the two rows agree.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_runtime  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per row and concurrency")
    parser.add_argument("--rounds", type=int, default=5, help="alternations")
    args = parser.parse_args()

    from seldon_graphs.runtime.inprocess import InProcessBackend
    from seldon_graphs.runtime.page import Page
    from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread

    with tempfile.TemporaryDirectory(prefix="seldon-graphs-bench-") as tmp:
        graph = bench_runtime.project(Path(tmp))
        options = ServerOptions(port=0, name="bench", namespace="bench", max_concurrency=256)
        servers = {
            "without the page": GraphServer(InProcessBackend(graph.spec, graph.tree), options),
            "with the page": GraphServer(
                InProcessBackend(graph.spec, graph.tree), options, Page.of(graph.spec, graph.tree)
            ),
        }
        threads = {name: ServerThread(server) for name, server in servers.items()}
        try:
            targets = {n: [t.start() + "/api/v1.0/predictions"] for n, t in threads.items()}
            for c in bench_runtime.CONCURRENCY:
                results = bench_runtime.interleaved(targets, args.requests, c, args.rounds)
                for name, r in results.items():
                    print(
                        f"concurrency {c:>2}  {name:<17} p50 {r['p50_ms']:6.2f} ms  "
                        f"p99 {r['p99_ms']:6.2f} ms  {r['rps']:7.0f} req/s  "
                        f"server cpu {r['cpu_ms']:.3f} ms/req"
                    )
        finally:
            for thread in threads.values():
                thread.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
