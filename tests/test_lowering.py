"""Data flow -> Seldon tree: the shapes Seldon's executor can run, and the ones it cannot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import api
from tests.flow_semantics import flow_result, tree_result
from tests.helpers import analyze, roles, rules

PY = "{python: models.py:Model}"
SK = "{server: sklearn, model_uri: s3://m/x}"


def test_single_server_node_needs_no_flow(tmp_path: Path) -> None:
    result = analyze(tmp_path, f"name: one\nnodes:\n  m: {SK}\n")
    assert roles(result) == [("m", "MODEL", [])]


def test_chain_of_python_nodes_becomes_transformers_over_a_model(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: chain
        nodes:
          a: {PY}
          b: {PY}
          c: {PY}
        flow: a -> b -> c
        """,
    )
    assert roles(result) == [
        ("a", "TRANSFORMER", ["b"]),
        ("b", "TRANSFORMER", ["c"]),
        ("c", "MODEL", []),
    ]


def test_server_chain_stays_models_like_the_walkthrough(tmp_path: Path) -> None:
    result = analyze(tmp_path, f"name: c\nnodes:\n  a: {SK}\n  b: {SK}\nflow: a -> b\n")
    assert roles(result) == [("a", "MODEL", ["b"]), ("b", "MODEL", [])]


def test_income_pipeline_lowers_as_the_architecture_describes(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: income
        nodes:
          features: {PY}
          lr: {SK}
          xgb: {SK}
          vote: {{stock: mean-combiner}}
          label: {PY}
        flow: features -> [lr, xgb] -> vote -> label
        """,
    )
    assert roles(result) == [
        ("label", "OUTPUT_TRANSFORMER", ["features"]),
        ("features", "TRANSFORMER", ["vote"]),
        ("vote", "COMBINER", ["lr", "xgb"]),
        ("lr", "MODEL", []),
        ("xgb", "MODEL", []),
    ]


def test_request_fans_out_to_several_entry_nodes_of_a_root_combiner(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: ens
        nodes:
          a: {SK}
          b: {SK}
          c: {SK}
          mean: {{stock: mean-combiner}}
        flow: "[a, b, c] -> mean"
        """,
    )
    assert roles(result) == [
        ("mean", "COMBINER", ["a", "b", "c"]),
        ("a", "MODEL", []),
        ("b", "MODEL", []),
        ("c", "MODEL", []),
    ]


def test_router_branches_need_not_rejoin_and_may_be_chains(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: r
        nodes:
          route: {{python: models.py:Model, kind: router}}
          a: {PY}
          b: {PY}
          c: {SK}
        flow: route -> [a -> c, b]
        """,
    )
    assert roles(result) == [
        ("route", "ROUTER", ["a", "b"]),
        ("a", "TRANSFORMER", ["c"]),
        ("c", "MODEL", []),
        ("b", "MODEL", []),
    ]


def test_nodes_after_a_router_rejoin_as_output_transformers(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: r
        nodes:
          ab: {{builtin: random-abtest, params: {{ratioA: 0.3}}}}
          a: {SK}
          b: {SK}
          post: {PY}
        flow: ab -> [a, b] -> post
        """,
    )
    assert roles(result) == [
        ("post", "OUTPUT_TRANSFORMER", ["ab"]),
        ("ab", "UNKNOWN_TYPE", ["a", "b"]),
        ("a", "MODEL", []),
        ("b", "MODEL", []),
    ]
    assert result.tree is not None
    assert result.tree.children[0].implementation == "RANDOM_ABTEST"


