"""Benchmark wrapper images: size, cold build time, warm no-op rebuild time. Prints a table.

    .venv/bin/python scripts/bench_images.py [--base IMAGE]... [--keep]
    .venv/bin/python scripts/bench_images.py --context-memory 200 [--code-root DIR]

For each base image (default: python:3.11-slim and the local debootstrap base made by
scripts/build_base_image.sh) it builds the no-dependency wrapper of
tests/wrapper/fixtures/project (a plain predict class: seldon-core 1.17.1 and nothing else)
with no layer cache (cold: pip downloads and installs everything), then builds it again
in-process and through the CLI (warm: the content tag exists, nothing is built). A base
that is not on this machine and cannot be pulled is reported, not measured. The images made
here are removed at the end unless --keep.

`--context-memory MB` instead plans, compiles (writes the context) and builds, in a fresh
process, a one-node project whose `files` hold one MB-sized data file, and prints that
process's peak RSS after each step. `--code-root DIR` runs the same measurement on another
checkout's seldon_graphs (e.g. the main branch) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seldon_graphs import api  # noqa: E402
from seldon_graphs.settings import Flags  # noqa: E402
from seldon_graphs.wrapper.context import plan_graph  # noqa: E402
from seldon_graphs.wrapper.images import build_images, docker_client  # noqa: E402

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
    graph = api.load(GRAPH, Flags(base_image=base, registry=REGISTRY))
    plan = next(p for p in plan_graph(graph.spec, graph.tree) if p.node == NODE)
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


# Runs in a fresh interpreter with the measured checkout first on sys.path; uses only the
# API both old and new checkouts have.
_MEMORY_CHILD = """
import json, resource, sys, tempfile
from pathlib import Path
from seldon_graphs import api
from seldon_graphs.wrapper.images import build_images, docker_client
from seldon_graphs.settings import Flags
from seldon_graphs.wrapper.context import plan_graph, write_context
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
graph = api.load(sys.argv[1], Flags(base_image=sys.argv[2], registry=sys.argv[3]))
plans = plan_graph(graph.spec, graph.tree)
planned = peak()
with tempfile.TemporaryDirectory() as out:
    write_context(plans[0], Path(out) / "context")
written = peak()
client = docker_client()
(result,) = build_images(plans, client=client)
built = peak()
client.images.remove(result.image, force=True)
print(json.dumps({"planned_kb": planned, "written_kb": written, "built_kb": built,
                  "code": api.__file__}))
"""


def context_memory(megabytes: int, base: str, code_root: Path) -> dict[str, object]:
    """Peak RSS of a fresh process that plans and builds a node with one big data file."""
    with tempfile.TemporaryDirectory(prefix="seldon-graphs-bench-") as folder:
        project = Path(folder)
        (project / "data").mkdir()
        with open(project / "data" / "weights.bin", "wb") as out:
            for _ in range(megabytes):
                out.write(os.urandom(1 << 20))  # random: nothing compresses it away
        model = ROOT / "tests" / "wrapper" / "fixtures" / "project" / "models" / "doubler.py"
        (project / "model.py").write_text(model.read_text().replace("note.txt", "model.py"))
        (project / "graph.yaml").write_text(
            "name: bench\nnodes:\n  big: {python: model.py:Doubler, files: [data]}\nflow: big\n"
        )
        env = {**os.environ, "PYTHONPATH": str(code_root)}
        proc = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(project / "graph.yaml"), base, REGISTRY],
            capture_output=True,
            text=True,
            env=env,
            cwd=code_root,  # `-c` puts the working directory first on sys.path
            check=False,
        )
    if proc.returncode != 0:
        raise SystemExit(f"the measured build failed:\n{proc.stderr[-2000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="append", help="base image(s) to measure")
    parser.add_argument("--keep", action="store_true", help="keep the images built here")
    parser.add_argument("--context-memory", type=int, metavar="MB", help="see above")
    parser.add_argument("--code-root", type=Path, default=ROOT, help="checkout to measure")
    args = parser.parse_args()
    if args.context_memory:
        base = (args.base or ["seldon-graphs/base:bookworm"])[0]
        found = context_memory(args.context_memory, base, args.code_root.resolve())
        print(f"code: {found['code']}  data file: {args.context_memory} MB")
        for key, step in (
            ("planned", "planning"),
            ("written", "write_context"),
            ("built", "the build"),
        ):
            print(f"peak RSS after {step}: {int(str(found[f'{key}_kb'])) / 1024:.0f} MB")
        return 0
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
