"""The executor's HTTP front (server.go), over the in-process backend."""

from __future__ import annotations

import re
import uuid

import requests

from seldon_graphs.runtime.inprocess import InProcessBackend

from .graphs import NODES, M, graph, py, tags_chain, tags_combiner, tree

X = {"data": {"ndarray": [[1.0, 2.0]]}}


def test_predictions_echo_a_given_puid_and_generate_one_otherwise(server_factory):
    url = server_factory(InProcessBackend(*tags_chain())).server.url
    given = str(uuid.uuid4())
    r = requests.post(f"{url}/api/v1.0/predictions", json=X, headers={"Seldon-Puid": given})
    assert r.status_code == 200 and r.headers["Seldon-Puid"] == given
    r2 = requests.post(f"{url}/api/v0.1/predictions", json=X)
    assert uuid.UUID(r2.headers["Seldon-Puid"]) and r2.headers["Seldon-Puid"] != given
    assert r2.json()["meta"]["tags"] == {"common": 2, "model-1": "yes", "model-2": "yes"}
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_everything_is_also_under_the_ingress_prefix(server_factory):
    url = server_factory(InProcessBackend(*tags_combiner()), name="tags").server.url
    base = f"{url}/seldon/seldon/tags"
    r = requests.post(f"{base}/api/v1.0/predictions", json=X)
    assert r.json()["data"]["ndarray"] == [["model-1"], ["model-2"]]
    assert requests.get(f"{base}/ready").status_code == 200
    meta = requests.get(f"{base}/api/v1.0/metadata").json()
    assert meta["name"] == "default" and set(meta["models"]) == {"combiner", "one", "two"}
    assert requests.get(f"{base}/api/v1.0/metadata/one").json()["name"]
    assert requests.get(f"{base}/api/v1.0/status/two").json()["strData"] == "healthy"


def test_unknown_node_status_is_an_executor_error(server_factory):
    url = server_factory(InProcessBackend(*tags_chain())).server.url
    r = requests.get(f"{url}/api/v1.0/status/nope")
    assert r.status_code == 500 and "Failed to find model nope" in r.text


def test_live_ready_options_and_cloudevents(server_factory):
    url = server_factory(InProcessBackend(*tags_chain()), name="g").server.url
    assert requests.get(f"{url}/live").status_code == 200
    assert requests.get(f"{url}/api/v1.0/health/status").status_code == 200
    assert requests.options(f"{url}/api/v1.0/predictions").status_code == 200
    r = requests.post(
        f"{url}/api/v1.0/predictions", json=X, headers={"Ce-Specversion": "0.3", "Seldon-Puid": "p"}
    )
    assert r.headers["Ce-Id"] == "p" and r.headers["Ce-Type"] == "seldon.g.seldon.response"


def test_node_errors_pass_through_with_status_and_body(server_factory):
    spec = graph("fail", [py("bad", f"{NODES}/Failing.py", "Failing", {"status": 409})])
    url = server_factory(InProcessBackend(spec, tree("bad", M))).server.url
    r = requests.post(f"{url}/api/v1.0/predictions", json=X)
    assert r.status_code == 409
    assert r.json()["status"] == {
        "code": -1, "info": "model says no", "reason": "MICROSERVICE_BAD_DATA", "status": 1
    }  # fmt: skip


def test_prometheus_metrics_use_the_go_executors_names(server_factory):
    url = server_factory(InProcessBackend(*tags_chain()), name="tags-chain").server.url
    requests.post(f"{url}/api/v1.0/predictions", json=X)
    text = requests.get(f"{url}/prometheus").text
    server = re.search(r"seldon_api_executor_server_requests_seconds_count\{([^}]*)\} 1", text)
    assert server and 'service="predictions"' in server.group(1)
    assert 'deployment_name="tags-chain"' in server.group(1) and 'code="200"' in server.group(1)
    client = re.findall(r"seldon_api_executor_client_requests_seconds_count\{([^}]*)\}", text)
    assert {re.search(r'model_name="(\w+)"', c).group(1) for c in client} == {"one", "two"}
    assert requests.get(f"{url}/metrics").text.startswith("# HELP")


def test_request_size_is_bounded(server_factory):
    url = server_factory(InProcessBackend(*tags_chain()), max_body_bytes=1000).server.url
    big = {"data": {"ndarray": [[1.0] * 1000]}}
    r = requests.post(f"{url}/api/v1.0/predictions", json=big)
    assert r.status_code == 413 and r.json()["status"]["status"] == "FAILURE"


