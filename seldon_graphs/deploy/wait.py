"""Wait for a SeldonDeployment to become Available, or say why it will not.

Polling, not a watch: a GET every `interval` seconds survives API-server restarts and dropped
connections, and with an injected `Clock` the tests run timeouts in no real time at all.
Success is `status.state == "Available"` (for the generation we applied); failure is
`status.state == "Failed"`, or a fatal pod problem (diagnose.py), or the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .diagnose import Problem, diagnose, pending_reason_from_events, pod_summary
from .errors import RolloutError, WaitTimeout
from .kube import JsonDict, Kube

SDEP_LABEL = "seldon-deployment-id"  # put on every pod by the Seldon operator


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class Progress:
    elapsed: float
    state: str
    ready: int
    pods: int
    note: str  # the most telling pod problem, or ""

    def render(self) -> str:
        line = f"[{self.elapsed:4.0f}s] {self.state}: {self.ready}/{self.pods} pods ready"
        return f"{line} ({self.note})" if self.note else line


ProgressSink = Callable[[Progress], None]


def wait_available(
    kube: Kube,
    namespace: str,
    name: str,
    timeout: float,
    progress: ProgressSink = lambda _p: None,
    clock: Clock | None = None,
    interval: float = 2.0,
) -> JsonDict:
    """Return the Available SeldonDeployment, or raise RolloutError / WaitTimeout."""
    clock = clock or SystemClock()
    start = clock.monotonic()
    last: list[Problem] = []
    pods: list[Any] = []
    while True:
        sdep = kube.get_sdep(namespace, name)
        if sdep is None:
            raise RolloutError(f"SeldonDeployment {namespace}/{name} disappeared while waiting")
        state, generation_seen = _state(sdep)
        if state == "Available" and generation_seen:
            return sdep
        pods = kube.pods(namespace, f"{SDEP_LABEL}={name}")
        last = diagnose(pods)
        _raise_if_fatal(kube, namespace, name, sdep, state, last)
        elapsed = clock.monotonic() - start
        ready, total = pod_summary(pods)
        progress(Progress(elapsed, state or "Creating", ready, total, _note(last)))
        if elapsed >= timeout:
            raise _timeout(kube, namespace, name, timeout, state, pods, last)
        clock.sleep(max(0.0, min(interval, timeout - elapsed)))


def _state(sdep: JsonDict) -> tuple[str, bool]:
    status = sdep.get("status") or {}
    generation = (sdep.get("metadata") or {}).get("generation")
    observed = status.get("observedGeneration")
    current = generation is None or observed is None or observed >= generation
    return str(status.get("state") or ""), current


def _note(problems: list[Problem]) -> str:
    if not problems:
        return ""
    p = problems[0]
    return f"{p.pod}: {p.reason}"


def _raise_if_fatal(
    kube: Kube, namespace: str, name: str, sdep: JsonDict, state: str, problems: list[Problem]
) -> None:
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise RolloutError(
            f"SeldonDeployment {namespace}/{name} cannot become Available:\n"
            + "\n".join(_explain(kube, namespace, p) for p in fatal)
        )
    if state == "Failed":
        why = (sdep.get("status") or {}).get("description") or "no description given"
        raise RolloutError(f"the Seldon operator marked {namespace}/{name} Failed: {why}")


def _explain(kube: Kube, namespace: str, problem: Problem) -> str:
    tail = ""
    if problem.reason == "CrashLoopBackOff" and problem.container:
        tail = kube.log_tail(namespace, problem.pod, problem.container)
    return "  " + problem.render(tail).replace("\n", "\n  ")


def _timeout(
    kube: Kube,
    namespace: str,
    name: str,
    timeout: float,
    state: str,
    pods: list[Any],
    problems: list[Problem],
) -> WaitTimeout:
    head = f"{namespace}/{name} is not Available after {timeout:g}s (state: {state or 'none yet'})"
    if not pods:
        return WaitTimeout(
            f"{head}; no pods were created",
            "is the Seldon operator running? `kubectl -n seldon-system get pods`; "
            f"`kubectl -n {namespace} describe sdep {name}` shows its status",
        )
    if not problems:
        problems = [p for pod in pods if (p := _pending_from_events(kube, namespace, pod))]
    if problems:
        return WaitTimeout(head + ":\n" + "\n".join(f"  {p.render()}" for p in problems))
    return WaitTimeout(
        f"{head}; pods are starting but not ready yet",
        "wait longer with --wait SECONDS, or see `kubectl -n "
        f"{namespace} get pods -l {SDEP_LABEL}={name}`",
    )


def _pending_from_events(kube: Kube, namespace: str, pod: Any) -> Problem | None:
    if (pod.status.phase or "") != "Pending":
        return None
    name = pod.metadata.name
    return pending_reason_from_events(name, kube.events_for(namespace, "Pod", name))
