"""Benchmark the executor's HTTP client (runtime/http1.py) against kept libraries, on a node
that keeps connections alive (the launcher's).

    .venv/bin/python scripts/bench_clients.py [--calls 3000] [--rounds 3]

Clients, each in a process of its own, each keeping its connections: ours (http1.Client, on
httptools' parser since issue 14's round 2), the baseline (http1.py as on the main branch, with
its hand-written parser), aiohttp's ClientSession with a pooled TCPConnector,
httpx.AsyncClient, and a bare httptools protocol. httpx is not the project's dependency: a
client whose package is not importable is reported, not measured (e.g.
`pip install --target DIR httpx` and PYTHONPATH=DIR). Rounds alternate the clients, each
round starting with the next one.
Every call has a timeout; a failed call is counted. Figures: client CPU per call (what the
executor would spend) and calls per second, at concurrency 1 and 16. The rule (issue 14):
keep ours only if no library gets within 10 % of its CPU per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import bench_load
import bench_nodes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BODY = b'{"data":{"ndarray":[[1.0,2.0,3.0,4.0]]}}'
HEADERS = {"Content-Type": "application/json", "Seldon-Puid": "bench"}
CLIENTS = (
    "http1 (ours)",
    "http1 hand-written (main)",
    "aiohttp pooled",
    "httpx",
    "httptools + asyncio",
)
Call = Callable[[], Awaitable[bytes]]


# --- the clients (each returns a call and a close) -------------------------------------------
async def ours(host: str, port: int) -> tuple[Call, Callable[[], Awaitable[None]]]:
    from seldon_graphs.runtime.http1 import Client

    client = Client()

    async def call() -> bytes:
        answer = await client.request("POST", host, port, "/predict", HEADERS, BODY)
        return answer.body if answer.status == 200 else b""

    async def close() -> None:
        client.close()

    return call, close


async def hand_written(host: str, port: int) -> tuple[Call, Callable[[], Awaitable[None]]]:
    """The baseline: http1.py with its own parser as on the main branch (`git show`)."""
    import importlib.util

    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", "main:seldon_graphs/runtime/http1.py"],
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile(suffix=".py", delete=False) as file:
        file.write(source)
    spec = importlib.util.spec_from_file_location("http1_main", file.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["http1_main"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    Path(file.name).unlink()
    client = module.Client()

    async def call() -> bytes:
        answer = await client.request("POST", host, port, "/predict", HEADERS, BODY)
        return bytes(answer.body) if answer.status == 200 else b""

    async def close() -> None:
        client.close()

    return call, close


async def aiohttp_pooled(host: str, port: int) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
    url = f"http://{host}:{port}/predict"

    async def call() -> bytes:
        async with session.post(url, data=BODY, headers=HEADERS) as answer:
            body = await answer.read()
            return body if answer.status == 200 else b""

    return call, session.close


async def httpx_client(host: str, port: int) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import httpx

    client = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=64))
    url = f"http://{host}:{port}/predict"

    async def call() -> bytes:
        answer = await client.post(url, content=BODY, headers=HEADERS)
        return answer.content if answer.status_code == 200 else b""

    return call, client.aclose


async def httptools_client(host: str, port: int) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import httptools

    class Exchange(asyncio.Protocol):
        """As much work per answer as ours: headers into a dict (lower-cased names), the
        keep-alive verdict, the body (any framing the parser knows)."""

        def __init__(self) -> None:
            self.parser = httptools.HttpResponseParser(self)
            self.body = bytearray()
            self.headers: dict[str, str] = {}
            self.keep_alive = True
            self.done: asyncio.Future[bytes] | None = None
            self.transport: asyncio.Transport | None = None

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)

        def on_body(self, body: bytes) -> None:
            self.body += body

        def on_message_complete(self) -> None:
            self.keep_alive = self.parser.should_keep_alive()
            if self.done is not None and not self.done.done():
                status = self.parser.get_status_code()
                self.done.set_result(bytes(self.body) if status == 200 else b"")

        def send(self, data: bytes) -> asyncio.Future[bytes]:
            assert self.transport is not None
            self.body.clear()
            self.headers = {}
            self.done = asyncio.get_running_loop().create_future()
            self.transport.write(data)
            return self.done

    head = (
        f"POST /predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
        + f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()
    idle: list[Exchange] = []
    loop = asyncio.get_running_loop()

    async def call() -> bytes:
        conn = idle.pop() if idle else (await loop.create_connection(Exchange, host, port))[1]
        body = await conn.send(head + BODY)
        if conn.keep_alive:
            idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        return body

    async def close() -> None:
        for conn in idle:
            if conn.transport is not None:
                conn.transport.close()

    return call, close


FACTORIES = dict(
    zip(
        CLIENTS,
        (ours, hand_written, aiohttp_pooled, httpx_client, httptools_client),
        strict=True,
    )
)


# --- one client's run, in its own process ------------------------------------------------------
async def _run(spec: dict[str, Any]) -> dict[str, Any]:
    call, close = await FACTORIES[spec["client"]](spec["host"], spec["port"])
    errors = 0
    remaining = int(spec["calls"])
    stop_at = time.perf_counter() + float(spec["seconds"])

    async def one() -> bool:
        try:
            async with asyncio.timeout(float(spec["timeout"])):
                return bool(await call())
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            return False
        except Exception as exc:  # a library's own error type: counted all the same
            return not exc

    for _ in range(20):  # warm-up: connections, caches
        await one()

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0 and time.perf_counter() < stop_at:
            remaining -= 1
            errors += not await one()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(int(spec["concurrency"]))))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    done = int(spec["calls"]) - remaining
    await close()
    return {"calls": done, "errors": errors, "elapsed": elapsed, "cpu": cpu}


def importable(client: str) -> str | None:
    """None, or the missing package's name."""
    package = {"aiohttp pooled": "aiohttp", "httpx": "httpx", "httptools + asyncio": "httptools"}
    name = package.get(client)
    if name is None:
        return None
    probe = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True)
    return None if probe.returncode == 0 else name


