"""The node launcher (seldon_graphs/wrapper/launcher.py) against stock seldon-core-microservice:
real node processes of the same classes side by side, the same requests to both, the same
answers byte for byte and the same /prometheus metrics; keep-alive; one call at a time
unless the node asks for more threads."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from seldon_graphs.runtime.process import ProcessBackend
from seldon_graphs.runtime.supervision import TOKEN_HEADER
from seldon_graphs.wrapper.launcher import MODE_ENV, STOCK

from .conftest import serve
from .graphs import NODES, OT, C, M, R, T, graph, py, tree

pytestmark = pytest.mark.slow

CASES = f"{NODES}/LauncherCases.py"
NDARRAY = {"data": {"names": ["a", "b"], "ndarray": [[1.0, 2.0]]}}
# (node, path, request body); bodies are bytes so both nodes get exactly the same ones
CALLS: list[tuple[str, str, bytes | None]] = [
    ("metered", "/predict", json.dumps(NDARRAY).encode()),
    ("metered", "/predict", b'{"data":{"ndarray":[[5,6,7]]},"meta":{"tags":{"in":"x"}}}'),
    ("metered", "/predict", b'{"data":{"tensor":{"shape":[1,2],"values":[3,4]}}}'),
    ("metered", "/predict", b'{"data":{"ndarray":[[-1]]}}'),  # SeldonMicroserviceException
    ("metered", "/predict", b'{"data":{"ndarray":[[-2]]}}'),  # any other exception
    ("metered", "/predict", b"not json"),
    ("metered", "/predict", b'{"strData":"text"}'),
    ("metered", "/send-feedback", b'{"request":{"data":{"ndarray":[[1]]}},"reward":0.5}'),
    ("metered", "/send-feedback", b'{"request":{"data":{"ndarray":[[1]]}},"reward":2}'),
    ("metered", "/health/status", None),
    ("metered", "/metadata", None),
    ("runtime", "/predict", json.dumps(NDARRAY).encode()),
    ("runtime", "/predict", b'{"data":{"ndarray":[[1]]},"meta":{"puid":"p"}}'),
    ("raw", "/predict", b'{"jsonData":{"k":[1,2]}}'),
    ("plain", "/predict", b'{"data":{"names":["x"],"ndarray":[["s"]]}}'),
    ("plain", "/predict", b'{"binData":"AAE="}'),
    ("tin", "/transform-input", json.dumps(NDARRAY).encode()),
    ("tout", "/transform-output", json.dumps(NDARRAY).encode()),
    ("route", "/route", b'{"data":{"ndarray":[[3]]}}'),
    ("route", "/route", b'{"data":{"ndarray":[[4]]}}'),
    (
        "combine",
        "/aggregate",
        b'{"seldonMessages":[{"data":{"ndarray":[[1,2]]}},{"data":{"ndarray":[[3,4]]}}]}',
    ),
    ("combine", "/aggregate", b'{"seldonMessages":[]}'),
    ("plain", "/no-such-path", b"{}"),
]
JSON_TYPE = {"Content-Type": "application/json"}
SAME_HEADERS_EXCEPT = {"date", "connection", TOKEN_HEADER}


def cases_graph(stock: bool) -> tuple[Any, Any]:
    """Every case a node of one graph; `stock`: each node runs seldon-core as it is."""
    env = ((MODE_ENV, STOCK),) if stock else ()
    classes = {
        "route": "Router", "combine": "Combiner", "metered": "Metered", "runtime": "RuntimeMetrics",
        "raw": "RawMetrics", "plain": "Plain", "tin": "Transformer", "tout": "Transformer",
    }  # fmt: skip
    spec = graph("launch", [py(name, CASES, cls, env=env) for name, cls in classes.items()])
    leaves = [tree(n, M) for n in ("metered", "runtime", "raw", "plain")]
    root = tree("tout", OT, tree("tin", T, tree("route", R, tree("combine", C, *leaves))))
    return spec, root


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ProcessBackend, ProcessBackend]]:
    """The same graph twice: nodes on stock seldon-core-microservice, and on the launcher."""
    with ThreadPoolExecutor(2) as pool:
        threads = list(
            pool.map(lambda stock: serve(ProcessBackend(*cases_graph(stock))), (True, False))
        )
    try:
        yield threads[0].server.backend, threads[1].server.backend  # type: ignore[attr-defined]
    finally:
        for thread in threads:
            thread.stop()


def call(backend: ProcessBackend, node: str, path: str, body: bytes | None) -> requests.Response:
    url = backend.nodes[node].url + path
    if body is None:
        return requests.get(url, timeout=30)
    return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)


def headers(response: requests.Response) -> dict[str, str]:
    return {
        k.lower(): v for k, v in response.headers.items() if k.lower() not in SAME_HEADERS_EXCEPT
    }


def prometheus(backend: ProcessBackend, node: str) -> str:
    port = backend.nodes[node].ports.metrics
    text = requests.get(f"http://127.0.0.1:{port}/prometheus", timeout=30).text
    return re.sub(r'worker_id="\d+"', 'worker_id="W"', text)


def test_the_same_bytes_and_metrics_as_stock(pair: tuple[ProcessBackend, ProcessBackend]) -> None:
    stock, ours = pair
    statuses = set()
    for node, path, body in CALLS:
        expected, got = call(stock, node, path, body), call(ours, node, path, body)
        where = f"{node} {path} {body!r}"
        assert (got.status_code, got.content) == (expected.status_code, expected.content), where
        assert headers(got) == headers(expected), where
        statuses.add(got.status_code)
    assert statuses == {200, 400, 500}  # every kind of answer (an unknown path is a 500 too)
    for node in ("metered", "runtime", "raw", "plain"):
        assert prometheus(ours, node) == prometheus(stock, node), node
    metered = prometheus(ours, "metered")
    for name in (
        "calls_total",
        "first",
        "took_ms_bucket",
        "tagged_total",
        "seldon_api_model_feedback_reward_total",
    ):
        assert re.search(rf"^{name}{{", metered, re.M), name  # the metrics are really there


def test_connections_are_kept_alive(pair: tuple[ProcessBackend, ProcessBackend]) -> None:
    """Three calls on one connection: ours answers all on the first socket; stock closes it
    after each (http.client then opens a new one)."""
    stock, ours = pair
    for backend, kept in ((ours, True), (stock, False)):
        node = backend.nodes["plain"]
        conn = http.client.HTTPConnection(node.host, node.ports.http, timeout=30)
        try:
            answers, sockets = [], []
            for _ in range(3):
                conn.request("POST", "/predict", b'{"data":{"ndarray":[[1]]}}', JSON_TYPE)
                response = conn.getresponse()
                answers.append((response.status, response.getheader("Connection")))
                response.read()
                sockets.append(conn.sock)
            assert answers == [(200, "keep-alive" if kept else "close")] * 3
            assert len({id(s) for s in sockets if s is not None}) == (1 if kept else 0)
        finally:
            conn.close()


@pytest.mark.parametrize(("threads", "statuses"), [(None, [500, 500]), ("2", [200, 200])])
def test_one_call_at_a_time_unless_the_node_asks_for_threads(
    threads: str | None, statuses: list[int]
) -> None:
    env = (("GUNICORN_THREADS", threads),) if threads else ()
    spec = graph(f"overlap-{threads or 1}", [py("o", CASES, "Overlap", env=env)])
    thread = serve(ProcessBackend(spec, tree("o", M)), name="overlap")
    try:
        backend: ProcessBackend = thread.server.backend  # type: ignore[assignment]
        body = b'{"data":{"ndarray":[[1]]}}'
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: call(backend, "o", "/predict", body), range(2)))
        assert [a.status_code for a in answers] == statuses
    finally:
        thread.stop()
