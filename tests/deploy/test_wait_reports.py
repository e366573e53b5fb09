"""Waiting for a SeldonDeployment, report by report (these kill the mutants `make mutation`
found surviving in deploy/wait.py): the progress lines and the polling rhythm, the
generation rule, and the exact words of each way the wait ends."""

from __future__ import annotations

from typing import Any

import pytest

from seldon_graphs.deploy import Kube, RolloutError, WaitTimeout
from seldon_graphs.deploy.errors import UnreachableError
from seldon_graphs.deploy.wait import Progress, wait_available

from .conftest import FakeClock, sdep
from .fakeapi import FakeCluster, pod, running, waiting

IMG = "registry.local/model:1"
NOT_READY_HINT = "wait longer with --wait SECONDS, or see `kubectl -n models get pods -l "
NOT_READY_HINT += "seldon-deployment-id=test`"


@pytest.fixture
def applied(cluster: FakeCluster) -> dict[str, Any]:
    """The SeldonDeployment as the API server holds it after an apply (generation 1)."""
    obj = sdep()
    obj["metadata"]["generation"] = 1
    cluster.sdeps[("models", "test")] = obj
    return obj


def _wait(kube: Kube, clock: FakeClock, timeout: float, lines: list[str] | None = None) -> Any:
    def sink(p: Progress) -> None:
        if lines is not None:
            lines.append(p.render())

    return wait_available(kube, "models", "test", timeout, sink, clock)


