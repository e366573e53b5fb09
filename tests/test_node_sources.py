"""Node sources, one class per kind: what parse builds from each source key, what the
derived views of NodeSpec answer for each kind, and that every place branching on the kind
is an exhaustive `match` that mypy checks (a kind added to NodeSource is named everywhere)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from seldon_graphs import parse
from seldon_graphs.spec import (
    SOURCE_KEYS,
    BuiltinSource,
    ImageSource,
    NodeSource,
    NodeSpec,
    NoSource,
    Pos,
    PythonRef,
    PythonSource,
    ServerSource,
    StockSource,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "seldon_graphs"
# A value each source key accepts; a new kind needs one here (and a case in parse._source).
VALID = {
    "python": "m.py:Model",
    "stock": "identity",
    "server": "sklearn",
    "image": "ghcr.io/t/m:1",
    "builtin": "random-abtest",
}


def _node(body: str) -> NodeSpec:
    """Node `a` of a one-node graph whose node mapping is `body` (flow style, line 3)."""
    text = f"name: g\nnodes:\n  a: {body}\nflow: a\n"
    spec, _ = parse.parse(text, ROOT / "g.yaml", "g.yaml", ROOT)
    assert spec is not None
    return spec.node("a")


def _at(body: str, value: str) -> Pos:
    """Where `value` is written in `_node(body)`'s line."""
    col = len("  a: ") + body.index(value) + 1
    return Pos(3, col, col + len(value))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{stock: mean-combiner}", StockSource("mean-combiner")),
        ("{stock: no-such}", StockSource("no-such")),  # unknown: kept as written
        ("{stock: 3}", StockSource(None)),
        ("{server: sklearn}", ServerSource("SKLEARN_SERVER")),
        ("{server: skleran}", ServerSource(None)),
        (
            "{server: xgboost, image: ghcr.io/t/x:1, server_image: generated}",
            ServerSource("XGBOOST_SERVER", "ghcr.io/t/x:1", "generated"),
        ),
        (
            "{server: sklearn, server_image: prepackaged}",
            ServerSource("SKLEARN_SERVER", None, "prepackaged"),
        ),
        ("{image: ghcr.io/t/m:1}", ImageSource("ghcr.io/t/m:1")),
        ("{image: 5}", ImageSource(None)),
        ("{builtin: random-abtest}", BuiltinSource("RANDOM_ABTEST")),
        ("{builtin: average-combiner}", BuiltinSource("AVERAGE_COMBINER")),
        ("{builtin: nope}", BuiltinSource(None)),
        ("{python: m.py}", PythonSource(None)),  # no `:Class`
        ("{replicas: 2}", NoSource()),
        ("{pyhton: m.py:Model}", NoSource()),  # misspelt key
        # Several keys (reported as many-sources): the first in SOURCE_KEYS order wins, and
        # the other kinds' values go nowhere.
        ("{builtin: average-combiner, server: skleran}", ServerSource(None)),
        ("{image: ghcr.io/t/m:1, stock: identity}", StockSource("identity")),
        ("{builtin: random-abtest, image: ghcr.io/t/m:1}", ImageSource("ghcr.io/t/m:1")),
    ],
)
def test_parse_builds_the_class_of_the_first_source_key(body: str, expected: NodeSource) -> None:
    assert _node(body).source == expected


@pytest.mark.parametrize(
    "body", ["{python: pkg/m.py:Model}", "{stock: identity, python: pkg/m.py:Model}"]
)
def test_a_python_source_keeps_the_path_class_and_position(body: str) -> None:
    ref = PythonRef("pkg/m.py", "Model", _at(body, "pkg/m.py:Model"))
    assert _node(body).source == PythonSource(ref)


def test_source_keys_are_the_union_in_order() -> None:
    assert SOURCE_KEYS == ("python", "stock", "server", "image", "builtin")


