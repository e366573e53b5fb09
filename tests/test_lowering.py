"""Data flow -> Seldon tree: the shapes Seldon's executor can run, and the ones it cannot."""

from __future__ import annotations

from pathlib import Path

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
