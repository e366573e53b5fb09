"""The executor's HTTP front, answer by answer (make mutation, runtime/server): probe bodies,
/ready's reasons, CORS and CloudEvents headers, the page's routes, content types, and the
URL a server gives for a wildcard host. Real HTTP on 127.0.0.1 over the in-process backend."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import errno
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.messages import JSON, Payload
from seldon_graphs.runtime.metrics import CONTENT_TYPE
from seldon_graphs.runtime.page import Asset, Page
from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread, serve_forever
from seldon_graphs.runtime.walk import ExecutorError

from .conftest import serve
from .graphs import tags_chain
from .test_server_limits import BODY, WAIT, GateBackend, post

ServerFactory = Callable[..., ServerThread]
X = {"data": {"ndarray": [[1.0, 2.0]]}}
TEXT = "text/plain; charset=utf-8"
DEFAULT_ALLOWED_HEADERS = (
    "Accept, Accept-Encoding, Authorization, Content-Length, Content-Type, X-CSRF-Token, "
    "Seldon-Puid"
)


class Troubled(InProcessBackend):
    """An in-process graph whose nodes report problems: the in-process runtime has no nodes
    that can go down, and /ready must say why a graph is not ready."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(*tags_chain())
        self.reasons = reasons

    async def problems(self) -> list[str]:
        return list(self.reasons)


def test_the_probes_answer_in_plain_words(server_factory: ServerFactory) -> None:
    url = server_factory(InProcessBackend(*tags_chain())).server.url
    live, ready = requests.get(f"{url}/live"), requests.get(f"{url}/ready")
    assert [(r.status_code, r.text, r.headers["Content-Type"]) for r in (live, ready)] == [
        (200, "live\n", TEXT),
        (200, "ready\n", TEXT),
    ]


@pytest.mark.parametrize(
    ("reasons", "text"),
    [
        (["node 'a' is down"], "node 'a' is down\n"),
        (["node 'a' is down", "node 'b' is starting"], "node 'a' is down; node 'b' is starting\n"),
    ],
)
def test_ready_is_503_naming_every_problem(
    server_factory: ServerFactory, reasons: list[str], text: str
) -> None:
    url = server_factory(Troubled(reasons)).server.url
    for path in ("/ready", "/api/v1.0/status", "/api/v1.0/health/status"):
        answer = requests.get(url + path)
        assert (answer.status_code, answer.text, answer.headers["Content-Type"]) == (
            503,
            text,
            TEXT,
        ), path


def test_options_answers_with_the_cors_headers(
    server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server_factory(InProcessBackend(*tags_chain())).server.url
    answer = requests.options(f"{url}/api/v1.0/predictions")
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert answer.headers["Access-Control-Allow-Headers"] == DEFAULT_ALLOWED_HEADERS
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    monkeypatch.setenv("CORS_ALLOWED_HEADERS", "X-Mine")  # read per request, as Go does
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://app.example")
    answer = requests.options(f"{url}/api/v1.0/predictions")
    assert answer.headers["Access-Control-Allow-Headers"] == "X-Mine"
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_cloudevents_headers_describe_the_response(server_factory: ServerFactory) -> None:
    url = server_factory(InProcessBackend(*tags_chain()), name="g").server.url
    path = "/seldon/seldon/g/api/v1.0/predictions"
    answer = requests.post(
        url + path, json=X, headers={"Ce-Specversion": "1.0", "Seldon-Puid": "p"}
    )
    ce = {k: v for k, v in answer.headers.items() if k.lower().startswith("ce-")}
    assert ce == {
        "Ce-Id": "p",
        "Ce-Specversion": "0.3",
        "Ce-Path": path,
        "Ce-Type": "seldon.g.seldon.response",
        "Ce-Source": "seldon.g",
    }
    plain = requests.post(f"{url}/api/v1.0/predictions", json=X)
    assert not any(k.lower().startswith("ce-") for k in plain.headers)


def test_metrics_and_openapi_have_their_content_types(server_factory: ServerFactory) -> None:
    url = server_factory(InProcessBackend(*tags_chain())).server.url
    for path in ("/prometheus", "/metrics"):
        answer = requests.get(url + path, timeout=WAIT)
        assert (answer.status_code, answer.headers["Content-Type"]) == (200, CONTENT_TYPE)
    answer = requests.get(f"{url}/openapi.json", timeout=WAIT)
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, "application/json")
    assert answer.json()["openapi"].startswith("3.1")


