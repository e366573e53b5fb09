"""The same requests, every runtime available: the answers must be identical (status,
Content-Type and bytes), the tags the ones Seldon's own e2e test expects, and the answers to
requests outside the happy path (content types, unknown paths, a failing router, built-ins,
undecodable feedback) the ones Seldon's Go executor v1.17.1 gives."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from urllib3 import encode_multipart_formdata

from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.process import ProcessBackend
from seldon_graphs.runtime.server import Backend, ServerThread
from tests.helpers import configured

from .conftest import serve
from .graphs import NODES, ROOT, TAGS, C, M, R, builtin, graph, py, tree

BASE = os.environ.get("SELDON_GRAPHS_TEST_BASE", "seldon-graphs/base:bookworm")


def conformance() -> tuple[Any, Any]:
    """r routes on the request's first number: 0 tags combiner, 1 a model, 2 a failing one."""
    spec = graph(
        "conform",
        [
            py("r", f"{NODES}/DataRouter.py", "DataRouter"),
            py("c", f"{TAGS}/Combiner.py", "Combiner"),
            py("one", f"{TAGS}/ModelOne.py", "ModelOne"),
            py("two", f"{TAGS}/ModelTwo.py", "ModelTwo"),
            py("m", f"{NODES}/Affine.py", "Affine", {"name": "m", "mul": 10}),
            py("bad", f"{NODES}/Failing.py", "Failing", {"status": 409}),
        ],
    )
    root = tree("r", R, tree("c", C, tree("one", M), tree("two", M)), tree("m", M), tree("bad", M))
    # the images the docker runtime runs; every runtime reports them in meta.requestPath
    return configured(spec, base_image=BASE, registry="seldon-graphs-test"), root


REQUESTS: list[dict[str, Any]] = [
    {"data": {"ndarray": [[0, 1]]}},
    {"data": {"ndarray": [[1, 2.5]]}, "meta": {"tags": {"client": "x"}, "puid": "p"}},
    {"data": {"tensor": {"shape": [1, 2], "values": [1, 2]}}},
    {"data": {"names": ["a", "b"], "ndarray": [[1, 3]]}},
    {"data": {"ndarray": [[2, 0]]}},  # 409 from `bad`, passed through
    {"data": {"ndarray": [[-1, 0]]}},  # all children: `bad` fails the request
    {"data": {"ndarray": [[-2, 0]]}},  # the router's input back
    {"data": {"ndarray": [[7, 0]]}},  # no such route: a 500 naming the router
    {"strData": "text"},  # the router cannot read it: the wrapper's 500
    {"jsonData": {"a": 1}},
]


# (method, path, headers, body): what a client may send besides a JSON predict
Raw = tuple[str, str, dict[str, str], bytes]
Answer = tuple[int, str, bytes]
PREDICT = "/api/v1.0/predictions"
JSON_BODY = json.dumps({"data": {"ndarray": [[1, 2]]}}).encode()
MULTIPART, MULTIPART_TYPE = encode_multipart_formdata(
    {"data": json.dumps({"ndarray": [[1, 2]]})}, boundary="sg-boundary"
)
STR_MULTIPART, STR_MULTIPART_TYPE = encode_multipart_formdata({"strData": "t"}, boundary="sg-b")
DEEP = b"[" * 100_000 + b"]" * 100_000  # past Python's recursion limit and Go's depth limit


def post_as(content_type: str | None, body: bytes = JSON_BODY, path: str = PREDICT) -> Raw:
    return ("POST", path, {} if content_type is None else {"Content-Type": content_type}, body)


def get(path: str) -> Raw:
    return ("GET", path, {}, b"")


# Through the router graph: every body reaches the router first.
ROUTER_RAW: list[Raw] = [
    post_as("text/plain"),  # the router answers 400: Go's own body, the router's status
    post_as(None),
    post_as("application/x-www-form-urlencoded", urlencode({"json": JSON_BODY}).encode()),
    get("/api/v1.0/nothing"),  # 405: the /api/v1.0 prefix is registered for POST
    post_as("application/json", path="/api/v1.0/nothing"),  # 404
    get("/nothing"),  # 404
    get(PREDICT),  # 405
    ("OPTIONS", PREDICT, {}, b""),
]


