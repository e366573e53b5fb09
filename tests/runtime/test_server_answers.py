"""The executor's HTTP front, answer by answer (make mutation, runtime/server): probe bodies,
/ready's reasons, CORS and CloudEvents headers, the page's routes, content types, and the
URL a server gives for a wildcard host. Real HTTP on 127.0.0.1 over the in-process backend."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import errno
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.metrics import CONTENT_TYPE
from seldon_graphs.runtime.page import Asset, Page
from seldon_graphs.runtime.server import GraphServer, ServerOptions, ServerThread, serve_forever

from .conftest import serve
from .graphs import tags_chain
from .test_server_limits import BODY, WAIT, GateBackend, post

ServerFactory = Callable[..., ServerThread]
X = {"data": {"ndarray": [[1.0, 2.0]]}}
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
    assert (requests.get(f"{url}/live").text, requests.get(f"{url}/ready").text) == (
        "live\n",
        "ready\n",
    )


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
        assert (answer.status_code, answer.text) == (503, text), path


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
        assert requests.get(url + path).headers["Content-Type"] == CONTENT_TYPE
    answer = requests.get(f"{url}/openapi.json")
    assert answer.headers["Content-Type"] == "application/json"
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
