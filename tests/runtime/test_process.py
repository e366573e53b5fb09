"""The process runtime: real `seldon-core-microservice` processes on 127.0.0.1, the same
answers as in-process, crashes survived, nothing left running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.ports import Ports
from seldon_graphs.runtime.process import NodeStartError, ProcessBackend
from seldon_graphs.runtime.server import ServerThread
from seldon_graphs.runtime.supervision import Policy

from .conftest import serve, wait_until
from .graphs import NODES, OT, TAGS, C, M, R, T, graph, py, tree

pytestmark = pytest.mark.slow


def conformance_graph() -> tuple[Any, Any]:
    """r routes on the request's first number: 0 combiner, 1 chain, 2 failing model."""
    spec = graph(
        "conformance",
        [
            py("r", f"{NODES}/DataRouter.py", "DataRouter"),
            py("c", f"{TAGS}/Combiner.py", "Combiner"),
            py("one", f"{TAGS}/ModelOne.py", "ModelOne"),
            py("two", f"{TAGS}/ModelTwo.py", "ModelTwo"),
            py("out", f"{NODES}/Affine.py", "Affine", {"name": "out", "add": 100.0}),
            py("tin", f"{NODES}/Affine.py", "Affine", {"name": "tin", "add": 1.0}),
            py("m", f"{NODES}/Affine.py", "Affine", {"name": "m", "mul": 10}),
            py("bad", f"{NODES}/Failing.py", "Failing", {"status": 409}),
        ],
        rest_timeout_ms=20_000,
    )
    root = tree(
        "r", R,
        tree("c", C, tree("one", M), tree("two", M)),
        tree("out", OT, tree("tin", T, tree("m", M))),
        tree("bad", M),
    )  # fmt: skip
    return spec, root


REQUESTS = [
    {"data": {"ndarray": [[0, 7]]}},  # route 0: combiner of the tags models
    {"data": {"ndarray": [[1, 7]]}},  # route 1: output transformer <- transformer <- model
    {"data": {"tensor": {"shape": [1, 2], "values": [1, 2]}}},
    {"data": {"ndarray": [[-1, 7]]}},  # all children: `bad` fails, so the request does
    {"data": {"ndarray": [[-2, 7]]}, "meta": {"tags": {"client": "x"}}},  # the input back
    {"data": {"names": ["a", "b"], "ndarray": [[1, 3]]}, "meta": {"puid": "p1"}},
    {"data": {"ndarray": [[2, 7]]}},  # 409 from a node, passed through
    {"data": {"ndarray": [[5, 7]]}},  # route out of range: a clear 500
    {"strData": "not numbers"},  # the router fails on it: the wrapper's error
]


class Reports:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self.lock:
            self.lines.append(text)


@pytest.fixture(scope="module")
def reports() -> Reports:
    return Reports()


@pytest.fixture(scope="module")
def process_graph(reports: Reports) -> Iterator[ServerThread]:
    backend = ProcessBackend(*conformance_graph(), report=reports)
    thread = serve(backend, name="conformance", max_concurrency=64)
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def inprocess_graph() -> Iterator[ServerThread]:
    thread = serve(InProcessBackend(*conformance_graph()), name="conformance")
    yield thread
    thread.stop()


def answer(url: str, body: Any, path: str = "/api/v1.0/predictions") -> tuple[int, Any]:
    r = requests.post(url + path, json=body, headers={"Seldon-Puid": "fixed"}, timeout=30)
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


def test_same_answers_in_process_and_as_processes(process_graph, inprocess_graph):
    """Every request through both runtimes: identical status and JSON."""
    for body in REQUESTS:
        expected = answer(inprocess_graph.server.url, body)
        assert answer(process_graph.server.url, body) == expected, body


