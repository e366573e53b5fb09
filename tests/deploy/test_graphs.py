"""Real graph files compiled by seldon_graphs.api, deployed against the fake API server."""

from __future__ import annotations

import base64
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import api
from seldon_graphs.deploy import (
    DeployError,
    DeployOptions,
    ImageTarget,
    Kube,
    RejectedError,
    Target,
    deploy,
    load_target,
)
from seldon_graphs.deploy.images import build_images_step

from .conftest import FakeClock
from .fakeapi import FakeCluster

ROOT = Path(__file__).resolve().parents[2]
INCOME = ROOT / "graphs" / "income.yaml"


def rclone_secret(name: str) -> dict[str, Any]:
    """A Secret in the form Seldon 1.17.1's rclone storage initializer reads."""
    keys = {"TYPE": "s3", "ACCESS_KEY_ID": "k", "SECRET_ACCESS_KEY": "s"}
    data = {f"RCLONE_CONFIG_S3_{k}": base64.b64encode(v.encode()).decode() for k, v in keys.items()}
    return {"metadata": {"name": name}, "data": data}


@pytest.fixture
def income(kube: Kube) -> Target:
    return load_target(INCOME, api.load).placed(None, kube.conn.namespace)


def test_income_needs_its_secret_before_any_build(
    kube: Kube, cluster: FakeCluster, income: Target
) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    built: list[Any] = []
    with pytest.raises(DeployError, match=r"secret.*'minio' in namespace 'models'"):
        deploy(kube, income, DeployOptions(), lambda t, d: built.append(d), print)
    assert built == []


def test_income_deploys(kube: Kube, cluster: FakeCluster, income: Target, clock: FakeClock) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.secrets[("models", "minio")] = rclone_secret("minio")
    built: list[tuple[Target, ImageTarget]] = []
    endpoint = deploy(
        kube, income, DeployOptions(wait=30), lambda t, d: built.append((t, d)), print, clock=clock
    )
    assert endpoint is not None and endpoint.service == "income-default"
    ((target, dest),) = built
    assert dest == ImageTarget("seldon", push=False)
    # lr and gb: generated server images (server_image: generated)
    assert {c.node for c in target.graph.contexts} == {"features", "vote", "label", "lr", "gb"}
    stored = cluster.sdeps[("models", "income")]
    assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "seldon-graphs"


def test_rejection_points_at_the_graph_line(
    kube: Kube, cluster: FakeCluster, income: Target
) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.secrets[("models", "minio")] = rclone_secret("minio")
    # e.g. an operator whose seldon-config lacks the server: rule 10e of the webhook
    cluster.webhook = lambda obj: [
        ("spec.predictors[0].graph[0][0][0]", "lr", "No entry in predictors map for SKLEARN_SERVER")
    ]
    with pytest.raises(RejectedError) as err:
        deploy(kube, income, DeployOptions(), lambda t, d: None, print)
    line = (
        INCOME.read_text()
        .splitlines()
        .index(next(ln for ln in INCOME.read_text().splitlines() if ln.lstrip().startswith("lr:")))
        + 1
    )
    assert (
        f"income.yaml:{line}:3: error: node 'lr': No entry in predictors map for "
        "SKLEARN_SERVER" in str(err.value)
    )


# --- the real image step, with seldon_graphs.wrapper.images replaced ---------------------------


class _BuildError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _images_module(monkeypatch: pytest.MonkeyPatch, calls: list[Any], fail: bool = False) -> None:
    module = types.ModuleType("seldon_graphs.wrapper.images")

    def build_images(plans: list[Any], **kwargs: Any) -> list[Any]:
        calls.append((plans, kwargs))
        if fail:
            raise _BuildError("Docker is not running", "start dockerd")
        return []

    module.build_images = build_images  # type: ignore[attr-defined]
    module.BuildError = _BuildError  # type: ignore[attr-defined]
    module.ConsoleProgress = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "seldon_graphs.wrapper.images", module)


def test_image_step_loads_into_kind(monkeypatch: pytest.MonkeyPatch, income: Target) -> None:
    calls: list[Any] = []
    _images_module(monkeypatch, calls)
    build_images_step(income, ImageTarget("seldon", push=False))
    ((plans, kwargs),) = calls
    assert len(plans) == 5 and kwargs["kind_cluster"] == "seldon" and kwargs["push"] is False


def test_image_step_translates_build_errors(
    monkeypatch: pytest.MonkeyPatch, income: Target
) -> None:
    _images_module(monkeypatch, [], fail=True)
    with pytest.raises(DeployError) as err:
        build_images_step(income, ImageTarget("seldon", push=False))
    assert str(err.value) == "Docker is not running" and err.value.hint == "start dockerd"


def test_push_needs_a_registry(monkeypatch: pytest.MonkeyPatch, income: Target) -> None:
    calls: list[Any] = []
    _images_module(monkeypatch, calls)
    assert not income.spec.registry  # the walkthrough pushes nowhere until you name one
    with pytest.raises(DeployError, match="no `registry:`"):
        build_images_step(income, ImageTarget(None, push=True))
    assert calls == []


def test_graph_without_python_nodes_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    _images_module(monkeypatch, calls)
    path = ROOT / "graphs" / "mlflow.yaml"
    build_images_step(load_target(path, api.load), ImageTarget(None, push=True))
    assert calls == []
