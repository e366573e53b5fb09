"""Wait for a SeldonDeployment to become Available, or say why it will not.

Polling, not a watch: a GET every `interval` seconds survives API-server restarts and dropped
connections, and with an injected `Clock` the tests run timeouts in no real time at all.
Success is `status.state == "Available"` *and* the operator's Deployments running this spec
(rollout.py: the operator never writes `observedGeneration` and stays Available while a
re-deploy rolls out). Failure is a fatal pod problem (diagnose.py), the deadline, or a `Failed`
state that persists: the operator writes Failed on any reconcile error and retries (Seldon
#2044), so one Failed is not the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .diagnose import Problem, diagnose, pending_reason_from_events, pod_summary
from .errors import RolloutError, UnreachableError, WaitTimeout
from .kube import JsonDict, Kube
from .names import sdep_selector
from .rollout import pending

FAILED_GRACE = 30.0  # seconds a Failed state must last before the wait gives up on it
OUTAGE_GRACE = 60.0  # seconds the API server may not answer before the wait gives up


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


class Streak:
    """How long something has been true without a break (a Failed state, an outage)."""

    def __init__(self) -> None:
        self.since: float | None = None

    def seen(self, now_true: bool, now: float) -> float:
        """Record this poll; return the seconds it has been true (0 if it is not)."""
        if not now_true:
            self.since = None
            return 0.0
        if self.since is None:
            self.since = now
        return now - self.since


@dataclass(frozen=True)
class Look:
    """One poll: the SeldonDeployment, what its rollout and pods say."""

    sdep: JsonDict
    state: str
    rolling: str  # why the Deployments do not run this spec yet, "" when they do
    pods: list[Any]
    problems: list[Problem]

    @property
    def done(self) -> bool:
        return self.state == "Available" and not self.rolling


def wait_available(
    kube: Kube,
    namespace: str,
    name: str,
    timeout: float,
    progress: ProgressSink = lambda _p: None,
    clock: Clock | None = None,
    interval: float = 2.0,
) -> JsonDict:
    """Return the Available SeldonDeployment, or raise RolloutError / WaitTimeout.

    An API server that stops answering (a restart, a dropped connection) is retried for up to
    OUTAGE_GRACE seconds within the deadline; the wait goes on where it was."""
    clock = clock or SystemClock()
    start = clock.monotonic()
    failed, outage = Streak(), Streak()
    while True:
        now = clock.monotonic()
        elapsed = now - start
        try:
            look = _look(kube, namespace, name)
        except UnreachableError as err:
            if outage.seen(True, now) >= OUTAGE_GRACE or elapsed >= timeout:
                raise
            progress(Progress(elapsed, "unreachable", 0, 0, f"{err.message}; retrying"))
        else:
            outage.seen(False, now)
            if look.done:
                return look.sdep
            failed_for = failed.seen(look.state == "Failed", now)
            _raise_if_fatal(kube, namespace, name, look.sdep, look.problems, failed_for)
            ready, total = pod_summary(look.pods)
            note = _note(look.problems) or look.rolling or _failed_note(look.sdep, look.state)
            progress(Progress(elapsed, look.state or "Creating", ready, total, note))
            if elapsed >= timeout:
                raise _timeout(kube, namespace, name, timeout, look)
        clock.sleep(max(0.0, min(interval, timeout - elapsed)))


def _look(kube: Kube, namespace: str, name: str) -> Look:
    sdep = kube.get_sdep(namespace, name)
    if sdep is None:
        raise RolloutError(f"SeldonDeployment {namespace}/{name} disappeared while waiting")
    state = str((sdep.get("status") or {}).get("state") or "")
    rolling = ""
    if state == "Available":
        rolling = pending(sdep, kube.deployments(namespace, sdep_selector(name)))
        if not rolling:
            return Look(sdep, state, rolling, [], [])
    pods = kube.pods(namespace, sdep_selector(name))
    return Look(sdep, state, rolling, pods, diagnose(pods))


def wait_gone(
    kube: Kube,
    namespace: str,
    name: str,
    timeout: float = 60.0,
    clock: Clock | None = None,
    interval: float = 0.5,
) -> None:
    """Return once the SeldonDeployment is gone. A foreground delete only marks it: the garbage
    collector removes its Deployments and Services first, and an apply meanwhile would land on
    the object being deleted."""
    clock = clock or SystemClock()
    deadline = clock.monotonic() + timeout
    while kube.get_sdep(namespace, name) is not None:
        left = deadline - clock.monotonic()
        if left <= 0:
            raise WaitTimeout(
                f"{namespace}/{name} is still being deleted after {timeout:g}s",
                f"`kubectl -n {namespace} get sdep {name} -o yaml` shows what holds it "
                "(metadata.finalizers)",
            )
        clock.sleep(min(interval, left))


def _failed_note(sdep: JsonDict, state: str) -> str:
    if state != "Failed":
        return ""
    return f"the operator reports: {_description(sdep)}; it retries"


def _description(sdep: JsonDict) -> str:
    return str((sdep.get("status") or {}).get("description") or "no description given")


def _note(problems: list[Problem]) -> str:
    if not problems:
        return ""
    p = problems[0]
    return f"{p.pod}: {p.reason}"


def _raise_if_fatal(
    kube: Kube,
    namespace: str,
    name: str,
    sdep: JsonDict,
    problems: list[Problem],
    failed_for: float,
) -> None:
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise RolloutError(
            f"SeldonDeployment {namespace}/{name} cannot become Available:\n"
            + "\n".join(_explain(kube, namespace, p) for p in fatal)
        )
    if failed_for >= FAILED_GRACE:
        raise RolloutError(
            f"the Seldon operator has marked {namespace}/{name} Failed for {failed_for:.0f}s: "
            f"{_description(sdep)}"
        )


def _explain(kube: Kube, namespace: str, problem: Problem) -> str:
    tail = ""
    if problem.reason == "CrashLoopBackOff" and problem.container:
        tail = kube.log_tail(namespace, problem.pod, problem.container)
    return "  " + problem.render(tail).replace("\n", "\n  ")


def _timeout(kube: Kube, namespace: str, name: str, timeout: float, look: Look) -> WaitTimeout:
    state, pods, problems = look.state, look.pods, look.problems
    head = f"{namespace}/{name} is not Available after {timeout:g}s (state: {state or 'none yet'})"
    if state == "Failed":
        head += f"; the operator reports: {_description(look.sdep)}"
    if look.rolling:
        return WaitTimeout(
            f"{head}; the new spec is not rolled out yet: {look.rolling}",
            f"`kubectl -n {namespace} get deployments -l {sdep_selector(name)}` shows the rollout",
        )
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
        f"{namespace} get pods -l {sdep_selector(name)}`",
    )


def _pending_from_events(kube: Kube, namespace: str, pod: Any) -> Problem | None:
    if (pod.status.phase or "") != "Pending":
        return None
    name = pod.metadata.name
    return pending_reason_from_events(name, kube.events_for(namespace, "Pod", name))