def test_the_conformance_answers_themselves(process_graph):
    url = process_graph.server.url
    status, out = answer(url, REQUESTS[0])
    assert status == 200 and out["data"]["ndarray"] == [["model-1"], ["model-2"]]
    assert out["meta"]["tags"] == {
        "combiner": "yes",
        "common": 2,
        "model-1": "yes",
        "model-2": "yes",
    }
    status, out = answer(url, REQUESTS[1])
    assert out["data"]["ndarray"] == [[120.0, 180.0]]  # ((x + 1) * 10) + 100
    assert out["meta"]["requestPath"].keys() == {"out", "tin", "m"}
    status, out = answer(url, REQUESTS[3])
    assert status == 409  # all children ran; `bad` failed, so the graph fails
    status, out = answer(url, REQUESTS[4])
    assert out == REQUESTS[4]  # -2: the router's input, untouched
    status, out = answer(url, REQUESTS[6])
    assert status == 409 and out["status"]["info"] == "model says no"
    status, out = answer(url, REQUESTS[7])
    assert status == 500 and "router 'r' chose route 5" in out["status"]["info"]


def test_graph_metadata_and_feedback(process_graph, inprocess_graph):
    for path in ("/api/v1.0/metadata", "/api/v1.0/metadata/m", "/api/v1.0/status/one"):
        a = requests.get(process_graph.server.url + path, timeout=30)
        b = requests.get(inprocess_graph.server.url + path, timeout=30)
        assert (a.status_code, a.json()) == (b.status_code, b.json()), path
    fb = {"request": REQUESTS[1], "response": {"meta": {"routing": {"r": 1}}}, "reward": 1}
    expected = answer(inprocess_graph.server.url, fb, "/api/v1.0/feedback")
    assert answer(process_graph.server.url, fb, "/api/v1.0/feedback") == expected


def test_nodes_get_the_operators_ports_or_free_ones(process_graph):
    backend = process_graph.server.backend
    moved = backend.ports.moved  # an operator's port that was taken -> the one used instead
    for index, node in enumerate(backend.nodes.values()):
        wanted = Ports(9000 + index, 9500 + index, 6000 + index)
        assert node.ports == Ports(
            *(moved.get(port, port) for port in (wanted.http, wanted.grpc, wanted.metrics))
        )
    assert {n.host for n in backend.nodes.values()} == {"127.0.0.1"}
    held = {n.ports.http for n in backend.nodes.values()}
    assert len(held) == len(backend.nodes) and held <= backend.ports.sockets.keys()


def kill_node(node: Any) -> None:
    os.killpg(node.proc.pid, signal.SIGKILL)


def test_load_with_a_node_crash_mid_run(process_graph, reports):
    """Many concurrent requests, each checked against its own; node `m` killed mid-run."""
    url = process_graph.server.url
    backend = process_graph.server.backend
    victim = backend.nodes["m"]
    total, workers = 600, 16
    results: dict[int, tuple[int, Any]] = {}

    def one(i: int) -> None:
        body = {"data": {"ndarray": [[1, i]]}}
        results[i] = answer(url, body)
        if i == total // 3:
            kill_node(victim)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(total)))

    assert len(results) == total  # none lost
    ok = errors = 0
    for i, (status, out) in results.items():
        if status == 200:
            assert out["data"]["ndarray"] == [[120.0, (i + 1) * 10 + 100.0]], i  # not crossed
            ok += 1
        else:
            assert status in (500, 503), (i, status, out)
            assert out["status"]["status"] == "FAILURE" and "'m'" in out["status"]["info"]
            errors += 1
    assert ok >= total // 3  # the first third ran before the crash
    # the crash was reported with the node's name and log lines, and the node came back
    assert any("node 'm' exited" in line and "Last log lines" in line for line in reports.lines)
    wait_until(lambda: requests.get(url + "/ready", timeout=5).ok, "node m to come back")
    with ThreadPoolExecutor(workers) as pool:  # back to normal: every answer right
        after = list(pool.map(lambda i: answer(url, {"data": {"ndarray": [[1, i]]}}), range(64)))
    assert [a[1]["data"]["ndarray"] for a in after] == [
        [[120.0, (i + 1) * 10 + 100.0]] for i in range(64)
    ]
    assert victim.restarts >= 1


