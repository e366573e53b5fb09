"""The graph walk alone, against scripted nodes: the cases of the Go executor's
predictor_process_test.go (reference §3.8) and the semantics table of §3.4."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from seldon_graphs.runtime.messages import Payload
from seldon_graphs.runtime.units import Param, Unit
from seldon_graphs.runtime.walk import PUID_HEADER, Executor, ExecutorError, edge_units

from .fake_transport import FakeTransport, fails, msg, trail, unreachable
from .graphs import OT, C, M, R, T, U

HEADERS = {PUID_HEADER: "puid-1", "X-Custom": "kept"}


def unit(name: str, role: Any, *children: Unit, **kw: Any) -> Unit:
    return Unit(name, role, children=children, **kw)


def run(root: Unit, transport: FakeTransport, payload: Payload | None = None, **kw: Any) -> Any:
    executor = Executor(root, transport, **kw)
    return asyncio.run(executor.predict(payload or msg(), HEADERS))


def test_model():  # TestModel
    t = FakeTransport()
    assert trail(run(unit("m", M), t)) == ["m/predict"]
    assert t.calls == [("m", "/predict")]


def test_two_level_model_feeds_its_output_to_its_child():  # TestTwoLevelModel
    t = FakeTransport()
    out = run(unit("a", M, unit("b", M)), t)
    assert trail(out) == ["a/predict", "b/predict"]


def test_transformer_then_model_then_output_transformer():
    t = FakeTransport()
    root = unit("out", OT, unit("tin", T, unit("m", M)))
    assert trail(run(root, t)) == ["tin/transform-input", "m/predict", "out/transform-output"]


def test_leaf_output_transformer_transforms_its_input():
    assert trail(run(unit("o", OT), FakeTransport())) == ["o/transform-output"]


@pytest.mark.parametrize("role", [R, C])
def test_leaf_router_and_combiner_are_pass_through(role: Any):
    t = FakeTransport()
    assert trail(run(unit("x", role), t)) == []
    assert t.calls == []


@pytest.mark.parametrize(
    ("route", "calls", "result"),
    [
        (-1, {"a", "b"}, ["a/predict"]),  # route default: all children, first child's output
        (0, {"a"}, ["a/predict"]),
        (1, {"b"}, ["b/predict"]),
        (-2, set(), []),  # the router's input comes back
    ],
)
def test_router(route: int, calls: set[str], result: list[str]):  # TestRouter
    t = FakeTransport(routes={"r": route})
    out = run(unit("r", R, unit("a", M), unit("b", M)), t, routing_injection=True)
    assert trail(out) == result
    assert {n for n, p in t.calls if p == "/predict"} == calls
    assert json.loads(out.body).get("meta") is None  # no meta object: nothing injected


def test_router_route_out_of_range_is_a_clear_500_naming_the_router():
    t = FakeTransport(routes={"r": 5})
    with pytest.raises(ExecutorError) as err:
        run(unit("r", R, unit("a", M), unit("b", M)), t)
    assert err.value.status == 500
    status = json.loads(err.value.body)["status"]
    assert status["code"] == 500 and status["status"] == "FAILURE"
    assert "'r'" in status["info"] and "route 5" in status["info"]


def test_combiner_gets_children_outputs_as_a_json_list_in_child_order():  # TestCombiner
    t = FakeTransport()
    out = run(unit("c", C, unit("a", M), unit("b", M)), t, payload=msg("in"))
    aggregate = [body for name, path, body in t.bodies if path == "/aggregate"]
    assert aggregate == [
        [{"jsonData": {"trail": ["in", "a/predict"]}}, {"jsonData": {"trail": ["in", "b/predict"]}}]
    ]
    assert trail(out) == ["c/aggregate"]


def test_children_run_in_parallel_with_the_same_input():
    t = FakeTransport()
    run(unit("c", C, unit("a", M), unit("b", M)), t, payload=msg("same"))
    inputs = [body for name, path, body in t.bodies if path == "/predict"]
    assert inputs == [msg("same").body and json.loads(msg("same").body)] * 2


def test_first_child_rule_for_a_model_with_two_children():
    t = FakeTransport()
    out = run(unit("m", M, unit("a", M), unit("b", M)), t)
    assert trail(out) == ["m/predict", "a/predict"]
    assert ("b", "/predict") in t.calls  # b ran; its output was dropped


@pytest.mark.parametrize(
    ("methods", "calls"),
    [
        ({"TRANSFORM_INPUT"}, ["/transform-input"]),
        ({"TRANSFORM_OUTPUT"}, ["/transform-output"]),
        ({"TRANSFORM_INPUT", "TRANSFORM_OUTPUT"}, ["/transform-input", "/transform-output"]),
    ],
)
def test_methods_only_leaf(methods: set[str], calls: list[str]):  # TestMethods
    t = FakeTransport()
    run(unit("x", U, methods=frozenset(methods)), t)
    assert [p for _, p in t.calls] == calls


def test_methods_only_route_and_aggregate_never_predict():
    t = FakeTransport(routes={"x": -1})
    node = unit("x", U, unit("a", M), unit("b", M), methods=frozenset({"ROUTE", "AGGREGATE"}))
    run(node, t)
    own = [p for n, p in t.calls if n == "x"]
    assert own == ["/route", "/aggregate"]


@pytest.mark.parametrize(("draw", "child"), [(0.3, "a"), (0.7, "b")])
def test_random_abtest(draw: float, child: str):  # TestABTest
    ab = unit("ab", U, unit("a", M), unit("b", M), implementation="RANDOM_ABTEST")
    t = FakeTransport()
    out = run(ab, t, rng=lambda: draw)
    assert trail(out) == [f"{child}/predict"]
    assert t.calls == [(child, "/predict")]


def test_random_abtest_reads_ratio_a_only_when_it_is_the_only_parameter():
    params = (Param("ratioA", "0.9", "FLOAT"),)
    ab = unit("ab", U, unit("a", M), unit("b", M), implementation="RANDOM_ABTEST",
              parameters=params)  # fmt: skip
    assert trail(run(ab, FakeTransport(), rng=lambda: 0.8)) == ["a/predict"]
    two = (*params, Param("other", "1", "INT"))
    ab2 = unit("ab", U, unit("a", M), unit("b", M), implementation="RANDOM_ABTEST", parameters=two)
    assert trail(run(ab2, FakeTransport(), rng=lambda: 0.8)) == ["b/predict"]  # ratio 0.5


def test_routing_injection_records_every_step():
    ab = unit("ab", U, unit("a", M), unit("b", M), implementation="RANDOM_ABTEST")
    root = unit("tin", T, unit("r", R, ab, unit("c", M)))
    body = json.dumps({"jsonData": {"trail": []}, "meta": {}}).encode()

    def keep_meta(path: str, b: Any) -> Any:
        from .fake_transport import ok

        return ok({**b, "jsonData": {"trail": [*b["jsonData"]["trail"], path]}})

    t = FakeTransport(routes={"r": 0}, scripts={n: keep_meta for n in ("tin", "a", "b")})
    out = run(root, t, payload=Payload(body), routing_injection=True, rng=lambda: 0.9)
    assert json.loads(out.body)["meta"]["routing"] == {"tin": -1, "r": 0, "ab": 1, "b": -1}


def test_node_error_is_passed_through_verbatim():  # TestModelError
    t = FakeTransport(scripts={"m": fails(409, '{"status":{"info":"no"}}')})
    with pytest.raises(ExecutorError) as err:
        run(unit("m", M), t)
    assert (err.value.status, err.value.body) == (409, b'{"status":{"info":"no"}}')


def test_in_a_fan_out_the_first_failing_child_in_child_order_wins():
    t = FakeTransport(scripts={"a": fails(400, "first"), "b": fails(503, "second")})
    with pytest.raises(ExecutorError) as err:
        run(unit("c", C, unit("ok", M), unit("a", M), unit("b", M)), t)
    assert (err.value.status, err.value.body) == (400, b"first")
    assert {n for n, _ in t.calls} == {"ok", "a", "b"}  # every child ran to completion


def test_transport_failure_is_a_seldon_500_naming_the_node():
    t = FakeTransport(scripts={"m": unreachable})
    with pytest.raises(ExecutorError) as err:
        run(unit("m", M), t)
    status = json.loads(err.value.body)["status"]
    assert err.value.status == 500 and status["status"] == "FAILURE"
    assert "node 'm'" in status["info"] and "connection refused" in status["info"]


def test_headers_are_forwarded_to_every_node():
    t = FakeTransport()
    run(unit("a", M, unit("b", M)), t)
    assert all(h[PUID_HEADER] == "puid-1" and h["X-Custom"] == "kept" for h in t.headers)


def test_a_request_without_puid_is_refused():  # TestPredictNilPUIDError
    with pytest.raises(ExecutorError, match="PUID"):
        asyncio.run(Executor(unit("m", M), FakeTransport()).predict(msg(), {}))


def feedback(root: Unit, t: FakeTransport, routing: dict[str, int] | None) -> Any:
    body = {"request": {"data": {"ndarray": [[1]]}}, "reward": 1.0}
    if routing is not None:
        body["response"] = {"meta": {"routing": routing}}
    payload = Payload(json.dumps(body).encode())
    return json.loads(asyncio.run(Executor(root, t).feedback(payload, HEADERS)).body)


def test_feedback_follows_the_routing_of_the_response():  # TestFeedback
    t = FakeTransport()
    out = feedback(unit("r", R, unit("a", M), unit("b", M)), t, {"r": 1})
    assert t.calls == [("b", "/send-feedback"), ("r", "/send-feedback")]
    assert out == {"jsonData": {"feedback": "r"}}  # the root's own answer


def test_feedback_without_routing_goes_to_every_child():
    t = FakeTransport()
    feedback(unit("c", C, unit("a", M), unit("b", M)), t, None)
    assert sorted(t.calls) == [("a", "/send-feedback"), ("b", "/send-feedback")]


def test_feedback_to_a_root_that_takes_none_echoes_the_feedback():
    t = FakeTransport()
    out = feedback(unit("tin", T, unit("m", M)), t, {})
    assert t.calls == [("m", "/send-feedback")]
    assert out["reward"] == 1.0 and "request" in out


@pytest.mark.parametrize(
    ("root", "edges"),
    [
        (unit("m", M), ("m", "m")),
        (unit("t", T, unit("m", M)), ("t", "m")),
        (unit("o", OT, unit("m", M)), ("m", "o")),
        (unit("c", C, unit("a", M), unit("b", M)), ("a", "c")),
        (unit("r", R, unit("a", M), unit("b", M)), ("a", "a")),
        (unit("t", T, unit("c", C, unit("x", T, unit("a", M)))), ("t", "c")),
    ],
)
def test_graph_metadata_edges(root: Unit, edges: tuple[str, str]):  # metadata_test.go
    first, last = edge_units(root)
    assert (first.name, last.name) == edges
    graph = json.loads(asyncio.run(Executor(root, FakeTransport()).metadata(HEADERS)).body)
    assert graph["graphinputs"] == [f"in:{edges[0]}"]
    assert graph["graphoutputs"] == [f"out:{edges[1]}"]
    assert set(graph["models"]) == {u.name for u in root.walk()}


BUILTIN_SHAPES = [
    ("AVERAGE_COMBINER", C),  # as the compiler wrote it before: with a type, no container
    ("AVERAGE_COMBINER", U),  # Seldon's containerless shape
    ("SIMPLE_ROUTER", R),
    ("SIMPLE_ROUTER", U),
    ("SIMPLE_MODEL", M),
    ("SIMPLE_MODEL", U),
]


@pytest.mark.parametrize(("impl", "role"), BUILTIN_SHAPES)
def test_builtins_call_nothing_and_answer_with_the_first_childs_output(impl: str, role: Any):
    # Go v1.17.1 has no code for these: route -1 (every child), then aggregate's `cmsgs[0]`
    t = FakeTransport()
    node = unit("x", role, unit("a", M), unit("b", M, unit("c", M)), implementation=impl)
    out = run(node, t)
    assert trail(out) == ["a/predict"]
    assert sorted(t.calls) == [("a", "/predict"), ("b", "/predict"), ("c", "/predict")]


@pytest.mark.parametrize(("impl", "role"), BUILTIN_SHAPES)
def test_a_leaf_builtin_answers_with_its_input(impl: str, role: Any):
    t = FakeTransport()
    request = msg("as", "sent")
    assert run(unit("x", role, implementation=impl), t, payload=request) == request
    assert t.calls == []


def test_builtins_record_routing_as_go_does():
    body = json.dumps({"jsonData": {"trail": []}, "meta": {}}).encode()

    def keep_meta(path: str, b: Any) -> Any:
        from .fake_transport import ok

        return ok({**b, "jsonData": {"trail": [path]}})

    root = unit(
        "sr", R, unit("avg", C, unit("a", M), unit("b", M), implementation="AVERAGE_COMBINER"),
        unit("sm", M, implementation="SIMPLE_MODEL"), implementation="SIMPLE_ROUTER",
    )  # fmt: skip
    t = FakeTransport(scripts={"a": keep_meta, "b": keep_meta})
    out = run(root, t, payload=Payload(body), routing_injection=True)
    # every node that fanned out or was called; a leaf that called nothing has no entry
    assert json.loads(out.body)["meta"]["routing"] == {"sr": -1, "avg": -1, "a": -1, "b": -1}


def test_builtins_take_no_feedback_and_pass_it_to_every_child():
    t = FakeTransport()
    node = unit("x", M, unit("a", M), unit("b", M), implementation="SIMPLE_MODEL")
    out = feedback(node, t, None)
    assert sorted(t.calls) == [("a", "/send-feedback"), ("b", "/send-feedback")]
    assert out["reward"] == 1.0  # the feedback echoed: the root takes none


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_a_router_non_200_is_gos_status_error_naming_the_url(status: int):
    t = FakeTransport(scripts={"r": fails(status, '{"status":{"info":"router body"}}')})
    root = unit("m", M, unit("r", R, unit("a", M), unit("b", M)))
    with pytest.raises(ExecutorError) as err:
        run(root, t)
    # the router's body is dropped; its address is the operator's (m 9000, r 9001)
    info = (
        "Internal service call from executor failed calling http://localhost:9001/route "
        f"status code {status}"
    )
    want = {"status": {"code": 500, "info": info, "status": "FAILURE"}}
    assert err.value.status == status and json.loads(err.value.body) == want
    assert b'": ' not in err.value.body  # jsonpb: compact


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[" * 100_000, b'{"response": {"meta": {"routing": ["x"]}}}', b"null"],
)
def test_undecodable_feedback_goes_to_every_child_as_in_go(body: bytes):
    # RouteFromFeedbackJsonMeta: any decoding problem is route -1
    t = FakeTransport()
    t.call = _raw_call(t)  # type: ignore[method-assign]
    root = unit("c", C, unit("a", M), unit("b", M))
    asyncio.run(Executor(root, t).feedback(Payload(body), HEADERS))
    assert sorted(t.calls) == [("a", "/send-feedback"), ("b", "/send-feedback")]


def _raw_call(t: FakeTransport) -> Any:
    """FakeTransport.call decodes bodies as JSON; these bodies are not, on purpose."""

    async def call(unit: Unit, method: str, path: str, payload: Any, headers: Any) -> Any:
        from .fake_transport import ok

        t.calls.append((unit.name, path))
        return ok({"jsonData": {"feedback": unit.name}})

    return call


def test_graph_metadata_keeps_what_gos_model_metadata_keeps():
    def meta(path: str, b: Any) -> Any:
        from .fake_transport import ok

        return ok({
            "name": "m", "platform": "", "versions": ["v1"], "inputs": [{"b": 1, "a": 2}],
            "outputs": [], "custom": {}, "extra": "dropped",
        })  # fmt: skip

    t = FakeTransport(scripts={"m": meta})
    body = asyncio.run(Executor(unit("m", M), t, predictor="p").metadata(HEADERS)).body
    assert body == (
        b'{"name":"p","models":{"m":{"name":"m","versions":["v1"],"inputs":[{"a":2,"b":1}],'
        b'"outputs":[]}},"graphinputs":[{"a":2,"b":1}],"graphoutputs":[]}'
    )


@pytest.mark.parametrize(
    "answer",
    [
        [1, 2],
        {"name": 3},
        {"versions": [1]},
        {"custom": {"k": 1}},
        {"platform": None, "custom": []},
    ],
)
def test_graph_metadata_fails_where_go_cannot_decode_a_node_answer(answer: Any):
    from .fake_transport import ok

    t = FakeTransport(scripts={"m": lambda p, b: ok(answer)})
    with pytest.raises(ExecutorError) as err:
        asyncio.run(Executor(unit("m", M), t).metadata(HEADERS))
    assert err.value.status == 500 and "node 'm': metadata" in err.value.body.decode()


@pytest.mark.parametrize(
    ("answer", "route"),
    [
        ({"data": {"ndarray": [[1]]}}, 1),
        ({"data": {"ndarray": [1, 0]}}, 1),
        ({"data": {"ndarray": [[1.9]]}}, 1),  # Go's int() truncates
        ({"data": {"ndarray": [["1"]]}}, 0),  # GetNumberValue of a string
        ({"data": {"ndarray": [[[1]]]}}, 0),  # read two levels deep only
        ({"data": {"ndarray": [[True]]}}, 0),
        ({"data": {"tensor": {"shape": [1], "values": [1.0]}}}, 1),
        ({"data": {"names": ["x"]}}, -1),  # no ndarray, no tensor: every child
        ({"strData": "1"}, -1),
        ([1, 0], 1),  # not a SeldonMessage: a JSON list of ints
    ],
)
def test_routes_are_read_from_a_routers_output_as_go_reads_them(answer: Any, route: int):
    from .fake_transport import ok

    t = FakeTransport(scripts={"r": lambda p, b: ok(answer) if p == "/route" else None})
    run(unit("r", R, unit("a", M), unit("b", M)), t)
    called = sorted(n for n, _ in t.calls if n != "r")
    assert called == (["a", "b"] if route == -1 else [["a", "b"][route]])


@pytest.mark.parametrize(
    "answer",
    [{"data": {"ndarray": []}}, {"data": {"ndarray": [[]]}}, {"data": {"tensor": {"values": []}}},
     {"data": {"ndarray": [[1]]}, "route": 1}, [], [1.5], "text", b"[" * 100_000],
)  # fmt: skip
def test_a_route_go_cannot_read_is_a_500_naming_the_router(answer: Any):
    from seldon_graphs.runtime.messages import JSON, Reply

    body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    t = FakeTransport(scripts={"r": lambda p, b: Reply(200, Payload(body, JSON))})
    with pytest.raises(ExecutorError) as err:
        run(unit("r", R, unit("a", M), unit("b", M)), t)
    assert err.value.status == 500
    assert "router 'r' returned no usable route" in json.loads(err.value.body)["status"]["info"]


@pytest.mark.parametrize(
    ("routing", "called"),
    [
        ({"r": 1}, ["b"]),
        ({"r": "1"}, ["b"]),  # jsonpb reads int32 from a string too
        ({"r": 1.0}, ["b"]),
        ({"r": 1.5}, ["a", "b"]),  # not an int32: the whole Feedback fails to decode
        ({"r": 1, "other": "x"}, ["a", "b"]),
        ({"r": True}, ["a", "b"]),
        ({}, ["a", "b"]),
    ],
)
def test_feedback_routing_is_read_as_jsonpb_reads_it(routing: dict[str, Any], called: list[str]):
    t = FakeTransport()
    feedback(unit("r", R, unit("a", M), unit("b", M)), t, routing)
    assert sorted(n for n, _ in t.calls if n != "r") == called


@pytest.mark.parametrize(
    "extra",
    [{"unknown": 1}, {"response": {"meta": {"routing": {"r": 1}}, "oops": 1}}],
)
def test_a_feedback_jsonpb_cannot_decode_goes_to_every_child(extra: dict[str, Any]):
    t = FakeTransport()
    body = {"response": {"meta": {"routing": {"r": 1}}}, "reward": 1.0, **extra}
    asyncio.run(Executor(unit("r", R, unit("a", M), unit("b", M)), t).feedback(
        Payload(json.dumps(body).encode()), HEADERS))  # fmt: skip
    assert sorted(n for n, _ in t.calls if n != "r") == ["a", "b"]