def test_progress_is_reported_each_poll_until_available(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = 3
    cluster.pods["models"] = [
        pod("p", "test", [running("a", IMG), waiting("model", IMG, "ContainerCreating")]),
        pod("q", "test", [running("b", IMG)]),
    ]
    lines: list[str] = []
    result = _wait(kube, clock, 60, lines)
    assert result["status"]["state"] == "Available"
    assert lines == [
        "[   0s] Creating: 1/2 pods ready (p: ContainerCreating)",
        "[   2s] Creating: 1/2 pods ready (p: ContainerCreating)",
    ]
    assert clock.sleeps == [2.0, 2.0]
    # once Available and rolled out, the pods are not listed again
    assert len(cluster.requests("GET", "/pods$")) == 2


def test_the_last_sleep_ends_at_the_deadline(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    cluster.pods["models"] = [
        pod("p", "test", [waiting("model", IMG, "ContainerCreating")]),
        pod("q", "test", [waiting("model", IMG, "ContainerCreating")]),
    ]
    with pytest.raises(WaitTimeout) as err:
        _wait(kube, clock, 5)
    assert clock.sleeps == [2.0, 2.0, 1.0]
    assert err.value.message == (
        "models/test is not Available after 5s (state: Creating):\n"
        "  pod p, container model: ContainerCreating: \n"
        "  pod q, container model: ContainerCreating: "
    )


def test_no_pods_at_the_deadline_points_at_the_operator(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    with pytest.raises(WaitTimeout) as err:
        _wait(kube, clock, 0.5)
    assert err.value.message == (
        "models/test is not Available after 0.5s (state: Creating); no pods were created"
    )
    assert err.value.hint == (
        "is the Seldon operator running? `kubectl -n seldon-system get pods`; "
        "`kubectl -n models describe sdep test` shows its status"
    )
    assert clock.sleeps == [0.5]


def test_ready_pods_of_a_deployment_that_is_not_available_yet(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    cluster.pods["models"] = [pod("p", "test", [running("model", IMG)])]
    lines: list[str] = []
    with pytest.raises(WaitTimeout) as err:
        _wait(kube, clock, 2, lines)
    assert err.value.message == (
        "models/test is not Available after 2s (state: Creating); "
        "pods are starting but not ready yet"
    )
    assert err.value.hint == NOT_READY_HINT
    assert lines == ["[   0s] Creating: 1/1 pods ready", "[   2s] Creating: 1/1 pods ready"]


def test_a_deployment_the_operator_has_not_seen_yet(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    applied["status"] = {"state": None}
    cluster.pods["models"] = [pod("p", "test", [running("model", IMG)])]
    lines: list[str] = []
    with pytest.raises(WaitTimeout) as err:
        _wait(kube, clock, 1, lines)
    assert lines == ["[   0s] Creating: 1/1 pods ready", "[   1s] Creating: 1/1 pods ready"]
    assert err.value.message == (
        "models/test is not Available after 1s (state: none yet); "
        "pods are starting but not ready yet"
    )


def _applied_generation_2_seen_as(applied: dict[str, Any], observed: int) -> None:
    applied["metadata"]["generation"] = 2
    applied["status"] = {"state": "Available", "observedGeneration": observed}


def test_available_for_an_older_generation_does_not(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    _applied_generation_2_seen_as(applied, 1)
    with pytest.raises(WaitTimeout) as err:
        _wait(kube, clock, 4)
    assert err.value.message.startswith("models/test is not Available after 4s (state: Available)")
    assert err.value.hint == (
        "`kubectl -n models get deployments -l seldon-deployment-id=test` shows the rollout"
    )


def test_a_deployment_that_disappears_ends_the_wait(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    with pytest.raises(RolloutError) as err:
        _wait(kube, clock, 10)
    assert err.value.message == "SeldonDeployment models/test disappeared while waiting"


@pytest.mark.parametrize(
    ("description", "why"), [("", "no description given"), ("bad spec", "bad spec")]
)
def test_failed_says_what_the_operator_said(
    kube: Kube,
    cluster: FakeCluster,
    clock: FakeClock,
    applied: dict[str, Any],
    description: str,
    why: str,
) -> None:
    """A Failed state that lasts FAILED_GRACE (the operator retries after each one)."""
    cluster.operator.failed = description
    lines: list[str] = []
    with pytest.raises(RolloutError) as err:
        _wait(kube, clock, 120, lines)
    assert err.value.message == f"the Seldon operator has marked models/test Failed for 30s: {why}"
    assert lines[0] == f"[   0s] Failed: 0/0 pods ready (the operator reports: {why}; it retries)"


def test_a_deadline_within_the_failed_grace_reports_the_state_and_why(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.failed = "bad spec"
    with pytest.raises(WaitTimeout) as err:
        _wait(kube, clock, 4)
    assert err.value.message == (
        "models/test is not Available after 4s (state: Failed); the operator reports: bad spec; "
        "no pods were created"
    )


def test_every_fatal_pod_problem_is_listed_indented(
    kube: Kube, cluster: FakeCluster, clock: FakeClock, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    cluster.pods["models"] = [
        pod("p", "test", [waiting("model", "x/y:1", "ImagePullBackOff", "back-off")]),
        pod("q", "test", [waiting("model", IMG, "CrashLoopBackOff", "restarting", exit_code=1)]),
    ]
    cluster.logs[("models", "q", "model", True)] = "boom\n"
    with pytest.raises(RolloutError) as err:
        _wait(kube, clock, 10)
    assert err.value.message == (
        "SeldonDeployment models/test cannot become Available:\n"
        "  pod p, container model: cannot pull image 'x/y:1' (ImagePullBackOff): back-off\n"
        "    help: on kind, load local images with `kind load docker-image x/y:1 --name "
        "<cluster>` (deploy does this unless --no-build); elsewhere push the image to the "
        "graph's registry and check imagePullSecrets\n"
        "  pod q, container model keeps crashing (CrashLoopBackOff): last exit code 1 (Error)\n"
        "    last log lines:\n"
        "      | boom"
    )
    # the log is fetched for the crashing container only
    assert [s.path for s in cluster.requests("GET", "/log$")] == [
        "/api/v1/namespaces/models/pods/q/log"
    ]


def test_without_a_clock_the_wait_runs_on_real_time(
    kube: Kube, cluster: FakeCluster, applied: dict[str, Any]
) -> None:
    """The only real time in these tests: three polls 10 ms apart, Available at the third."""
    cluster.operator.available_after = 3
    lines: list[Progress] = []
    result = wait_available(kube, "models", "test", 30, lines.append, interval=0.01)
    assert result["status"]["state"] == "Available"
    assert [p.state for p in lines] == ["Creating", "Creating"]
    assert lines[0].elapsed >= 0 and 0.009 < lines[1].elapsed - lines[0].elapsed < 30


# --- an API server that stops answering ---------------------------------------------------------


class OutageClock(FakeClock):
    """Fake time during which the fake API server drops every connection in `windows`."""

    def __init__(self, cluster: FakeCluster, *windows: tuple[float, float]) -> None:
        super().__init__()
        self.cluster, self.windows = cluster, windows
        self._update()

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self._update()

    def _update(self) -> None:
        self.cluster.down = any(start <= self.now < end for start, end in self.windows)


def _unreachable(cluster: FakeCluster, at: int) -> str:
    return (
        f"[{at:4d}s] unreachable: 0/0 pods ready (cannot reach the Kubernetes API at "
        f"{cluster.url} (Connection aborted: Remote end closed connection without response); "
        "retrying)"
    )


def test_the_wait_goes_on_where_it_was_after_an_outage(
    kube: Kube, cluster: FakeCluster, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = 3
    clock = OutageClock(cluster, (2, 6))
    lines: list[str] = []
    _wait(kube, clock, 60, lines)
    assert lines == [
        "[   0s] Creating: 0/0 pods ready",
        _unreachable(cluster, 2),
        _unreachable(cluster, 4),
        "[   6s] Creating: 0/0 pods ready",
    ]
    assert clock.now == 8


def test_outages_count_from_their_own_start(
    kube: Kube, cluster: FakeCluster, applied: dict[str, Any]
) -> None:
    """Two outages of 50 s, 2 s apart: neither reaches OUTAGE_GRACE (60 s), together they do."""
    cluster.operator.available_after = 3
    clock = OutageClock(cluster, (2, 52), (54, 104))
    _wait(kube, clock, 300)
    assert clock.now == 104


def test_an_outage_that_lasts_ends_the_wait_after_a_minute(
    kube: Kube, cluster: FakeCluster, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    clock = OutageClock(cluster, (10, float("inf")))
    with pytest.raises(UnreachableError) as err:
        _wait(kube, clock, 600)
    assert clock.now == 70
    assert err.value.message == (
        f"cannot reach the Kubernetes API at {cluster.url} (Connection aborted: Remote end closed "
        "connection without response)"
    )


def test_an_outage_at_the_deadline_ends_the_wait_at_the_deadline(
    kube: Kube, cluster: FakeCluster, applied: dict[str, Any]
) -> None:
    cluster.operator.available_after = None
    clock = OutageClock(cluster, (4, float("inf")))
    with pytest.raises(UnreachableError):
        _wait(kube, clock, 10)
    assert clock.sleeps == [2.0] * 5