def test_ready_reflects_a_down_node_and_requests_get_503_not_a_hang(process_graph):
    url = process_graph.server.url
    backend = process_graph.server.backend
    node = backend.nodes["bad"]
    node.state, node.problem = "down", "exited with code 1"  # as between a crash and restart
    try:
        r = requests.get(url + "/ready", timeout=5)
        assert (r.status_code, r.text) == (
            503,
            "node 'bad' exited with code 1 and is restarting (restart 0)\n",
        )
        status, out = answer(url, {"data": {"ndarray": [[2, 0]]}})
        assert status == 503 and "node 'bad'" in out["status"]["info"]
    finally:
        node.state = "ready"


def pgids(backend: ProcessBackend) -> list[int]:
    return [n.proc.pid for n in backend.nodes.values() if n.proc is not None]


def alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def make_wheel(folder: Path) -> Path:
    """A one-module wheel, so building a node's environment needs no network."""
    wheel = folder / "sg_probe_pkg-0.1-py3-none-any.whl"
    info = "sg_probe_pkg-0.1.dist-info"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("sg_probe_pkg.py", "VALUE = 'from the node venv'\n")
        z.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: sg-probe-pkg\nVersion: 0.1\n")
        z.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        z.writestr(f"{info}/RECORD", "")
    return wheel


def test_env_params_venv_cache_and_a_clean_shutdown(tmp_path: Path):
    wheel = make_wheel(tmp_path)
    spec = graph(
        "probe",
        [
            py("probe", f"{NODES}/EnvProbe.py", "EnvProbe", {"answer": 42, "flag": True},
               requirements=(str(wheel),)),
        ],
    )  # fmt: skip
    cache = tmp_path / "venvs"

    async def run_once() -> tuple[dict[str, Any], list[int]]:
        backend = ProcessBackend(spec, tree("probe", M), venv_cache=cache)
        await backend.start()
        try:
            out = await backend.executor.predict(
                __import__("seldon_graphs.runtime.messages", fromlist=["Payload"]).Payload(
                    b'{"data":{"ndarray":[[1]]}}'
                ),
                {"Seldon-Puid": "x"},
            )
            return json.loads(out.body), pgids(backend)
        finally:
            await backend.close()

    out, groups = asyncio.run(run_once())
    env = out["jsonData"]["env"]
    assert env["PREDICTIVE_UNIT_ID"] == "probe" and env["SELDON_DEPLOYMENT_ID"] == "probe"
    assert env["PREDICTOR_ID"] == "default" and json.loads(env["PREDICTOR_LABELS"])
    assert json.loads(env["PREDICTIVE_UNIT_PARAMETERS"]) == [
        {"name": "answer", "value": "42", "type": "INT"},
        {"name": "flag", "value": "true", "type": "BOOL"},
    ]
    assert out["jsonData"]["params"] == {"answer": 42, "flag": True}
    assert env["package"] == "from the node venv"  # its own environment, built from the wheel
    assert not any(alive(g) for g in groups)  # nothing left running
    ready = list(cache.glob("*/.ready"))
    assert len(ready) == 1
    built = ready[0].stat().st_mtime
    asyncio.run(run_once())  # cached: the same environment, not rebuilt
    assert ready[0].stat().st_mtime == built


def test_a_node_that_cannot_start_is_reported_with_its_log(tmp_path: Path):
    broken = tmp_path / "Broken.py"
    broken.write_text("raise ImportError('this node is broken on purpose')\n")
    spec = graph("broken", [py("broken", str(broken), "Broken")], root=tmp_path)

    async def start() -> None:
        backend = ProcessBackend(spec, tree("broken", M), policy=Policy(start_timeout=60))
        await backend.start()

    with pytest.raises(NodeStartError, match="broken on purpose"):
        asyncio.run(start())


@pytest.fixture(scope="module")
def sleepy_graph() -> Iterator[ServerThread]:
    spec = graph("sleepy", [py("slow", f"{NODES}/Sleepy.py", "Sleepy")], rest_timeout_ms=1500)
    thread = serve(ProcessBackend(spec, tree("slow", M)), name="sleepy", max_concurrency=2)
    yield thread
    thread.stop()


