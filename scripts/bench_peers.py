"""Benchmark the process runtime against peers serving the same 3-step pipeline (not in CI).

    .venv/bin/python scripts/bench_peers.py [--requests 2000] [--rounds 3] [--cache DIR]
    make bench-peers

The pipeline: y = ((X + 1) * 10) + 100, three steps, each its own service/process:
  seldon-graphs   `run --runtime process`: three nodes behind the executor (this checkout)
  BentoML         three @bentoml.service classes, an entry service calling them
                  (bentoml.depends: each runs in its own process)
  Ray Serve       three deployments and an ingress deployment calling them by handle
Each peer runs from its own virtual environment (made on first use under --cache, from
PyPI: bentoml, ray[serve]), bound to 127.0.0.1 only. The load generator
(scripts/bench_load.py) alternates short runs on each, round after round; runs are bounded
in count and time, calls have timeouts, errors are counted. Prints the side-by-side table
with each peer's ratio to seldon-graphs. Numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import bench_load
import bench_process

ROOT = Path(__file__).resolve().parent.parent
PEERS = {"BentoML": ["bentoml==1.4.40"], "Ray Serve": ["ray[serve]==2.60.0"]}
PEER_BODY = '{"data": [[1.0, 2.0, 3.0, 4.0]]}'
START_TIMEOUT = 300.0

BENTO = """
import bentoml


@bentoml.service(workers=1)
class Tin:
    @bentoml.api
    def step(self, data: list[list[float]]) -> list[list[float]]:
        return [[x + 1.0 for x in row] for row in data]


@bentoml.service(workers=1)
class M:
    @bentoml.api
    def step(self, data: list[list[float]]) -> list[list[float]]:
        return [[x * 10.0 for x in row] for row in data]


@bentoml.service(workers=1)
class Out:
    @bentoml.api
    def step(self, data: list[list[float]]) -> list[list[float]]:
        return [[x + 100.0 for x in row] for row in data]


@bentoml.service(workers=1)
class Pipeline:
    tin = bentoml.depends(Tin)
    m = bentoml.depends(M)
    out = bentoml.depends(Out)

    @bentoml.api
    async def predict(self, data: list[list[float]]) -> list[list[float]]:
        data = await self.tin.to_async.step(data=data)
        data = await self.m.to_async.step(data=data)
        return await self.out.to_async.step(data=data)
"""

RAY = """
import os
import sys
import threading

# Ray binds its services (GCS, raylet, workers) to the machine's address unless it is told
# it is a single-machine "cluster": then to the loopback address.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

import ray
from ray import serve
from starlette.requests import Request


@serve.deployment(ray_actor_options={"num_cpus": 0})
class Tin:
    def __call__(self, data):
        return [[x + 1.0 for x in row] for row in data]


@serve.deployment(ray_actor_options={"num_cpus": 0})
class M:
    def __call__(self, data):
        return [[x * 10.0 for x in row] for row in data]


@serve.deployment(ray_actor_options={"num_cpus": 0})
class Out:
    def __call__(self, data):
        return [[x + 100.0 for x in row] for row in data]


@serve.deployment(ray_actor_options={"num_cpus": 0})
class Pipeline:
    def __init__(self, tin, m, out):
        self.tin, self.m, self.out = tin, m, out

    async def __call__(self, request: Request):
        data = (await request.json())["data"]
        data = await self.tin.remote(data)
        data = await self.m.remote(data)
        return {"data": await self.out.remote(data)}


port = int(sys.argv[1])
ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", num_cpus=2)
serve.start(http_options={"host": "127.0.0.1", "port": port})
serve.run(Pipeline.bind(Tin.bind(), M.bind(), Out.bind()), route_prefix="/")
print(f"is up on http://127.0.0.1:{port}", flush=True)
threading.Event().wait()
"""


def venv(cache: Path, name: str) -> Path:
    """The peer's virtual environment (created and installed on first use)."""
    folder = cache / re.sub(r"\W+", "-", name.lower())
    python = folder / "bin" / "python"
    if not (folder / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS[name]], check=True)
        (folder / ".installed").touch()
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Peer:
    """A peer's server process; `url` answers the pipeline once it is up."""

    def __init__(self, label: str, command: list[str], folder: Path, url: str, path: str):
        self.label, self.url, self.path = label, url, path
        self.log = (folder / f"{re.sub(r'[^A-Za-z]+', '-', label)}.log").open("w")
        self.proc = subprocess.Popen(
            command, cwd=folder, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self._wait_up()

    def _wait_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        request = urllib.request.Request(
            self.url + self.path, PEER_BODY.encode(), {"Content-Type": "application/json"}
        )
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(1)
        self.stop()
        raise RuntimeError(f"{self.label} did not come up; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def start_peers(cache: Path, folder: Path, peers: list[Any]) -> None:
    """Start each peer, adding it to `peers` once it runs (the caller stops them)."""
    (folder / "bento_pipeline.py").write_text(BENTO)
    (folder / "ray_pipeline.py").write_text(RAY)
    port = free_port()
    bento = venv(cache, "BentoML")
    command = [str(bento.parent / "bentoml"), "serve", "bento_pipeline:Pipeline"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    peers.append(
        Peer("BentoML (3 services)", command, folder, f"http://127.0.0.1:{port}", "/predict")
    )
    port = free_port()
    ray = venv(cache, "Ray Serve")
    command = [str(ray), "ray_pipeline.py", str(port)]
    peers.append(
        Peer("Ray Serve (3 deployments)", command, folder, f"http://127.0.0.1:{port}", "/")
    )


def measure(
    targets: list[tuple[str, str, str]], concurrency: int, args: argparse.Namespace
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in targets}
    for _ in range(args.rounds):
        for label, url, body in targets:
            spec = {**bench_load.load_spec(args, [url], concurrency), "body": body}
            runs[label].append(bench_load.run_load(spec))
    return {label: bench_load.summary(r) for label, r in runs.items()}


def table(rows: dict[int, dict[str, dict[str, float]]], ours: str) -> str:
    lines = [
        f"{'3-step pipeline':34} {'c':>3} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>7} {'vs seldon-graphs':>17}"
    ]
    for c, by_label in rows.items():
        base = by_label[ours]["rps"]
        for label, r in by_label.items():
            ratio = r["rps"] / base if base else 0.0
            lines.append(
                f"{label:34} {c:>3} {r['rps']:>7.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
                f"{r['error_rate']:>7.2%} {ratio:>16.2f}x"
            )
    lines.append(bench_load.machine())
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_load.load_options(parser, requests=2000, rounds=3)
    default_cache = Path.home() / ".cache" / "seldon-graphs-bench-peers"
    parser.add_argument("--cache", type=Path, default=default_cache, help="the peers' venvs")
    args = parser.parse_args()
    ours = "seldon-graphs (process runtime)"
    with tempfile.TemporaryDirectory(prefix="seldon-graphs-peers-") as tmp:
        folder = Path(tmp)
        (folder / "Affine.py").write_text(bench_process.NODE)
        (folder / "graph.yaml").write_text(bench_process.GRAPH)
        running: list[Any] = []
        try:
            served = bench_process.Served(ours, folder, str(ROOT))
            running.append(served)
            targets = [(ours, served.url + "/api/v1.0/predictions", bench_load.BODY.decode())]
            start_peers(args.cache, folder, running)
            targets += [(p.label, p.url + p.path, PEER_BODY) for p in running[1:]]
            rows = {int(c): measure(targets, int(c), args) for c in args.concurrency.split(",")}
        finally:
            for item in running:
                item.stop()
    print(json.dumps(rows, indent=2) if args.json else table(rows, ours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
