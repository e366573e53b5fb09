"""Rule `role-method`: a python node's class must define a method for its lowered role, and
only a class whose every method is in sight is judged (the file is read, never imported)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import analyze, project

ROUTER_GRAPH = """\
name: g
nodes:
  r: {python: roles.py:R, kind: router}
  a: {python: models.py:Model}
  b: {python: models.py:Model}
flow: r -> [a, b]
"""


def _role_errors(tmp_path: Path, module: str, graph: str = ROUTER_GRAPH) -> list[str]:
    project(tmp_path)
    (tmp_path / "roles.py").write_text(textwrap.dedent(module))
    result = analyze(tmp_path, graph)
    return [f"{d.line}:{d.col} {d.message}" for d in result.diagnostics if d.rule == "role-method"]


def test_a_router_class_without_route_or_predict_is_an_error_at_its_python_value(
    tmp_path: Path,
) -> None:
    errors = _role_errors(
        tmp_path, "class R:\n    def transform_input(self, X, names=None):\n        return X\n"
    )
    assert errors == [
        "3:15 class `R` cannot serve `r` as a router: it defines none of "
        "route, route_raw, predict, predict_raw"
    ]


@pytest.mark.parametrize(
    "module",
    [
        "class R:\n    def route(self, X, names):\n        return 0\n",
        "class R:\n    def route_raw(self, msg):\n        return msg\n",
        "class R:\n    def predict(self, X, names):\n        return X\n",
        "class R:\n    async def predict(self, X, names):\n        return X\n",
        "def f(self, X, names):\n    return 0\nclass R:\n    route = f\n",
        "class R:\n    predict: object = staticmethod(lambda X, names: X)\n",
        "class B:\n    def route(self, X, names):\n        return 0\nclass R(B):\n    pass\n",
        "class B(object):\n    def predict(self, X, n):\n        return X\n"
        "class R(B, object):\n    x = 1\n",
    ],
    ids=["route", "route_raw", "predict", "async", "assigned", "annotated", "base", "bases"],
)
def test_a_class_with_a_serving_method_in_sight_passes(tmp_path: Path, module: str) -> None:
    assert _role_errors(tmp_path, module) == []


@pytest.mark.parametrize(
    "module",
    [
        "from json import JSONDecoder as B\nclass R(B):\n    pass\n",
        "import abc\nclass R(abc.ABC):\n    pass\n",
        "def deco(c):\n    return c\n@deco\nclass R:\n    pass\n",
        "class M(type):\n    pass\nclass R(metaclass=M):\n    pass\n",
        "class R:\n    def __getattr__(self, name):\n        return print\n",
        "import os\nclass R:\n    if os.environ.get('X'):\n        def route(self, X, n):\n"
        "            return 0\n",
        "class R:\n    try:\n        from m import route\n    except ImportError:\n        pass\n",
        "class B(Missing):\n    pass\nclass R(B):\n    pass\n",
    ],
    ids=["imported-base", "dotted-base", "decorator", "metaclass", "getattr", "if", "try", "deep"],
)
def test_a_class_with_methods_out_of_sight_is_not_judged(tmp_path: Path, module: str) -> None:
    assert _role_errors(tmp_path, module) == []


def test_a_cycle_of_bases_does_not_loop(tmp_path: Path) -> None:
    # Python itself refuses this at import; the reader must still finish.
    assert _role_errors(tmp_path, "class R(R):\n    pass\n") == []


FLOWS = {"combiner": "[a, b] -> k", "output_transformer": "a -> k"}


@pytest.mark.parametrize(
    ("kind", "role", "first"),
    [
        ("model", "model", "predict"),
        ("transformer", "transformer", "transform_input"),
        ("output_transformer", "output transformer", "transform_output"),
        ("combiner", "combiner", "aggregate"),
    ],
)
def test_every_role_names_its_own_methods_first(
    tmp_path: Path, kind: str, role: str, first: str
) -> None:
    graph = f"""\
    name: g
    nodes:
      k: {{python: roles.py:R, kind: {kind}}}
      a: {{python: models.py:Model}}
      b: {{python: models.py:Model}}
    flow: "{FLOWS.get(kind, "k -> a")}"
    """
    [error] = _role_errors(tmp_path, "class R:\n    def tags(self):\n        return {}\n", graph)
    article = "an" if role[0] in "aeiou" else "a"
    assert f"cannot serve `k` as {article} {role}: it defines none of {first}, {first}_raw" in error


def test_a_broken_or_missing_file_is_left_to_the_file_checks(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "roles.py").write_text("class R(:\n")
    result = analyze(tmp_path, ROUTER_GRAPH)
    assert [d.rule for d in result.diagnostics] == ["bad-module"]


def test_predict_names_the_node_when_the_class_cannot_serve_its_role(tmp_path: Path) -> None:
    """The check cannot see through an imported base; the node's start must still report it
    as a problem (exit 1, the node named), never as an internal error with a traceback."""
    project(tmp_path)
    (tmp_path / "base.py").write_text("class Base:\n    def tags(self):\n        return {}\n")
    (tmp_path / "roles.py").write_text("from base import Base\n\nclass R(Base):\n    pass\n")
    (tmp_path / "graph.yaml").write_text(ROUTER_GRAPH)
    done = subprocess.run(
        [sys.executable, "-m", "seldon_graphs.cli", "predict", "graph.yaml", "--data", "[[1]]"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        "node 'r': class R cannot serve as ROUTER: it defines none of "
        "route or route_raw or predict or predict_raw"
    ) in done.stderr