def run_client(spec: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--client", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=float(spec["seconds"]) + 60,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{spec['client']} failed:\n{out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def measure(url: tuple[str, int], clients: list[str], args: argparse.Namespace) -> dict[Any, Any]:
    rows: dict[str, dict[int, dict[str, float]]] = {c: {} for c in clients}
    for concurrency in args.concurrency:
        totals = {c: {"calls": 0, "errors": 0, "elapsed": 0.0, "cpu": 0.0} for c in clients}
        for round_ in range(args.rounds):
            # each client starts a round in turn: going first after a pause costs CPU
            first = round_ % len(clients)
            for client in clients[first:] + clients[:first]:
                spec = {
                    "client": client, "host": url[0], "port": url[1], "concurrency": concurrency,
                    "calls": args.calls // args.rounds, "seconds": args.seconds,
                    "timeout": args.timeout,
                }  # fmt: skip
                result = run_client(spec)
                for key in totals[client]:
                    totals[client][key] += result[key]
        for client, t in totals.items():
            rows[client][concurrency] = {
                "cpu_us": t["cpu"] / max(1, t["calls"]) * 1e6,
                "rps": t["calls"] / t["elapsed"] if t["elapsed"] else 0.0,
                "error_rate": t["errors"] / max(1, t["calls"]),
            }
    return rows


def table(rows: dict[str, dict[int, dict[str, float]]], missing: dict[str, str]) -> str:
    cs = sorted(next(iter(rows.values())))
    head = f"{'client':22}" + "".join(f"| c={c:<2} CPU/call  calls/s  errors " for c in cs)
    lines = [head]
    for client, by_c in rows.items():
        cells = "".join(
            f"| {by_c[c]['cpu_us']:>8.0f} µs {by_c[c]['rps']:>8.0f} {by_c[c]['error_rate']:>7.2%} "
            for c in cs
        )
        lines.append(f"{client:22}{cells}")
    for client, package in missing.items():
        lines.append(f"{client:22}| not measured: {package} is not importable")
    ours_cpu = rows[CLIENTS[0]][1]["cpu_us"]
    if CLIENTS[1] in rows:
        main_cpu = rows[CLIENTS[1]][1]["cpu_us"]
        lines.append(
            f"c=1 CPU per call: ours {ours_cpu:.0f} µs vs main's hand-written parser "
            f"{main_cpu:.0f} µs ({ours_cpu / main_cpu:.2f}x)"
        )
    others = {c: r[1]["cpu_us"] for c, r in rows.items() if c not in CLIENTS[:2]}
    if others:
        best = min(others, key=lambda c: others[c])
        within = others[best] <= ours_cpu * 1.10
        verdict = "a library is within 10 %: switch" if within else "none within 10 %: keep ours"
        lines.append(
            f"c=1 CPU per call: ours {ours_cpu:.0f} µs, best library {best} {others[best]:.0f} µs "
            f"({others[best] / ours_cpu:.2f}x); {verdict}"
        )
    lines.append(bench_load.machine())
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="per client and concurrency")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="wall limit of one run")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-call timeout (s)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.concurrency = (1, 16)
    missing = {c: p for c in CLIENTS if (p := importable(c))}
    clients = [c for c in CLIENTS if c not in missing]
    with tempfile.TemporaryDirectory(prefix="seldon-graphs-bench-") as tmp:
        thread = bench_nodes.start(Path(tmp), stock=False)
        try:
            node = thread.server.backend.nodes["m"]
            rows = measure((node.host, node.ports.http), clients, args)
        finally:
            thread.stop()
    print(json.dumps(rows, indent=2) if args.json else table(rows, missing))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--client":
        print(json.dumps(asyncio.run(_run(json.loads(sys.argv[2])))))
        sys.exit(0)
    sys.exit(main())
