"""`run DEPLOYMENT_FILE`: the local ingress in front of one executor per predictor, under load
over real HTTP on 127.0.0.1 (the nodes run in-process: the ingress is what is tested here).

A slow shadow is held by a gate file (an event another thread sets), never by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import textwrap
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from seldon_graphs import load_deployment
from seldon_graphs.cli.run_deployment_commands import ingress_for
from seldon_graphs.runtime.ingress import PREDICTOR_HEADER, SHADOW_LIMIT, Ingress, IngressOptions
from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.server import ServerThread
from tests.helpers import project

SEED = 7
REQUESTS = 400
WORKERS = 8
BODY = {"data": {"ndarray": [[1.0, 2.0]]}}
IRIS_BODY = {"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}

MODELS = """\
import os
import time


class Doubler:
    def predict(self, X, features_names=None):
        return [[2 * v for v in row] for row in X]


class Broken:
    def predict(self, X, features_names=None):
        raise RuntimeError("the shadow is broken")


class Gated:
    '''Answers once the gate file exists (bounded: 60 s), like a shadow stuck on a slow model.'''

    def __init__(self, gate=""):
        self.gate = gate

    def predict(self, X, features_names=None):
        deadline = time.monotonic() + 60
        while not os.path.exists(self.gate) and time.monotonic() < deadline:
            time.sleep(0.01)
        return X
