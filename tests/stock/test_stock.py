"""Stock components: unit behaviour, and served through the adapter by seldon_core's app."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from seldon_core.flask_utils import SeldonMicroserviceException

from seldon_graphs.wrapper.adapter import make_adapter
from wrappers.stock import CATALOG
from wrappers.stock.combiners import MajorityVote, MeanCombiner, WeightedCombiner
from wrappers.stock.routers import ABRouter, EpsilonGreedy
from wrappers.stock.transformers import ColumnSelect, Identity

Serve = Callable[[Any], FlaskClient]


def post(client: FlaskClient, path: str, body: Any) -> tuple[int, Any]:
    response = client.post(path, json=body)
    return response.status_code, response.get_json()


# --- catalog --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_catalog_entry_resolves_to_a_class_with_the_role_method(name: str) -> None:
    component = CATALOG[name]
    module = __import__(f"wrappers.stock.{component.module}", fromlist=[component.class_name])
    cls = getattr(module, component.class_name)
    method = {"COMBINER": "aggregate", "ROUTER": "route", "TRANSFORMER": "transform_input"}
    assert callable(getattr(cls, method[component.role]))
    make_adapter(cls, component.role)  # and the adapter accepts it in its own role


@pytest.mark.parametrize("module", ["combiners", "routers", "transformers"])
def test_stock_modules_are_standalone(module: str) -> None:
    """Copied alone into images: only stdlib, numpy and seldon_core imports."""
    component = next(c for c in CATALOG.values() if c.module == module)
    tree = ast.parse(component.file.read_text())
    roots = {
        (n.module or "").split(".")[0] if isinstance(n, ast.ImportFrom) else a.name.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    }
    assert roots <= set(sys.stdlib_module_names) | {"__future__", "numpy", "seldon_core"}


# --- combiners ------------------------------------------------------------------------


def test_mean_combiner() -> None:
    out = MeanCombiner().aggregate([[[1.0, 2.0]], [[3.0, 6.0]]], [[], []])
    assert out.tolist() == [[2.0, 4.0]]


def test_mean_combiner_rejects_mismatched_shapes() -> None:
    with pytest.raises(SeldonMicroserviceException, match="differ in shape"):
        MeanCombiner().aggregate([[[1.0, 2.0]], [[3.0]]], [[], []])


def test_weighted_combiner_normalises_weights() -> None:
    out = WeightedCombiner(weights="2, 1").aggregate([[[3.0]], [[6.0]]], [[], []])
    assert out.tolist() == [[4.0]]


@pytest.mark.parametrize("weights", ["", "a,b", "-1,2", "0,0", "nan,1"])
def test_weighted_combiner_rejects_bad_weights(weights: str) -> None:
    with pytest.raises(ValueError, match="weighted-combiner"):
        WeightedCombiner(weights=weights)


def test_weighted_combiner_needs_one_weight_per_child() -> None:
    with pytest.raises(SeldonMicroserviceException, match="2 weights for 3 children"):
        WeightedCombiner(weights="1,1").aggregate([[[1.0]]] * 3, [[]] * 3)


def test_majority_vote_from_scores_and_labels() -> None:
    scores_a = [[0.9, 0.1], [0.2, 0.8]]
    scores_b = [[0.4, 0.6], [0.3, 0.7]]
    labels_c = [[0], [0]]
    out = MajorityVote().aggregate([scores_a, scores_b, labels_c], [[], [], []])
    assert out.tolist() == [[0], [1]]


def test_majority_vote_tie_goes_to_lowest_class() -> None:
    assert MajorityVote().aggregate([[1], [0]], [[], []]).tolist() == [[0]]


def test_majority_vote_rejects_different_row_counts() -> None:
    with pytest.raises(SeldonMicroserviceException, match="numbers of rows"):
        MajorityVote().aggregate([[1, 0], [0]], [[], []])


def test_majority_vote_rejects_non_labels() -> None:
    with pytest.raises(SeldonMicroserviceException, match="integer labels"):
        MajorityVote().aggregate([[0.5], [1.0]], [[], []])


# --- routers --------------------------------------------------------------------------


def test_ab_router_follows_its_ratio() -> None:
    router = ABRouter(ratio_a=0.8, seed=7)
    counts = Counter(router.route(None, []) for _ in range(2000))
    assert set(counts) == {0, 1}
    assert 0.75 < counts[0] / 2000 < 0.85


@pytest.mark.parametrize(("ratio", "only"), [(1.0, 0), (0.0, 1)])
def test_ab_router_extremes(ratio: float, only: int) -> None:
    router = ABRouter(ratio_a=ratio)
    assert {router.route(None, []) for _ in range(50)} == {only}


def test_ab_router_seed_is_reproducible() -> None:
    a, b = ABRouter(ratio_a=0.5, seed=3), ABRouter(ratio_a=0.5, seed=3)
    assert [a.route(None, []) for _ in range(30)] == [b.route(None, []) for _ in range(30)]


@pytest.mark.parametrize("ratio", [-0.1, 1.5, float("nan")])
def test_ab_router_rejects_bad_ratio(ratio: float) -> None:
    with pytest.raises(ValueError, match="ratio_a"):
        ABRouter(ratio_a=ratio)


def test_epsilon_greedy_learns_the_best_branch() -> None:
    router = EpsilonGreedy(n_branches=3, epsilon=0.1, seed=1)
    rewards = {0: 0.2, 1: 0.9, 2: 0.5}
    for _ in range(300):
        branch = router.route(None, [])
        router.send_feedback(None, [], rewards[branch], None, routing=branch)
        # an untried branch keeps value 0; exploration eventually tries branch 1
    assert router.best_branch == 1
    picks = Counter(router.route(None, []) for _ in range(1000))
    assert picks[1] > 850  # exploit ~ (1 - eps) + eps / 3


def test_epsilon_greedy_ignores_feedback_without_routing() -> None:
    router = EpsilonGreedy(n_branches=2, epsilon=0.0)
    assert router.send_feedback(None, [], 1.0, None, routing=None) == []
    assert router.counts == [0, 0]


def test_epsilon_greedy_rejects_unknown_branch_and_bad_params() -> None:
    with pytest.raises(ValueError, match="branch 5"):
        EpsilonGreedy(n_branches=2).send_feedback(None, [], 1.0, None, routing=5)
    with pytest.raises(ValueError, match="n_branches"):
        EpsilonGreedy(n_branches=0)
    with pytest.raises(ValueError, match="epsilon"):
        EpsilonGreedy(n_branches=2, epsilon=2.0)


def test_epsilon_greedy_metrics() -> None:
    router = EpsilonGreedy(n_branches=2, epsilon=0.0)
    router.send_feedback(None, [], 0.5, None, routing=1)
    values = {(m["key"], m["tags"]["branch"]): m["value"] for m in router.metrics()}
    assert values[("branch_value", "1")] == 0.5
    assert values[("branch_count", "1")] == 1


# --- transformers ---------------------------------------------------------------------


def test_identity_keeps_data_and_names() -> None:
    t = Identity()
    assert t.transform_input([[1, 2]], ["a", "b"]) == [[1, 2]]
    assert t.class_names() == ["a", "b"]


def test_column_select_by_index_and_by_name() -> None:
    t = ColumnSelect(columns="2,0")
    assert t.transform_input([[1, 2, 3]], []).tolist() == [[3, 1]]
    t = ColumnSelect(columns="income, age")
    assert t.transform_input([[30, 5, 1000]], ["age", "x", "income"]).tolist() == [[1000, 30]]
    assert t.class_names() == ["income", "age"]


def test_column_select_errors_name_the_problem() -> None:
    with pytest.raises(SeldonMicroserviceException, match="no column named 'zip'"):
        ColumnSelect(columns="zip").transform_input([[1]], ["age"])
    with pytest.raises(SeldonMicroserviceException, match="out of range"):
        ColumnSelect(columns="3").transform_input([[1, 2]], [])
    with pytest.raises(ValueError, match="at least one column"):
        ColumnSelect(columns=" , ")


# --- served through seldon_core's app, as in an image ---------------------------------


def test_served_mean_combiner(serve: Serve) -> None:
    client = serve(make_adapter(MeanCombiner, "COMBINER")())
    status, body = post(
        client,
        "/aggregate",
        [{"data": {"ndarray": [[1.0, 3.0]]}}, {"data": {"ndarray": [[3.0, 5.0]]}}],
    )
    assert status == 200, body
    assert body["data"]["ndarray"] == [[2.0, 4.0]]


def test_served_combiner_bad_input_is_a_400(serve: Serve) -> None:
    client = serve(make_adapter(MeanCombiner, "COMBINER")())
    status, body = post(
        client, "/aggregate", [{"data": {"ndarray": [[1.0]]}}, {"data": {"ndarray": [[1.0, 2.0]]}}]
    )
    assert status == 400
    assert "differ in shape" in body["status"]["info"]


def test_served_router_and_feedback(serve: Serve) -> None:
    router = make_adapter(EpsilonGreedy, "ROUTER")(n_branches=2, epsilon=0.0)
    client = serve(router)
    status, body = post(client, "/route", {"data": {"ndarray": [[1.0]]}})
    assert status == 200, body
    assert body["data"]["ndarray"] == [[0]]
    feedback = {
        "request": {"data": {"ndarray": [[1.0]]}},
        "response": {"meta": {"routing": {"0": 1}}, "data": {"ndarray": [[1.0]]}},
        "reward": 1.0,
    }
    status, body = post(client, "/send-feedback", feedback)
    assert status == 200, body
    assert router.counts == [0, 1]
    _, body = post(client, "/route", {"data": {"ndarray": [[1.0]]}})
    assert body["data"]["ndarray"] == [[1]]  # learnt from the reward


def test_served_column_select_as_output_transformer(serve: Serve) -> None:
    client = serve(make_adapter(ColumnSelect, "OUTPUT_TRANSFORMER")(columns="b"))
    status, body = post(
        client, "/transform-output", {"data": {"names": ["a", "b"], "ndarray": [[1, 2], [3, 4]]}}
    )
    assert status == 200, body
    assert body["data"] == {"names": ["b"], "ndarray": [[2], [4]]}


def test_served_identity_as_model_keeps_names(serve: Serve) -> None:
    client = serve(make_adapter(Identity, "MODEL")())
    status, body = post(client, "/predict", {"data": {"names": ["x"], "ndarray": [[7.0]]}})
    assert status == 200, body
    assert body["data"] == {"names": ["x"], "ndarray": [[7.0]]}