@pytest.mark.parametrize("kind", [k for k in get_args(NodeSource) if k is not NoSource])
def test_parse_builds_every_kind_of_the_union_from_its_key(kind: type) -> None:
    assert type(_node(f"{{{kind.key}: {VALID[kind.key]}}}").source) is kind  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("source", "views"),
    [
        # (implementation, image, server, stock component, has_container, wrapped)
        (PythonSource(PythonRef("m.py", "M")), (None, None, False, None, True, True)),
        (StockSource("identity"), (None, None, False, "identity", True, True)),
        (StockSource("no-such"), (None, None, False, None, True, True)),
        (
            ServerSource("SKLEARN_SERVER", "ghcr.io/t/s:1"),
            ("SKLEARN_SERVER", "ghcr.io/t/s:1", True, None, True, False),
        ),
        (ServerSource(None), (None, None, True, None, True, False)),
        (ImageSource("ghcr.io/t/m:1"), (None, "ghcr.io/t/m:1", False, None, True, False)),
        (BuiltinSource("RANDOM_ABTEST"), ("RANDOM_ABTEST", None, False, None, False, False)),
        (NoSource(), (None, None, False, None, True, False)),
    ],
)
def test_derived_views_of_each_kind(source: NodeSource, views: tuple[object, ...]) -> None:
    node = NodeSpec(name="a", pos=Pos(1, 1), source=source)
    stock = node.stock_component
    assert (
        node.implementation,
        node.image,
        node.server is source,
        stock.name if stock else None,
        node.has_container,
        node.wrapped,
    ) == views


# --- exhaustiveness -----------------------------------------------------------------------


def _is_source(subject: ast.expr) -> bool:
    name = subject.attr if isinstance(subject, ast.Attribute) else getattr(subject, "id", None)
    return name == "source"


def _source_matches(package: Path) -> dict[tuple[str, int], ast.Match]:
    """Every `match ...source:` in the package, keyed by (file, line of its last case's body)."""
    found: dict[tuple[str, int], ast.Match] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Match) and _is_source(node.subject):
                last = node.cases[-1].body[0]
                found[(str(path.relative_to(package.parent)), last.lineno)] = node
    return found


def test_every_match_on_a_source_ends_in_assert_never() -> None:
    matches = _source_matches(PACKAGE)
    assert len(matches) >= 15
    for where, match in matches.items():
        last = match.cases[-1]
        wildcard = isinstance(last.pattern, ast.MatchAs) and last.pattern.pattern is None
        call = last.body[0].value if isinstance(last.body[0], ast.Expr) else None
        assert wildcard and last.guard is None, where
        assert isinstance(call, ast.Call) and ast.unparse(call.func) == "assert_never", where
        assert [ast.dump(a) for a in call.args] == [ast.dump(match.subject)], where


def test_no_module_tests_a_kind_with_isinstance() -> None:
    """A kind is told apart by `match` only: an isinstance test is a place mypy cannot name."""
    kinds = {k.__name__ for k in get_args(NodeSource)}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "isinstance":
                named = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if named & kinds:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


_ADDED_KIND = """
@dataclass(frozen=True)
class FakeSource:
    key: ClassVar[str] = "fake"


NodeSource = FakeSource | """


@pytest.mark.slow
def test_mypy_names_every_match_when_a_kind_is_added(tmp_path: Path) -> None:
    """A copy of the package with one more kind in NodeSource: mypy --strict reports exactly
    the `assert_never` of every match on a source, and nothing else."""
    for part in ("seldon_graphs", "wrappers"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    spec = tmp_path / "seldon_graphs" / "spec.py"
    text = spec.read_text(encoding="utf-8")
    assert text.count("\nNodeSource = ") == 1
    spec.write_text(text.replace("\nNodeSource = ", _ADDED_KIND, 1), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    errors = re.findall(r"^(\S+\.py):(\d+): error: (.*)$", run.stdout, re.MULTILINE)
    unhandled = 'Argument 1 to "assert_never" has incompatible type "FakeSource"; expected "Never"'
    assert run.returncode == 1, run.stdout + run.stderr
    assert {message for _, _, message in errors} == {f"{unhandled}  [arg-type]"}
    named = {(file, int(line)) for file, line, _ in errors}
    assert named == set(_source_matches(tmp_path / "seldon_graphs"))