def test_the_page_and_its_assets_are_served_with_their_types(
    server_factory: ServerFactory,
) -> None:
    page = Page(
        Asset(b"<html>index</html>", "text/html; charset=utf-8"),
        {"graph.json": Asset(b"{}", "application/json")},
    )
    options = ServerOptions(port=0, name="g", namespace="seldon")
    with ServerThread(GraphServer(InProcessBackend(*tags_chain()), options, page)) as thread:
        _page_answers(thread.server.url)


def _page_answers(url: str) -> None:
    for base in ("", "/seldon/seldon/g"):
        index = requests.get(f"{url}{base}/")
        assert (index.status_code, index.content) == (200, b"<html>index</html>")
        assert index.headers["Content-Type"] == "text/html; charset=utf-8"
        assert index.headers["Cache-Control"] == "no-cache"
        assert "frame-ancestors 'none'" in index.headers["Content-Security-Policy"]
        asset = requests.get(f"{url}{base}/page/graph.json")
        assert (asset.content, asset.headers["Content-Type"]) == (b"{}", "application/json")
        assert "Content-Security-Policy" not in asset.headers
        missing = requests.get(f"{url}{base}/page/nothing.js")
        assert (missing.status_code, missing.text) == (404, "404 page not found\n")
    moved = requests.get(f"{url}/seldon/seldon/g", allow_redirects=False)
    assert (moved.status_code, moved.headers["Location"]) == (308, "/seldon/seldon/g/")
    assert moved.content == b""


def test_without_a_page_there_is_nothing_at_the_root(server_factory: ServerFactory) -> None:
    url = server_factory(InProcessBackend(*tags_chain()), name="g").server.url
    for path in ("/", "/page/graph.json", "/seldon/seldon/g/"):
        assert requests.get(url + path).status_code == 404, path


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_a_server_gives_a_url_that_reaches_it(host: str) -> None:
    """Listening on every interface, the URL to call it by is the loopback one."""
    server = GraphServer(InProcessBackend(*tags_chain()), ServerOptions(host=host, port=0))
    with ServerThread(server) as thread:
        port = thread.server.port
        assert port != 0
        assert thread.server.url == f"http://127.0.0.1:{port}"
        assert requests.get(f"{thread.server.url}/live").text == "live\n"


def test_the_default_options_are_the_documented_bounds() -> None:
    """What `seldon-graphs run` gets for what it does not set (docs/runtime.md: 128 requests
    in flight, bodies within 30 s and of at most 32 MiB)."""
    assert ServerOptions() == ServerOptions(
        host="127.0.0.1",
        port=8000,
        namespace="default",
        name="graph",
        max_concurrency=128,
        max_body_bytes=32 * 1024 * 1024,
        body_seconds=30.0,
        drain_seconds=15.0,
    )


def test_any_other_method_under_the_api_prefixes_is_405(server_factory: ServerFactory) -> None:
    url = server_factory(InProcessBackend(*tags_chain()), name="g").server.url
    for path in ("/api/v1.0/nothing", "/api/v0.1/nothing", "/seldon/seldon/g/api/v1.0/nothing"):
        answer = requests.get(url + path)
        assert (answer.status_code, answer.content) == (405, b""), path


def test_server_options_are_a_value() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ServerOptions().port = 1  # type: ignore[misc]


def test_stopping_waits_for_the_requests_in_flight() -> None:
    """Stop ends only once the request it found in flight has its answer."""
    backend = GateBackend(hold=1)
    thread = serve(backend)  # type: ignore[arg-type]  # a Backend but for kill()
    url = thread.server.url
    try:
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(post, url)
            assert backend.executor.all_arrived.wait(WAIT)
            stopping = asyncio.run_coroutine_threadsafe(thread.server.stop(), thread.loop)
            with pytest.raises(concurrent.futures.TimeoutError):
                stopping.result(2)  # the request still holds it
            backend.executor.open(thread.loop)
            assert held.result(WAIT) == (200, BODY)
            stopping.result(WAIT)
    finally:
        thread.stop()


class Closes(InProcessBackend):
    """An in-process graph that counts its closes and, if asked, fails its start. The real
    backends close themselves when their nodes fail to start, so only a stand-in shows that
    the server closes the backend it was given however its own start ends."""

    def __init__(self, fail: bool) -> None:
        super().__init__(*tags_chain())
        self.fail = fail
        self.closed = 0

    async def start(self) -> None:
        if self.fail:
            raise RuntimeError("the nodes did not start")

    async def close(self) -> None:
        self.closed += 1
        await super().close()


