"""Every file an image's command starts is in its build context.

A generated server image once named `/app/seldon_graphs_launch.py` in its CMD without the
file in its context: it built and smoke-tested nowhere but Docker, where it exited at once.
This is the check that needs no engine, over every kind of image the example graphs build.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seldon_graphs import api
from seldon_graphs.deployment import is_deployment_file
from seldon_graphs.wrapper.context import ContextPlan, plan_graph

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = [g for g in sorted((ROOT / "graphs").glob("*.yaml")) if not is_deployment_file(g)]
PLANS = [
    (f"{graph.stem}/{plan.node}", plan)
    for graph in GRAPHS
    for plan in plan_graph(api.load(graph).spec, api.load(graph).tree)
]


def _command(dockerfile: str) -> list[str]:
    (line,) = [ln for ln in dockerfile.splitlines() if ln.startswith("CMD ")]
    return [str(part) for part in json.loads(line.removeprefix("CMD "))]


def test_the_examples_build_wrapper_and_generated_server_images() -> None:
    nodes = {name for name, _ in PLANS}
    assert {"income/features", "income/lr", "iris/classifier"} <= nodes


@pytest.mark.parametrize(("name", "plan"), PLANS, ids=[name for name, _ in PLANS])
def test_every_file_the_command_names_is_in_the_context(name: str, plan: ContextPlan) -> None:
    named = [part for part in _command(plan.dockerfile) if part.startswith("/app/")]
    assert named, name
    assert [p for p in named if p.removeprefix("/app/") not in plan.files] == []
