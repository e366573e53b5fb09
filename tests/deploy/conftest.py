"""Fixtures: a fake API server (fakeapi.py), a kubeconfig pointing at it, fake time."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from seldon_graphs.deploy import Kube, connect
from tests.helpers import NO_SHARED, SELDON_EXAMPLES, require_file

from .fakeapi import FakeApiServer, FakeCluster


def shared_example(relative: str) -> Path:
    return require_file(SELDON_EXAMPLES / relative, NO_SHARED)


def load_example(relative: str) -> dict[str, Any]:
    return dict(yaml.safe_load(shared_example(relative).read_text()))


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    with FakeApiServer() as fake:
        yield fake


@pytest.fixture
def kubeconfig(cluster: FakeCluster, tmp_path: Path) -> Path:
    return cluster.kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def kube(kubeconfig: Path) -> Kube:
    return connect(kubeconfig=str(kubeconfig))


class FakeClock:
    """Time that passes only when the code sleeps: timeouts cost nothing. A loop that never
    ends (a deadline missed by a rounding, a sleep of 0 forever) fails after MAX_SLEEPS."""

    MAX_SLEEPS = 10_000

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > self.MAX_SLEEPS:
            last = self.sleeps[-3:]
            raise AssertionError(f"still polling after {self.MAX_SLEEPS} sleeps: {last}")
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def sdep(name: str = "test", namespace: str | None = "models") -> dict[str, Any]:
    """Seldon's tin-model-tout example (three containers, a three-node chain), renamed."""
    obj = copy.deepcopy(load_example("valid/examples__graph_examples__tin-model-tout.yaml"))
    obj["metadata"]["name"] = name
    if namespace:
        obj["metadata"]["namespace"] = namespace
    return obj


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    quiet_client_warnings(items, Path(__file__).parent)


def quiet_client_warnings(items: list[pytest.Item], here: Path) -> None:
    """For the tests under `here`: kubernetes 36's rest.py calls urllib3 1.26's deprecated
    getheader(s) on every response: not ours to fix, and thousands of lines of noise. Nothing
    else is filtered."""
    noise = pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning")
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(noise)