def _serve_until_it_fails(backend: Closes, port: int = 0) -> None:
    """What `seldon-graphs run` does: serve_forever, which stops the server however its
    start ends; a start that fails must fail with its own error."""
    server = GraphServer(backend, ServerOptions(host="127.0.0.1", port=port))
    asyncio.run(serve_forever(server, lambda _: pytest.fail("the server did not fail")))


def test_a_backend_that_fails_to_start_is_closed_and_its_error_raised() -> None:
    backend = Closes(fail=True)
    with pytest.raises(RuntimeError) as failed:
        _serve_until_it_fails(backend)
    assert (str(failed.value), backend.closed) == ("the nodes did not start", 1)


def test_a_port_already_taken_fails_the_start_and_closes_the_backend() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        backend = Closes(fail=False)
        with pytest.raises(OSError) as failed:
            _serve_until_it_fails(backend, taken.getsockname()[1])
    assert (failed.value.errno, backend.closed) == (errno.EADDRINUSE, 1)


FEEDBACK = {"request": X, "response": X, "reward": 1.0}


@pytest.mark.parametrize(
    "path",
    ["/api/v1.0/feedback", "/api/v0.1/feedback", "/seldon/seldon/g/api/v1.0/feedback"],
)
def test_feedback_reaches_the_graph_on_each_of_its_routes(
    server_factory: ServerFactory, path: str
) -> None:
    """The root model's feedback answer (an empty ndarray: ModelOne has no send_feedback)."""
    url = server_factory(InProcessBackend(*tags_chain()), name="g").server.url
    answer = requests.post(url + path, json=FEEDBACK)
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, "application/json")
    assert answer.json()["data"] == {"ndarray": []}
    assert answer.json()["meta"]["tags"] == {"common": 1.0, "model-1": "yes"}


def _server_counts(exposition: str) -> dict[tuple[str, str, str], float]:
    """(service, method, code) -> count of seldon_api_executor_server_requests_seconds."""
    counts = {}
    for line in exposition.splitlines():
        if line.startswith("seldon_api_executor_server_requests_seconds_count{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            counts[labels["service"], labels["method"], labels["code"]] = float(line.split()[-1])
    return counts


def _server_seconds(exposition: str) -> float:
    sums = [
        float(line.split()[-1])
        for line in exposition.splitlines()
        if line.startswith("seldon_api_executor_server_requests_seconds_sum{")
    ]
    return sum(sums)


def test_each_api_call_is_counted_under_gos_service_name(server_factory: ServerFactory) -> None:
    """executor/api/rest/server.go's wrapMetrics names: predictions, feedback, status and
    metadata (graph and node metadata alike); the time observed is the call's own."""
    url = server_factory(InProcessBackend(*tags_chain()), name="tags-chain").server.url
    started = time.perf_counter()
    assert requests.post(f"{url}/api/v1.0/predictions", json=X).status_code == 200
    assert requests.post(f"{url}/api/v1.0/feedback", json=FEEDBACK).status_code == 200
    assert requests.get(f"{url}/api/v1.0/status/one").status_code == 200
    assert requests.get(f"{url}/api/v1.0/metadata/two").status_code == 200
    assert requests.get(f"{url}/api/v1.0/metadata").status_code == 200
    assert requests.get(f"{url}/api/v1.0/status/nope").status_code == 500
    elapsed = time.perf_counter() - started
    text = requests.get(f"{url}/prometheus").text
    assert _server_counts(text) == {
        ("predictions", "post", "200"): 1.0,
        ("feedback", "post", "200"): 1.0,
        ("status", "get", "200"): 1.0,
        ("status", "get", "500"): 1.0,
        ("metadata", "get", "200"): 2.0,
    }
    assert 0 < _server_seconds(text) <= elapsed


def test_a_body_over_the_limit_gets_seldons_413_body(server_factory: ServerFactory) -> None:
    url = server_factory(InProcessBackend(*tags_chain()), max_body_bytes=1000).server.url
    answer = requests.post(f"{url}/api/v1.0/predictions", data=b"[" + b"1," * 600 + b"1]")
    assert (answer.status_code, answer.headers["Content-Type"]) == (413, TEXT)
    assert answer.json() == {
        "status": {"code": 413, "info": "Request Entity Too Large", "status": "FAILURE"}
    }
    assert answer.headers["Connection"] == "close"


def test_a_graphs_answer_keeps_its_content_type(server_factory: ServerFactory) -> None:
    url = server_factory(InProcessBackend(*tags_chain())).server.url
    answer = requests.post(f"{url}/api/v1.0/predictions", json=X)
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, "application/json")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8123"),
        ("::", "http://127.0.0.1:8123"),
        ("127.0.0.2", "http://127.0.0.2:8123"),
    ],
)
def test_a_server_on_a_given_port_has_its_url_before_it_starts(host: str, url: str) -> None:
    """`run` prints where the graph will be served from its options alone."""
    options = ServerOptions(host=host, port=8123)
    assert GraphServer(InProcessBackend(*tags_chain()), options).url == url


