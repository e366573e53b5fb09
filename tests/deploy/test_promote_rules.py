"""promote's arithmetic and its command line's checks (the cluster part: tests/controlplane)."""

from __future__ import annotations

import argparse

import pytest

from seldon_graphs.cli.deploy_commands import steps
from seldon_graphs.deploy.promote import shares, with_traffic


def test_the_rest_is_shared_in_proportion() -> None:
    predictors = [
        {"name": "a", "traffic": 60},
        {"name": "b", "traffic": 30},
        {"name": "c", "traffic": 10},
        {"name": "s", "shadow": True},
    ]
    assert shares(predictors, "c", 50) == {"c": 50, "a": 33, "b": 17}
    assert shares(predictors, "c", 100) == {"c": 100, "a": 0, "b": 0}
    zero = [{"name": "a", "traffic": 0}, {"name": "b", "traffic": 0}, {"name": "c", "traffic": 100}]
    assert shares(zero, "c", 25) == {"c": 25, "a": 38, "b": 37}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("50,20", "each step must be above the one before"),
        ("10,10", "each step must be above the one before"),
        ("10,120", "each step is a percentage from 0 to 100"),
        ("-5", "each step is a percentage from 0 to 100"),
        ("ten", "is not a list like 10,50,100"),
        ("10,,50", "is not a list like 10,50,100"),
    ],
)
def test_bad_steps_are_usage_errors(text: str, why: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=why):
        steps(text)


def test_steps_are_read_in_order() -> None:
    assert steps("10,50,100") == (10, 50, 100)
    assert steps("0") == (0,)


def test_only_the_traffic_changes() -> None:
    sdep = {
        "spec": {
            "predictors": [
                {"name": "a", "traffic": 90, "replicas": 2},
                {"name": "s", "shadow": True},
            ]
        }
    }
    assert with_traffic(sdep, {"a": 100}) == {
        "spec": {
            "predictors": [
                {"name": "a", "traffic": 100, "replicas": 2},
                {"name": "s", "shadow": True},
            ]
        }
    }
    assert sdep["spec"]["predictors"][0]["traffic"] == 90