def node_idle(url: str) -> bool:
    """The single-threaded node answers a ping only when it is not sleeping on a request."""
    try:
        return requests.get(url + "/health/ping", timeout=0.5).ok
    except requests.Timeout:
        return False


@pytest.fixture
def sleepy(sleepy_graph: ServerThread) -> ServerThread:
    """The sleepy graph with its node idle, whatever an earlier test left it sleeping on."""
    node = sleepy_graph.server.backend.nodes["slow"]
    wait_until(lambda: node_idle(node.url), "the sleepy node to be idle")
    return sleepy_graph


def test_headers_reach_the_node_process(sleepy):
    r = requests.post(
        sleepy.server.url + "/api/v1.0/predictions",
        json={"data": {"ndarray": [[0]]}},
        headers={"Seldon-Puid": "puid-42", "X-Trace": "t-1"},
        timeout=30,
    )
    assert r.json()["jsonData"] == {"puid": "puid-42", "custom": "t-1"}
    assert r.headers["Seldon-Puid"] == "puid-42"


def test_concurrency_beyond_the_bound_is_refused_with_503(tmp_path: Path):
    gate = tmp_path / "open"
    spec = graph("gate", [py("g", f"{NODES}/Gate.py", "Gate", {"gate": str(gate)})])
    thread = serve(ProcessBackend(spec, tree("g", M)), name="gate", max_concurrency=2)
    server, held = thread.server, {"data": {"ndarray": [[1]]}}
    try:
        with ThreadPoolExecutor(2) as pool:
            admitted = [pool.submit(answer, server.url, held) for _ in range(2)]
            wait_until(lambda: server.in_flight == 2, "two requests in flight")
            refused = [answer(server.url, {"data": {"ndarray": [[0]]}}) for _ in range(2)]
            gate.touch()
            served = [future.result(60) for future in admitted]
    finally:
        thread.stop()
    assert [(status, out["data"]) for status, out in served] == [
        (200, {"names": ["t:0"], "ndarray": [[1]]})
    ] * 2
    assert refused == [
        (503, {"status": {"code": 503, "info": "the executor is at its limit of 2 requests",
                          "status": "FAILURE"}}),
    ] * 2  # fmt: skip


def test_rest_timeout_is_a_500_naming_the_node(sleepy):
    status, out = answer(sleepy.server.url, {"data": {"ndarray": [[3]]}})
    assert status == 500
    assert out["status"]["info"] == (
        f"node 'slow': POST {sleepy.server.backend.nodes['slow'].url}/predict: no answer "
        "within 1.5s (Client.Timeout exceeded while awaiting headers)"
    )


def test_shutdown_drains_in_flight_requests():
    spec = graph("drain", [py("slow", f"{NODES}/Sleepy.py", "Sleepy")])
    thread = serve(ProcessBackend(spec, tree("slow", M)), name="drain")
    url = thread.server.url
    groups = pgids(thread.server.backend)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(answer, url, {"data": {"ndarray": [[1]]}})
        wait_until(lambda: thread.server.in_flight == 1, "the request in flight")
        thread.stop()
        status, out = pending.result(30)
    assert status == 200 and out["jsonData"]["puid"] == "fixed"
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/live", timeout=2)
    wait_until(lambda: not any(alive(g) for g in groups), "every node process to be gone")


def test_the_drain_is_bounded_and_what_is_left_gets_an_answer():
    spec = graph("drain", [py("slow", f"{NODES}/Sleepy.py", "Sleepy")])
    thread = serve(ProcessBackend(spec, tree("slow", M)), name="drain", drain_seconds=1)
    groups = pgids(thread.server.backend)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(answer, thread.server.url, {"data": {"ndarray": [[600]]}})
        wait_until(lambda: thread.server.in_flight == 1, "the request in flight")
        thread.stop()  # the drain gives up after 1s; the node gets SIGTERM, then SIGKILL
        status, out = pending.result(30)
    assert (status, out["status"]["info"]) == (
        503,
        "node 'slow': node 'slow' is stopped (the graph is shutting down)",
    )
    wait_until(lambda: not any(alive(g) for g in groups), "every node process to be gone")
