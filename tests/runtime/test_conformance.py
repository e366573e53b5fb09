"""One graph, the same requests, every runtime available: the answers must be identical
(status and JSON), and the tags must be the ones Seldon's own e2e test expects."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from seldon_graphs.runtime.inprocess import InProcessBackend
from seldon_graphs.runtime.process import ProcessBackend
from seldon_graphs.runtime.server import Backend, ServerThread

from .conftest import serve
from .graphs import NODES, ROOT, TAGS, C, M, R, graph, py, tree

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
    from seldon_graphs.wrapper.context import with_overrides

    return with_overrides(spec, base_image=BASE, registry="seldon-graphs-test"), root


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


def docker_backend() -> Backend:
    from seldon_graphs.images import build_images, docker_client
    from seldon_graphs.runtime.docker import DockerBackend
    from seldon_graphs.wrapper.context import plan_graph

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
def expected() -> Iterator[list[tuple[int, Any]]]:
    thread = serve(backend("inprocess"), name="conform")
    yield [post(thread, body) for body in REQUESTS]
    thread.stop()


def post(thread: ServerThread, body: Any) -> tuple[int, Any]:
    url = thread.server.url + "/api/v1.0/predictions"
    r = requests.post(url, json=body, headers={"Seldon-Puid": "fixed"}, timeout=60)
    return r.status_code, r.json()


def test_the_reference_answers_are_seldons(expected):
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
    thread = serve(backend(runtime), name="conform")
    try:
        for body, want in zip(REQUESTS, expected, strict=True):
            assert post(thread, body) == want, body
    finally:
        thread.stop()