class Recording:
    """Graph operations that record what the server hands them and answer with `answer`
    (or raise it). A stand-in: what the server passes its backend (the body and
    Content-Type as sent, the headers with the Seldon-Puid it answers with) reaches no node
    verbatim (the in-process nodes get decoded messages; a wrapper node's user code sees no
    headers), and no real graph fails with an error of any Content-Type but Seldon's."""

    def __init__(self, answer: Payload | ExecutorError) -> None:
        self.answer = answer
        self.calls: list[tuple[str, Payload | str | None, dict[str, str]]] = []

    async def _reply(
        self, what: str, arg: Payload | str | None, headers: Mapping[str, str]
    ) -> Payload:
        self.calls.append((what, arg, dict(headers)))
        if isinstance(self.answer, ExecutorError):
            raise self.answer
        return self.answer

    async def predict(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        return await self._reply("predict", msg, headers)

    async def feedback(self, msg: Payload, headers: Mapping[str, str]) -> Payload:
        return await self._reply("feedback", msg, headers)

    async def metadata(self, headers: Mapping[str, str]) -> Payload:
        return await self._reply("metadata", None, headers)

    async def node_status(self, name: str, headers: Mapping[str, str]) -> Payload:
        return await self._reply("status", name, headers)

    async def node_metadata(self, name: str, headers: Mapping[str, str]) -> Payload:
        return await self._reply("node metadata", name, headers)


class RecordingBackend(GateBackend):
    def __init__(self, answer: Payload | ExecutorError) -> None:
        super().__init__(hold=0)
        self.executor = Recording(answer)  # type: ignore[assignment]


def test_the_graph_gets_the_request_as_sent_with_the_puid_answered(
    server_factory: ServerFactory,
) -> None:
    backend = RecordingBackend(Payload(b'{"ok":1}', "application/x-mine"))
    url = server_factory(backend).server.url
    sent = {"Content-Type": "application/json", "X-Trace": "t1"}
    first = requests.post(f"{url}/api/v1.0/predictions", data=b"{}", headers=sent)
    second = requests.post(f"{url}/api/v0.1/feedback", data=b"raw")  # no Content-Type
    third = requests.get(f"{url}/api/v1.0/status/a%20b", headers={"Seldon-Puid": "given"})
    assert [a.status_code for a in (first, second, third)] == [200, 200, 200]
    assert first.headers["Content-Type"] == "application/x-mine"
    (what, msg, headers), (what2, msg2, headers2), (what3, node, headers3) = backend.executor.calls
    assert (what, msg, headers["X-Trace"]) == ("predict", Payload(b"{}", JSON), "t1")
    assert headers["Seldon-Puid"] == first.headers["Seldon-Puid"]
    assert uuid.UUID(first.headers["Seldon-Puid"])
    assert (what2, msg2, headers2["Seldon-Puid"]) == (
        "feedback",
        Payload(b"raw", ""),
        second.headers["Seldon-Puid"],
    )
    assert (what3, node, headers3["Seldon-Puid"], third.headers["Seldon-Puid"]) == (
        "status",
        "a b",
        "given",
        "given",
    )


@pytest.mark.parametrize(
    ("content_type", "answered"),
    [("application/json", "application/json"), ("", TEXT)],
)
def test_a_graph_error_is_answered_with_its_own_content_type(
    server_factory: ServerFactory, content_type: str, answered: str
) -> None:
    error = ExecutorError(418, b'{"why":"<teapot>"}', content_type)
    url = server_factory(RecordingBackend(error)).server.url
    answer = requests.get(f"{url}/api/v1.0/metadata")
    assert (answer.status_code, answer.headers["Content-Type"]) == (418, answered)
    assert answer.content == b'{"why":"\\u003cteapot\\u003e"}'