def test_combiner_of_a_single_input(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: one
        nodes:
          m: {SK}
          k: {{python: models.py:Combiner, kind: combiner}}
        flow: m -> k
        """,
    )
    assert roles(result) == [("k", "COMBINER", ["m"]), ("m", "MODEL", [])]


def test_nested_parallel_blocks(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: nest
        nodes:
          pre: {PY}
          a: {PY}
          a1: {SK}
          a2: {SK}
          ka: {{stock: mean-combiner}}
          b: {SK}
          top: {{stock: mean-combiner}}
        flow: pre -> [a -> [a1, a2] -> ka, b] -> top
        """,
    )
    assert roles(result) == [
        ("pre", "TRANSFORMER", ["top"]),
        ("top", "COMBINER", ["a", "b"]),
        ("a", "TRANSFORMER", ["ka"]),
        ("ka", "COMBINER", ["a1", "a2"]),
        ("a1", "MODEL", []),
        ("a2", "MODEL", []),
        ("b", "MODEL", []),
    ]


def test_stated_output_transformer_wraps_what_precedes_it(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: ot
        nodes:
          m: {SK}
          post: {{python: models.py:Model, kind: output_transformer}}
        flow: m -> post
        """,
    )
    assert roles(result) == [("post", "OUTPUT_TRANSFORMER", ["m"]), ("m", "MODEL", [])]


def test_stated_transformer_after_a_combiner_is_an_error(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: bad
        nodes:
          a: {SK}
          b: {SK}
          k: {{stock: mean-combiner}}
          t: {{python: models.py:Model, kind: transformer}}
        flow: "[a, b] -> k -> t"
        """,
    )
    assert "needs-output-transformer" in rules(result)


def test_depth_eleven_is_accepted_twelve_is_not(tmp_path: Path) -> None:
    def chain(n: int) -> str:
        names = [f"n{i}" for i in range(n)]
        nodes = "".join(f"  {x}: {PY}\n" for x in names)
        return f"name: deep\nnodes:\n{nodes}flow: {' -> '.join(names)}\n"

    assert analyze(tmp_path, chain(11)).ok
    assert "too-deep" in rules(analyze(tmp_path, chain(12)))


def test_parallel_branches_cannot_follow_a_combiner(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: bad
        nodes:
          a: {SK}
          b: {SK}
          k: {{stock: mean-combiner}}
          c: {PY}
          d: {PY}
          k2: {{stock: mean-combiner}}
        flow: "[a, b] -> k -> [c, d] -> k2"
        """,
    )
    assert not result.ok


def test_epsilon_greedy_arms_must_match_branches(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: bandit
        nodes:
          e: {{stock: epsilon-greedy, params: {{n_branches: 3}}}}
          a: {PY}
          b: {PY}
        flow: e -> [a, b]
        """,
    )
    assert "router-arms" in rules(result)


def test_undefined_reference_is_one_error_and_comes_before_cycles(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"""
        name: x
        nodes:
          alpha: {PY}
          beta: {PY}
        flow:
          - alpha -> betta
          - beta -> alpha -> beta
        """,
    )
    assert rules(result) == ["undefined-node", "cycle"]


# --- branches that start with their own bracket group (issue 8) -----------------------------

RT = "{python: models.py:Model, kind: router}"
MEAN = "{stock: mean-combiner}"
AB = "{builtin: random-abtest, params: {ratioA: 0.5}}"


def assert_same_answers(result: api.Analysis) -> None:
    """The tree, walked as Seldon's executor walks it, computes what the flow says."""
    assert result.spec is not None and result.tree is not None, result.render()
    for choice in range(4):
        assert tree_result(result.tree, choice) == flow_result(result.spec, choice), choice


def nodes_yaml(**bodies: str) -> str:
    return "".join(f"  {name}: {body}\n" for name, body in bodies.items())


