"""Benchmark wrapper images: size, cold build time, warm no-op rebuild time. Prints a table.

    .venv/bin/python scripts/bench_images.py [--base IMAGE]... [--keep]

For each base image (default: python:3.11-slim and the local debootstrap base made by
scripts/build_base_image.sh) it builds the no-dependency wrapper of
tests/wrapper/fixtures/project (a plain predict class: seldon-core 1.17.1 and nothing else)
with no layer cache (cold: pip downloads and installs everything), then builds it again
in-process and through the CLI (warm: the content tag exists, nothing is built). A base
that is not on this machine and cannot be pulled is reported, not measured. The images made
here are removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seldon_graphs import api  # noqa: E402
from seldon_graphs.images import build_images, docker_client  # noqa: E402
from seldon_graphs.wrapper.context import plan_graph, with_overrides  # noqa: E402

GRAPH = ROOT / "tests" / "wrapper" / "fixtures" / "project" / "graph.yaml"
REGISTRY = "seldon-graphs-bench"
NODE = "double"


def _available(client: object, image: str) -> str | None:
    """None if the base is usable, else why not."""
    from docker.errors import APIError, ImageNotFound

    try:
        client.images.get(image)  # type: ignore[attr-defined]
        return None
    except ImageNotFound:
        pass
    try:
        client.images.pull(image)  # type: ignore[attr-defined]
        return None
    except APIError as exc:
        return f"cannot be pulled here ({str(exc.explanation or exc)[:60]})"


def bench(base: str, client: object) -> tuple[str, str, str, str, str]:
    why = _available(client, base)
    if why:
        return base, "-", "-", "-", why
    graph = api.load(GRAPH)
    spec = with_overrides(graph.spec, base_image=base, registry=REGISTRY)
    plan = next(p for p in plan_graph(spec, graph.tree) if p.node == NODE)
    with_cli = [sys.executable, "-m", "seldon_graphs.cli", "build", str(GRAPH)]
    with_cli += ["--base-image", base, "--registry", REGISTRY]
    start = time.monotonic()
    (cold,) = build_images([plan], client=client, no_cache=True)
    cold_s = time.monotonic() - start
    start = time.monotonic()
    (warm,) = build_images([plan], client=client)
    warm_s = time.monotonic() - start
    assert cold.built and not warm.built
    subprocess.run(with_cli, check=True, capture_output=True)  # builds the other nodes
    start = time.monotonic()
    subprocess.run(with_cli, check=True, capture_output=True)
    cli_s = time.monotonic() - start
    size = f"{(cold.size or 0) / 1e6:.0f} MB"
    return base, size, f"{cold_s:.1f} s", f"{warm_s:.2f} s / {cli_s:.2f} s", ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="append", help="base image(s) to measure")
    parser.add_argument("--keep", action="store_true", help="keep the images built here")
    args = parser.parse_args()
    bases = args.base or ["python:3.11-slim", "seldon-graphs/base:bookworm"]
    client = docker_client()
    rows = [bench(base, client) for base in bases]
    if not args.keep:
        for image in client.images.list(name=f"{REGISTRY}/*"):
            for tag in image.tags:
                client.images.remove(tag, force=True)
    head = ("base image", "wrapper size", "cold build", "warm no-op (api / CLI)", "note")
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]
    for row in (head, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