def test_successful_bodies_are_html_escaped_like_go(server_factory):
    class Html:
        def predict(self, X: object, names: object) -> object:
            return "<b>&</b>"

    url = server_factory(InProcessBackend(*tags_chain(), overrides={"two": Html()})).server.url
    r = requests.post(f"{url}/api/v1.0/predictions", json=X)
    assert b"\\u003cb\\u003e\\u0026\\u003c/b\\u003e" in r.content
    assert r.json()["strData"] == "<b>&</b>"


def test_live_answers_while_an_in_process_node_computes(server_factory):
    """The node holds its request until /live has answered: a server that ran user code
    on its event loop would never answer /live (requests' timeout fails the test)."""
    import threading

    entered, release = threading.Event(), threading.Event()

    class Slow:
        def predict(self, X: object, names: object) -> object:
            entered.set()
            release.wait(10)
            return X

    url = server_factory(InProcessBackend(*tags_chain(), overrides={"two": Slow()})).server.url
    answers: list[int] = []
    slow = threading.Thread(
        target=lambda: answers.append(
            requests.post(f"{url}/api/v1.0/predictions", json=X, timeout=20).status_code
        )
    )
    slow.start()
    try:
        assert entered.wait(10)
        assert requests.get(f"{url}/live", timeout=5).status_code == 200
        assert answers == []  # the prediction is still being held
    finally:
        release.set()
        slow.join(20)
    assert answers == [200]


def test_error_bodies_are_html_escaped_like_go(server_factory):
    from seldon_core.flask_utils import SeldonMicroserviceException

    class Refuses:
        def predict(self, X: object, names: object) -> object:
            raise SeldonMicroserviceException("<b>&</b>", status_code=400)

    url = server_factory(InProcessBackend(*tags_chain(), overrides={"one": Refuses()})).server.url
    r = requests.post(f"{url}/api/v1.0/predictions", json=X)
    assert r.status_code == 400 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b'"info":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"' in r.content
    assert r.json()["status"]["info"] == "<b>&</b>"


def test_paths_and_methods_are_routed_as_gorilla_mux_does(server_factory):
    url = server_factory(InProcessBackend(*tags_chain()), name="g").server.url
    for method, path in [("GET", "/nothing"), ("POST", "/api/v1.0/nothing"),
                         ("OPTIONS", "/nothing"), ("GET", "/seldon/seldon/g/nothing"),
                         ("POST", "/api/v1.0/predictions/"), ("OPTIONS", "/api/v1.0/nothing"),
                         ("OPTIONS", "/api/v0.1/nothing")]:  # fmt: skip
        r = requests.request(method, url + path)
        assert (r.status_code, r.text) == (404, "404 page not found\n"), (method, path)
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert r.headers["X-Content-Type-Options"] == "nosniff" and "Seldon-Puid" not in r.headers
    for method, path in [("GET", "/api/v1.0/predictions"), ("GET", "/api/v0.1/nothing"),
                         ("POST", "/api/v1.0/metadata"), ("DELETE", "/api/v1.0/status/one"),
                         ("GET", "/seldon/seldon/g/api/v1.0/feedback")]:  # fmt: skip
        r = requests.request(method, url + path)
        assert (r.status_code, r.content) == (405, b""), (method, path)
    for method in ("POST", "PUT", "OPTIONS"):  # Go registers the probes for every method
        assert requests.request(method, f"{url}/ready").status_code == 200
        assert requests.request(method, f"{url}/live").status_code == 200
    r = requests.options(f"{url}/api/v1.0/metadata/one")
    assert r.status_code == 200 and r.content == b"" and "Seldon-Puid" in r.headers


def test_an_executor_bug_still_answers_with_seldons_status_body(server_factory):
    backend = InProcessBackend(*tags_chain())

    async def broken(*args: object) -> object:
        raise KeyError("oops")

    backend.executor.predict = broken  # type: ignore[method-assign]
    url = server_factory(backend).server.url
    r = requests.post(f"{url}/api/v1.0/predictions", json=X)
    assert r.status_code == 500
    assert r.json() == {"status": {"code": 500, "info": "KeyError: 'oops'", "status": "FAILURE"}}


def test_a_missing_content_type_reaches_the_node_as_missing(server_factory):
    url = server_factory(InProcessBackend(*tags_chain())).server.url
    body = b'{"data":{"ndarray":[[1]]}}'
    r = requests.post(f"{url}/api/v1.0/predictions", data=body)  # no Content-Type
    assert r.status_code == 400 and r.json()["status"]["info"] == "Can't find JSON in data"
    ok = requests.post(f"{url}/api/v1.0/predictions", data=body,
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert ok.status_code == 200