def raw_answer(thread: ServerThread, raw: Raw) -> Answer:
    method, path, headers, body = raw
    headers = {"Seldon-Puid": "fixed", **headers}
    r = requests.request(method, thread.server.url + path, data=body, headers=headers, timeout=60)
    return r.status_code, r.headers.get("Content-Type", ""), r.content


def docker_backend() -> Backend:
    from seldon_graphs.runtime.docker import DockerBackend
    from seldon_graphs.wrapper.context import plan_graph
    from seldon_graphs.wrapper.images import build_images, docker_client

    try:
        docker_client()
    except Exception as exc:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"CI needs a Docker engine: {exc}")
        pytest.skip(f"docker runtime not compared: no Docker engine ({exc})")
    subprocess.run([str(ROOT / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    spec, root = conformance()
    build_images(plan_graph(spec, root))
    return DockerBackend(spec, root)


def backend(runtime: str) -> Backend:
    if runtime == "docker":
        return docker_backend()
    spec, root = conformance()
    if runtime == "process":
        return ProcessBackend(spec, root)
    return InProcessBackend(spec, root)


@pytest.fixture(scope="module")
def expected() -> Iterator[tuple[list[tuple[int, Any]], list[Answer]]]:
    thread = serve(backend("inprocess"), name="conform")
    yield [post(thread, body) for body in REQUESTS], [raw_answer(thread, r) for r in ROUTER_RAW]
    thread.stop()


def post(thread: ServerThread, body: Any) -> tuple[int, Any]:
    url = thread.server.url + "/api/v1.0/predictions"
    r = requests.post(url, json=body, headers={"Seldon-Puid": "fixed"}, timeout=60)
    return r.status_code, r.json()


def test_the_reference_answers_are_seldons(expected):
    expected, _ = expected
    (status, combined), (_, model) = expected[0], expected[1]
    assert status == 200 and combined["data"]["ndarray"] == [["model-1"], ["model-2"]]
    tags = {"combiner": "yes", "common": 2, "model-1": "yes", "model-2": "yes"}
    assert combined["meta"]["tags"] == tags
    assert model["data"]["ndarray"] == [[10.0, 25.0]] and model["meta"]["puid"] == "p"
    assert model["meta"]["tags"] == {"client": "x", "last": "m", "m": "yes"}
    assert [s for s, _ in expected[4:9]] == [409, 409, 200, 500, 500]
    assert expected[6][1] == REQUESTS[6]


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["process", pytest.param("docker", marks=pytest.mark.docker)])
def test_every_runtime_gives_the_same_answers(runtime: str, expected):
    answers, raw_answers = expected
    thread = serve(backend(runtime), name="conform")
    try:
        for body, want in zip(REQUESTS, answers, strict=True):
            assert post(thread, body) == want, body
        for raw, raw_want in zip(ROUTER_RAW, raw_answers, strict=True):
            assert raw_answer(thread, raw) == raw_want, raw
    finally:
        thread.stop()


TEXT = "text/plain; charset=utf-8"
BAD_DATA = b'{"status":{"code":-1,"info":"Can\'t find JSON in data","reason":"MICROSERVICE_BAD_DATA","status":1}}\n'  # noqa: E501


def test_router_graph_answers_other_requests_as_go_does(expected):
    _, raw = expected
    route_failed = (
        b'{"status":{"code":500,"info":"Internal service call from executor failed calling '
        b'http://localhost:9000/route status code 400","status":"FAILURE"}}'
    )
    assert raw[0] == raw[1] == (400, TEXT, route_failed)
    assert raw[2][0] == 200 and json.loads(raw[2][2])["data"]["ndarray"] == [[10.0, 20.0]]
    assert raw[3][0] == 405 and raw[3][2] == b""
    assert raw[4] == raw[5] == (404, TEXT, b"404 page not found\n")
    assert raw[6][0] == 405 and raw[6][2] == b""
    assert raw[7][:1] == (200,) and raw[7][2] == b""


def builtins_graph() -> tuple[Any, Any]:
    """sr: SIMPLE_ROUTER -> [avg: AVERAGE_COMBINER -> [a, b], sm: SIMPLE_MODEL], written the way
    the compiler used to write them (ROUTER, COMBINER, MODEL types): Go calls none of the
    built-ins, sends the request to every child and keeps the first child's output."""
    spec = graph(
        "builtins",
        [
            builtin("sr", "SIMPLE_ROUTER"),
            builtin("avg", "AVERAGE_COMBINER"),
            builtin("sm", "SIMPLE_MODEL"),
            py("a", f"{NODES}/Affine.py", "Affine", {"name": "a", "mul": 10}),
            py("b", f"{NODES}/Affine.py", "Affine", {"name": "b", "add": 1}),
        ],
    )
    avg = tree("avg", C, tree("a", M), tree("b", M), impl="AVERAGE_COMBINER")
    root = tree("sr", R, avg, tree("sm", M, impl="SIMPLE_MODEL"), impl="SIMPLE_ROUTER")
    return spec, root


# Through the built-ins graph: every body reaches `a` (and `b`) as the client sent it.
BUILTIN_RAW: list[Raw] = [
    post_as("application/json"),
    post_as("application/json; charset=utf-8"),
    post_as("application/vnd.example+json"),
    post_as("text/plain"),  # `a` answers 400, passed through
    post_as(None),  # forwarded without a type: 400
    post_as("application/x-www-form-urlencoded", urlencode({"json": JSON_BODY}).encode()),
    post_as("application/x-www-form-urlencoded", urlencode({"data": JSON_BODY}).encode()),
    post_as(MULTIPART_TYPE, MULTIPART),
    post_as(STR_MULTIPART_TYPE, STR_MULTIPART),  # strData: Affine's own 500
    post_as("application/json", b"null"),
    post_as("application/json", DEEP),  # the node's 500, not a crash
    post_as("application/json", DEEP, "/api/v1.0/feedback"),  # Go: routing -1, the node's 500
    post_as("text/plain", b"{}", "/api/v1.0/feedback"),
    get("/api/v1.0/metadata"),
    # the wrapper reads `?json=` too, but Go calls nodes without the client's query string
    post_as(None, b"", PREDICT + "?" + urlencode({"json": JSON_BODY})),
    post_as("application/json", b'{"strData": "<b>&"}'),  # an error body, HTML-escaped
]


def builtin_backend(runtime: str) -> Backend:
    spec, root = builtins_graph()
    return ProcessBackend(spec, root) if runtime == "process" else InProcessBackend(spec, root)


@pytest.fixture(scope="module")
def builtin_expected() -> Iterator[list[Answer]]:
    thread = serve(builtin_backend("inprocess"), name="builtins")
    yield [raw_answer(thread, raw) for raw in BUILTIN_RAW]
    thread.stop()


def test_builtins_and_content_types_answer_as_go_does(builtin_expected):
    ok = builtin_expected[0]
    assert ok[:2] == (200, "application/json")
    out = json.loads(ok[2])
    assert out["data"]["ndarray"] == [[10.0, 20.0]] and out["meta"]["tags"] == {
        "a": "yes",
        "last": "a",
    }
    statuses = [200, 200, 200, 400, 400, 200, 400, 200, 500, 400, 500, 500, 400, 200, 400, 500]
    assert [a[0] for a in builtin_expected] == statuses
    assert (
        builtin_expected[1]
        == builtin_expected[2]
        == builtin_expected[5]
        == builtin_expected[7]
        == ok
    )
    assert (
        builtin_expected[3] == builtin_expected[4] == builtin_expected[6] == (400, TEXT, BAD_DATA)
    )
    assert b"maximum recursion depth exceeded" in builtin_expected[10][2]
    assert builtin_expected[10] == builtin_expected[11]
    assert builtin_expected[12] == builtin_expected[14] == (400, TEXT, BAD_DATA)
    assert b"\\u003cb\\u003e\\u0026" in builtin_expected[15][2]
    assert "<b>&" in json.loads(builtin_expected[15][2])["status"]["info"]
    metadata = json.loads(builtin_expected[13][2])
    assert list(metadata) == ["name", "models", "graphinputs", "graphoutputs"]
    assert sorted(metadata["models"]) == ["a", "b"]  # no metadata call for a built-in
    assert all(
        set(m) <= {"name", "versions", "inputs", "outputs"} for m in metadata["models"].values()
    )


@pytest.mark.slow
def test_process_runtime_runs_builtins_and_content_types_alike(builtin_expected):
    thread = serve(builtin_backend("process"), name="builtins")
    try:
        for raw, want in zip(BUILTIN_RAW, builtin_expected, strict=True):
            assert raw_answer(thread, raw) == want, raw[:3]
    finally:
        thread.stop()