@pytest.mark.parametrize(
    ("flow", "bodies", "expected"),
    [
        (
            "ab -> [[a, b] -> ens, champ]",
            {"ab": AB, "a": SK, "b": SK, "ens": MEAN, "champ": SK},
            [
                ("ab", "UNKNOWN_TYPE", ["ens", "champ"]),
                ("ens", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
                ("champ", "MODEL", []),
            ],
        ),
        (
            "x -> [[a, b] -> m, c] -> n",
            {"x": PY, "a": SK, "b": SK, "m": MEAN, "c": SK, "n": MEAN},
            [
                ("x", "TRANSFORMER", ["n"]),
                ("n", "COMBINER", ["m", "c"]),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
                ("c", "MODEL", []),
            ],
        ),
        (
            "x -> [c, [a, b] -> m] -> n",
            {"x": PY, "a": SK, "b": SK, "m": MEAN, "c": SK, "n": MEAN},
            [
                ("x", "TRANSFORMER", ["n"]),
                ("n", "COMBINER", ["c", "m"]),
                ("c", "MODEL", []),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
            ],
        ),
        (
            '"[[a, b] -> m, c] -> n"',
            {"a": SK, "b": SK, "m": MEAN, "c": SK, "n": MEAN},
            [
                ("n", "COMBINER", ["m", "c"]),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
                ("c", "MODEL", []),
            ],
        ),
        (
            "x -> [[[a, b] -> m, c] -> n, d] -> k",
            {"x": PY, "a": SK, "b": SK, "m": MEAN, "c": SK, "n": MEAN, "d": SK, "k": MEAN},
            [
                ("x", "TRANSFORMER", ["k"]),
                ("k", "COMBINER", ["n", "d"]),
                ("n", "COMBINER", ["m", "c"]),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
                ("c", "MODEL", []),
                ("d", "MODEL", []),
            ],
        ),
        (
            "x -> [[a, b] -> m -> post, c -> d] -> n",
            {"x": PY, "a": SK, "b": SK, "m": MEAN, "post": PY, "c": PY, "d": SK, "n": MEAN},
            [
                ("x", "TRANSFORMER", ["n"]),
                ("n", "COMBINER", ["post", "c"]),
                ("post", "OUTPUT_TRANSFORMER", ["m"]),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
                ("c", "TRANSFORMER", ["d"]),
                ("d", "MODEL", []),
            ],
        ),
        (
            "r -> [[a, b] -> m, [c, d] -> k]",
            {"r": RT, "a": SK, "b": SK, "m": MEAN, "c": SK, "d": SK, "k": MEAN},
            [
                ("r", "ROUTER", ["m", "k"]),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
                ("k", "COMBINER", ["c", "d"]),
                ("c", "MODEL", []),
                ("d", "MODEL", []),
            ],
        ),
        (
            "x -> [[a, b] -> m] -> n",
            {"x": PY, "a": SK, "b": SK, "m": MEAN, "n": MEAN},
            [
                ("n", "COMBINER", ["x"]),
                ("x", "TRANSFORMER", ["m"]),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
            ],
        ),
        (
            "x -> [[a -> [a1, a2] -> ka, b] -> m, c] -> n",
            {
                "x": PY,
                "a": PY,
                "a1": SK,
                "a2": SK,
                "ka": MEAN,
                "b": SK,
                "m": MEAN,
                "c": SK,
                "n": MEAN,
            },
            [
                ("x", "TRANSFORMER", ["n"]),
                ("n", "COMBINER", ["m", "c"]),
                ("m", "COMBINER", ["a", "b"]),
                ("a", "TRANSFORMER", ["ka"]),
                ("ka", "COMBINER", ["a1", "a2"]),
                ("a1", "MODEL", []),
                ("a2", "MODEL", []),
                ("b", "MODEL", []),
                ("c", "MODEL", []),
            ],
        ),
        (
            "ab -> [a, b] -> k",
            {"ab": AB, "a": SK, "b": SK, "k": MEAN},
            [
                ("k", "COMBINER", ["ab"]),
                ("ab", "UNKNOWN_TYPE", ["a", "b"]),
                ("a", "MODEL", []),
                ("b", "MODEL", []),
            ],
        ),
    ],
)
def test_nested_groups_lower_to_the_tree_seldon_runs_as_written(
    tmp_path: Path, flow: str, bodies: dict[str, str], expected: list[Any]
) -> None:
    # `nodes:` in reverse: the flow, not the declaration order, decides every order.
    declared = dict(reversed(list(bodies.items())))
    result = analyze(tmp_path, f"name: g\nnodes:\n{nodes_yaml(**declared)}flow: {flow}\n")
    assert rules(result) == [], result.render()
    assert roles(result) == expected
    assert_same_answers(result)


def test_a_nested_group_that_rejoins_at_a_non_combiner_names_its_own_branches(
    tmp_path: Path,
) -> None:
    result = analyze(
        tmp_path,
        f"name: g\nnodes:\n{nodes_yaml(x=PY, a=SK, b=SK, m=PY, c=SK, n=MEAN)}"
        "flow: x -> [[a, b] -> m, c] -> n\n",
    )
    (diag,) = result.diagnostics
    assert (diag.rule, diag.line, diag.col) == ("join-not-combiner", 9, 9)
    assert diag.message == "the branches `a`, `b` after `x` rejoin at `m`, which is not a combiner"


def test_branches_that_rejoin_only_at_an_outer_combiner_say_so(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"name: g\nnodes:\n{nodes_yaml(a=PY, b=PY, c=SK, d=SK, e=SK, m=MEAN)}"
        "flow: a -> [b -> [c, d], e] -> m\n",
    )
    (diag,) = result.diagnostics
    assert (diag.rule, diag.line, diag.col, diag.end_col) == ("unjoined-branches", 9, 15, 17)
    assert diag.message == (
        "the branches `c`, `d` after `b` rejoin only at `m`, together with other branches"
    )
    assert diag.help is not None and "(`b -> [c, d] -> mean`)" in diag.help


@pytest.mark.parametrize(
    "flow",
    [
        "pre -> [m, b] -> n",
        "pre -> [b, m] -> n",
        "pre -> [m -> b, c] -> n",
        "r -> [m, b]",
        "m -> b",
        "m",
        '"[m, b] -> n"',
    ],
)
def test_a_combiner_with_nothing_to_combine_is_an_error_at_its_flow_position(
    tmp_path: Path, flow: str
) -> None:
    bodies = {"pre": PY, "r": RT, "m": MEAN, "b": SK, "c": SK, "n": MEAN}
    words = set(re.findall(r"\w+", flow))
    used = {k: v for k, v in bodies.items() if k in words}
    text = f"name: g\nnodes:\n{nodes_yaml(**used)}flow: {flow}\n"
    result = analyze(tmp_path, text)
    assert rules(result) == ["combiner-without-input"], result.render()
    (diag,) = result.diagnostics
    line = text.splitlines()[diag.line - 1]
    assert line.startswith("flow:") and line[diag.col - 1 : diag.end_col - 1] == "m"
    assert diag.message == "combiner `m` has no inputs of its own to combine"


def test_a_lone_combiner_without_flow_is_an_error(tmp_path: Path) -> None:
    result = analyze(tmp_path, f"name: g\nnodes:\n  m: {MEAN}\n")
    assert rules(result) == ["combiner-without-input"]
    assert (result.diagnostics[0].line, result.diagnostics[0].col) == (3, 3)


def test_combiners_may_consume_a_combiners_or_routers_result(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        f"name: g\nnodes:\n{nodes_yaml(a=SK, b=SK, k=MEAN, post=PY, k2=MEAN)}"
        'flow: "[a, b] -> k -> post -> k2"\n',
    )
    assert roles(result) == [
        ("k2", "COMBINER", ["post"]),
        ("post", "OUTPUT_TRANSFORMER", ["k"]),
        ("k", "COMBINER", ["a", "b"]),
        ("a", "MODEL", []),
        ("b", "MODEL", []),
    ]
    assert_same_answers(result)