"""


def graph(node: str, cls: str, params: str = "") -> str:
    extra = f", params: {{{params}}}" if params else ""
    return f"nodes:\n  {node}: {{python: models.py:{cls}{extra}}}\n"


def deployment_file(root: Path, shadow: str | None) -> Path:
    predictors = {
        "main": ("main-model", "Doubler", "traffic: 90"),
        "canary": ("canary-model", "Doubler", "traffic: 10"),
    }
    text = "deployment: rollout\nnamespace: local\npredictors:\n"
    for name, (node, cls, share) in predictors.items():
        text += f"  {name}:\n    {share}\n    graph:\n" + textwrap.indent(
            graph(node, cls), "      "
        )
    if shadow is not None:
        cls, params = shadow.split("|") if "|" in shadow else (shadow, "")
        body = graph("shadow-model", cls, params)
        text += "  mirror:\n    shadow: true\n    graph:\n" + textwrap.indent(body, "      ")
    path = root / "deploy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class Running:
    """An ingress with its executors on a background event loop."""

    def __init__(self, file: Path, seed: int = SEED) -> None:
        dep = load_deployment(file)
        options = IngressOptions(port=0, namespace="local", name="rollout", seed=seed)
        self.ingress: Ingress = ingress_for(dep, InProcessBackend, options)
        self.thread = ServerThread(self.ingress)  # type: ignore[arg-type]

    def __enter__(self) -> Running:
        self.url = self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.stop()

    def settled(self, timeout: float = 90.0) -> None:
        future = asyncio.run_coroutine_threadsafe(self.ingress.settled(), self.thread.loop)
        future.result(timeout)

    def post(self, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(
            f"{self.url}/api/v1.0/predictions", json=BODY, headers=headers or {}, timeout=60
        )

    def load(self, count: int = REQUESTS) -> list[requests.Response]:
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(lambda _: self.post(), range(count)))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = project(tmp_path)
    (root / "models.py").write_text(MODELS, encoding="utf-8")
    return root


def _answer(r: requests.Response) -> tuple[int, str, Any]:
    meta = r.json()["meta"]
    return r.status_code, r.headers[PREDICTOR_HEADER], (r.json()["data"], meta["requestPath"])


def expected_split(seed: int, count: int) -> Counter[str]:
    """The draws the ingress makes: one per request, whatever order they arrive in."""
    draw = random.Random(seed)
    return Counter(draw.choices(["main", "canary"], [90, 10])[0] for _ in range(count))


def test_the_split_follows_the_weights_and_the_seed_under_load(root: Path) -> None:
    with Running(deployment_file(root, shadow="Doubler")) as run:
        answers = run.load()
        run.settled()
        counts = run.ingress.counts
    seen = Counter(r.headers[PREDICTOR_HEADER] for r in answers)
    assert seen == expected_split(SEED, REQUESTS)
    assert abs(seen["canary"] - REQUESTS * 0.10) <= REQUESTS * 0.05
    assert {r.status_code for r in answers} == {200}
    # Each answer comes from the predictor it names, through that predictor's own graph.
    for r in answers:
        name = r.headers[PREDICTOR_HEADER]
        assert list(r.json()["meta"]["requestPath"]) == [f"{name}-model"], r.text
        assert r.json()["data"]["ndarray"] == [[2.0, 4.0]]
    # The shadow got a copy of every request, and answered each.
    assert counts.mirrored == Counter({"ok": REQUESTS})
    assert counts.routed == Counter({**expected_split(SEED, REQUESTS), "mirror": REQUESTS})


def test_another_seed_gives_another_reproducible_split(root: Path) -> None:
    file = deployment_file(root, shadow=None)
    for seed in (1, 1, 2):
        with Running(file, seed) as run:
            seen = Counter(run.post().headers[PREDICTOR_HEADER] for _ in range(60))
        assert seen == expected_split(seed, 60)


def test_a_broken_shadow_changes_nothing_in_the_answers(root: Path) -> None:
    with Running(deployment_file(root, shadow=None)) as run:
        without = sorted(map(_answer, run.load(100)))
    with Running(deployment_file(root, shadow="Broken")) as run:
        broken = sorted(map(_answer, run.load(100)))
        run.settled()
        counts = run.ingress.counts
    assert broken == without
    assert counts.mirrored == Counter({"failed": 100})


def test_a_stuck_shadow_does_not_hold_the_answers(root: Path) -> None:
    gate = root / "gate"
    with Running(deployment_file(root, shadow=f"Gated|gate: {gate}")) as run:
        answers = run.load(100)  # all answered while the shadow cannot answer any
        assert {r.status_code for r in answers} == {200}
        assert run.ingress.counts.mirrored["ok"] == 0
        gate.write_text("open")
        run.settled()
        mirrored = run.ingress.counts.mirrored
    # Beyond SHADOW_LIMIT mirrored requests waiting, the rest were dropped, and counted.
    assert mirrored["ok"] + mirrored["dropped"] == 100
    assert mirrored["ok"] >= 1 and mirrored["ok"] <= SHADOW_LIMIT


def test_a_header_pins_a_predictor_and_is_not_mirrored(root: Path) -> None:
    with Running(deployment_file(root, shadow="Doubler")) as run:
        pinned = [run.post({PREDICTOR_HEADER: "canary"}) for _ in range(20)]
        shadow = run.post({PREDICTOR_HEADER: "mirror"})
        unknown = run.post({PREDICTOR_HEADER: "nope"})
        run.settled()
        counts = run.ingress.counts
    assert {r.headers[PREDICTOR_HEADER] for r in pinned} == {"canary"}
    assert list(shadow.json()["meta"]["requestPath"]) == ["shadow-model"]
    assert unknown.status_code == 404
    assert json.loads(unknown.content) == {
        "status": {
            "code": 404,
            "info": "no predictor named 'nope' (predictors: main, canary, mirror)",
            "status": "FAILURE",
        }
    }
    assert counts.mirrored == Counter()


def test_metrics_per_predictor_and_the_ingress_prefix(root: Path) -> None:
    with Running(deployment_file(root, shadow="Doubler")) as run:
        answers = [
            requests.post(
                f"{run.url}/seldon/local/rollout/api/v1.0/predictions", json=BODY, timeout=60
            )
            for _ in range(10)
        ]
        run.settled()
        ready = requests.get(f"{run.url}/ready", timeout=30)
        ingress = requests.get(f"{run.url}/prometheus", timeout=30).text
        executors = {
            name: requests.get(f"{p.server.url}/prometheus", timeout=30).text
            for name, p in run.ingress.predictors.items()
        }
    assert {r.status_code for r in answers} == {200}
    assert ready.status_code == 200
    split = expected_split(SEED, 10)
    for name, count in [*split.items(), ("mirror", 10)]:
        line = (
            f'seldon_ingress_requests_total{{deployment_name="rollout",'
            f'predictor_name="{name}"}} {count}'
        )
        assert line in ingress.splitlines()
    # Each executor counts under its predictor's name (the ones that got requests).
    assert set(split) | {"mirror"} == {n for n, text in executors.items() if "_count{" in text}
    for name in [*split, "mirror"]:
        assert f'predictor_name="{name}"' in executors[name], name
        assert 'deployment_name="rollout"' in executors[name]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """requests must reach 127.0.0.1 directly, whatever proxy the machine sets."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield


@pytest.mark.slow
def test_run_serves_the_example_deployment_as_processes(iris_dir: Path) -> None:
    """The command line end to end: each predictor's sklearn server a real microservice."""
    from .conftest import wait_until
    from .test_commands import Run, children_of, group_alive

    canary = str(Path(__file__).resolve().parents[2] / "graphs" / "iris-canary.yaml")
    run = Run(canary, "--model-uri", f"classifier={iris_dir}", "--seed", "3")
    try:
        answers = [
            requests.post(f"{run.url}/api/v1.0/predictions", json=IRIS_BODY, timeout=60)
            for _ in range(20)
        ]
        seen = Counter(r.headers[PREDICTOR_HEADER] for r in answers)
        assert seen == expected_split(3, 20)
        assert {r.status_code for r in answers} == {200}
        assert {len(r.json()["data"]["ndarray"][0]) for r in answers} == {3}  # iris classes
        groups = children_of(run.proc.pid)
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(timeout=60) == 0
        # killed, but a node's orphaned workers are reaped by init a moment later
        wait_until(lambda: not [g for g in groups if group_alive(g)], "the node processes to go")
    finally:
        run.close()
