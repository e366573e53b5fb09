"""How the process and docker runtimes keep nodes up: one policy for both.

A node is ready when it answers `/health/ping` (the process runtime also checks that the
answer carries the node's own token, so a process that is not this node is never taken for
it). While it serves, `/health/status` is probed every `probe_interval` seconds; that path
takes seldon-core's metrics lock like a prediction does, so it finds the wedge a SIGKILLed
gunicorn worker leaves (the lock held for good while `/health/ping` still answers). A node
that misses `probe_failures` probes in a row, and is not busy with a call the executor still
waits for, is restarted; so is one that exits, and one that does not answer within
`start_timeout` of a (re)start. Restarts back off: `backoff` seconds for the 1st, 2nd, ...
exit in a row within a minute of its start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from .http1 import Client

TOKEN_HEADER = "x-seldon-graphs-node"
QUICK_EXIT_S = 60.0  # an exit this soon after the start counts towards the next back-off


@dataclass(frozen=True)
class Policy:
    start_timeout: float = 120.0
    probe_interval: float = 2.0
    probe_timeout: float = 2.0
    probe_failures: int = 3
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    stop_grace: float = 3.0  # a node process stopped: SIGTERM, then SIGKILL this much later


DEFAULT_POLICY = Policy()


class Backoff:
    """The delay before the next restart: longer for each exit in a row soon after a start."""

    def __init__(self, delays: tuple[float, ...]) -> None:
        self.delays = delays
        self.quick = 0

    def next(self, ran_for: float) -> float:
        self.quick = self.quick + 1 if ran_for < QUICK_EXIT_S else 1
        return self.delays[min(self.quick, len(self.delays)) - 1]


async def probe(
    client: Client, url: tuple[str, int], path: str, timeout: float, token: str | None
) -> str | None:
    """None if the node answers `path` in time (as itself, when `token` is given), else why
    not. Any HTTP status counts as an answer: this asks whether the node answers at all."""
    host, port = url
    try:
        async with asyncio.timeout(timeout):
            answer = await client.request("GET", host, port, path, {})
    except TimeoutError:
        return f"no answer to {path} within {timeout:g}s"
    except (OSError, ValueError) as exc:
        return f"{path}: {exc or type(exc).__name__}"
    if token is not None and answer.headers.get(TOKEN_HEADER) != token:
        return f"port {port} is answered by another process, not this node"
    return None


def reason_down(name: str, state: str, restarts: int, problem: str | None) -> str | None:
    """Why a node cannot take calls now (None when it can), for /ready and 503 answers."""
    if state == "ready":
        return None
    if state == "stopped":
        return f"node {name!r} is stopped (the graph is shutting down)"
    if state == "starting" and restarts == 0:
        return f"node {name!r} is starting"
    if state == "failed":  # nothing restarts it: its supervisor is gone
        return f"node {name!r} {problem}; it is not restarted (stop and rerun the graph)"
    return f"node {name!r} {problem} and is restarting (restart {restarts})"


class Liveness:
    """Counts missed probes of a serving node and says when it is hung.

    `activity()` gives the executor's calls to the node: how many are in flight, and when it
    last answered one. A node that answers calls is alive even if probes time out (they queue
    behind requests in a single-threaded node); a node busy with calls the executor still
    waits for (younger than `call_timeout` since its last sign of life) is not hung either."""

    def __init__(
        self, policy: Policy, activity: Callable[[], tuple[int, float]], call_timeout: float
    ) -> None:
        self.policy = policy
        self.activity = activity
        self.call_timeout = call_timeout
        self.missed = 0
        self.alive_at = time.monotonic()  # its last sign of life: ready now

    def record(self, problem: str | None) -> bool:
        """Record one probe's outcome; True when the node must be restarted."""
        in_flight, answered = self.activity()
        if problem is None:
            self.alive_at, self.missed = time.monotonic(), 0
        elif answered > self.alive_at:
            self.alive_at, self.missed = answered, 0
        else:
            self.missed += 1
        overdue = time.monotonic() - self.alive_at >= self.call_timeout
        return self.missed >= self.policy.probe_failures and (in_flight == 0 or overdue)

    def verdict(self, problem: str) -> str:
        return f"stopped answering: {self.missed} probes in a row failed, the last with {problem}"
