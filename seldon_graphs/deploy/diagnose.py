"""Why a SeldonDeployment's pods are not ready: read from pod statuses, conditions and events.

`diagnose(pods)` returns the problems it sees, worst first. A *fatal* problem will not fix
itself (an image that cannot be pulled, a container that keeps crashing, a missing secret),
so the wait stops at once; a non-fatal one (Pending on the scheduler) is reported if the
wait runs out of time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PULL_FAILURES = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull")
# ErrImagePull alone may be a passing network error; kubelet retries and, if it keeps
# failing, reports ImagePullBackOff within seconds: that one stops the wait.
RETRIED = ("ErrImagePull",)
CRASHES = ("CrashLoopBackOff",)
INITIALIZER_SUFFIX = "-model-initializer"  # the operator's name for the storage init container
STORAGE_HINT = (
    "the storage initializer could not download the model (its log above is rclone's): check "
    "that the node's secret holds RCLONE_CONFIG_<REMOTE>_* keys (`seldon-graphs secret create`) "
    "and that the model is at its model_uri (`seldon-graphs models push GRAPH`)"
)
CONFIG_FAILURES = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")


@dataclass(frozen=True)
class Problem:
    pod: str
    container: str | None
    reason: str
    message: str
    fatal: bool
    image: str | None = None
    init: bool = False

    def render(self, log_tail: str = "") -> str:
        where = f"pod {self.pod}" + (
            f", {'init ' if self.init else ''}container {self.container}" if self.container else ""
        )
        if self.reason in PULL_FAILURES:
            text = f"{where}: cannot pull image {self.image!r} ({self.reason}): {self.message}"
            text += "\n  help: " + _pull_hint(self.image or "")
        elif self.reason in CRASHES:
            text = f"{where} keeps crashing ({self.reason}): {self.message}"
            if log_tail:
                lines = log_tail.rstrip("\n").splitlines()
                text += "\n  last log lines:\n" + "\n".join(f"    | {ln}" for ln in lines)
            if self.init and (self.container or "").endswith(INITIALIZER_SUFFIX):
                text += "\n  help: " + STORAGE_HINT
        else:
            text = f"{where}: {self.reason}: {self.message}"
            if "secret" in self.message and "not found" in self.message:
                text += (
                    "\n  help: create it with `seldon-graphs secret create NAME --namespace NS "
                    "--from-env VAR,...` (or --from-file FILE)"
                )
        return text


def _pull_hint(image: str) -> str:
    return (
        f"on kind, load local images with `kind load docker-image {image} --name <cluster>` "
        "(deploy does this unless --no-build); elsewhere push the image to the graph's "
        "registry and check imagePullSecrets"
    )


def diagnose(pods: Iterable[Any]) -> list[Problem]:
    """Every problem in `pods`, fatal ones first."""
    found: list[Problem] = []
    for pod in pods:
        found.extend(_pod_problems(pod))
    return sorted(found, key=lambda p: not p.fatal)


def _pod_problems(pod: Any) -> list[Problem]:
    name = pod.metadata.name
    status = pod.status
    problems = [
        p
        for init, statuses in (
            (True, status.init_container_statuses),
            (False, status.container_statuses),
        )
        for cs in statuses or []
        if (p := _container_problem(name, cs, init)) is not None
    ]
    if not problems and (status.phase or "") == "Pending":
        unscheduled = _unscheduled(name, status.conditions or [])
        if unscheduled:
            problems.append(unscheduled)
    return problems


def _container_problem(pod: str, cs: Any, init: bool) -> Problem | None:
    waiting = cs.state.waiting if cs.state else None
    if waiting is None or not waiting.reason:
        return None
    reason = str(waiting.reason)
    message = str(waiting.message or "")
    if reason in CRASHES:
        last = cs.last_state.terminated if cs.last_state else None
        if last is not None:
            message = f"last exit code {last.exit_code}" + (
                f" ({last.reason})" if last.reason else ""
            )
    fatal = reason in PULL_FAILURES + CRASHES + CONFIG_FAILURES and reason not in RETRIED
    return Problem(pod, cs.name, reason, message, fatal, image=cs.image, init=init)


def _unscheduled(pod: str, conditions: Iterable[Any]) -> Problem | None:
    for cond in conditions:
        if cond.type == "PodScheduled" and cond.status == "False":
            return Problem(pod, None, cond.reason or "Pending", cond.message or "", fatal=False)
    return None


def pending_reason_from_events(pod: str, events: Iterable[Any]) -> Problem | None:
    """The latest FailedScheduling event, when the pod conditions carry no message."""
    latest = None
    for ev in events:
        if ev.reason == "FailedScheduling":
            latest = ev
    if latest is None:
        return None
    return Problem(pod, None, "FailedScheduling", str(latest.message or ""), fatal=False)


def pod_summary(pods: Iterable[Any]) -> tuple[int, int]:
    """(ready pods, all pods)."""
    total = ready = 0
    for pod in pods:
        total += 1
        conds = pod.status.conditions or []
        if any(c.type == "Ready" and c.status == "True" for c in conds):
            ready += 1
    return ready, total
