"""`seldon-graphs graph --format svg|png`: pictures rendered by Graphviz's real `dot`, the
install hint when it is missing, and files written whole or not at all."""

from __future__ import annotations

import html
import os
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from seldon_graphs import api, picture
from seldon_graphs.cli import main
from seldon_graphs.deployment import is_deployment_file

from .helpers import analyze, require_tool

ROOT = Path(__file__).resolve().parent.parent
# `graph` draws one graph: not the deployment files beside them.
GRAPHS = sorted(g for g in (ROOT / "graphs").glob("*.yaml") if not is_deployment_file(g))
INCOME = str(ROOT / "graphs" / "income.yaml")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _names(path: Path) -> list[str]:
    result = api.analyze(str(path))
    assert result.tree is not None, result.render()
    return [t.name for t in result.tree.walk()]


def _svg_titles(svg: str) -> set[str]:
    """The node ids the picture carries (`id="node-NAME"` on each node's group)."""
    return set(re.findall(r'<g id="node-([^"]+)" class="node"', html.unescape(svg)))


@pytest.mark.parametrize("tree", [False, True], ids=["flow", "tree"])
@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_svg_draws_every_node(graph: Path, tree: bool, tmp_path: Path) -> None:
    require_tool("dot")
    out = tmp_path / "g.svg"
    argv = ["graph", str(graph), "--format", "svg", "-o", str(out)] + (["--tree"] if tree else [])
    assert main(argv) == 0
    svg = out.read_text()
    assert svg.rstrip().endswith("</svg>")
    assert _svg_titles(svg) == set(_names(graph))
    for name in _names(graph):
        assert f">{name}</text>" in html.unescape(svg)


def test_png_is_a_real_picture(tmp_path: Path) -> None:
    require_tool("dot")
    out = tmp_path / "income.png"
    assert main(["graph", INCOME, "--tree", "--format", "png", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])  # IHDR, right after the signature
    assert 400 <= width <= 4000 and 100 <= height <= 2000, (width, height)
    assert 5_000 <= len(data) <= 2_000_000
    assert os.listdir(tmp_path) == ["income.png"]  # no temporary file left beside it


def test_png_to_a_pipe(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    require_tool("dot")
    assert main(["graph", INCOME, "--format", "png"]) == 0
    assert capsysbinary.readouterr().out[:8] == PNG_SIGNATURE


def test_svg_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("dot")
    assert main(["graph", INCOME, "--format", "svg"]) == 0
    assert _svg_titles(capsys.readouterr().out) == set(_names(Path(INCOME)))


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_missing_dot_gives_the_install_hint(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` anywhere
    out = tmp_path / f"g.{fmt}"
    assert main(["graph", INCOME, "--format", fmt, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"seldon-graphs: error: {picture.INSTALL_HINT}\n"
    assert "apt-get install graphviz" in err
    assert not out.exists()


def test_text_formats_need_no_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "g.dot"
    assert main(["graph", INCOME, "--format", "dot", "-o", str(out)]) == 0
    assert out.read_text().startswith('digraph "income" {')
    assert capsys.readouterr().err == f"wrote {out}\n"


def test_unwritable_output_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool("dot")
    out = tmp_path / "missing-folder" / "g.svg"
    assert main(["graph", INCOME, "--format", "svg", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("seldon-graphs: error: cannot write ")
    assert "No such file or directory" in err and "Traceback" not in err


def test_an_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    require_tool("dot")
    out = tmp_path / "g.svg"
    out.write_text("old picture, much longer than nothing " * 1000)
    assert main(["graph", INCOME, "--format", "svg", "-o", str(out)]) == 0
    assert out.read_text().startswith("<?xml") and "old picture" not in out.read_text()
    assert sorted(os.listdir(tmp_path)) == ["g.svg"]


def test_a_bad_graph_draws_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("dot")
    bad = ROOT / "tests" / "bad_graphs" / "undefined-node.yaml"
    out = tmp_path / "g.svg"
    assert main(["graph", str(bad), "--format", "svg", "-o", str(out)]) == 1
    assert "undefined node `xgbb`" in capsys.readouterr().err
    assert not out.exists()


FANOUT = """
name: order
nodes:
  first: {python: models.py:Model}
  zeta: {python: models.py:Model}
  alpha: {server: sklearn, model_uri: s3://m/alpha}
  mid: {image: registry.example/mid:1.2}
  join: {stock: mean-combiner}
flow: first -> [zeta, alpha, mid] -> join
"""


def test_dot_keeps_the_flow_order_and_labels(tmp_path: Path) -> None:
    result = analyze(tmp_path, FANOUT)
    assert result.spec is not None and result.tree is not None, result.render()
    dot = picture.flow_picture(result.spec, result.tree, "dot")
    edges = re.findall(r"(n_\w+) -> (n_\w+)", dot)
    assert edges[:3] == [("n_first", "n_zeta"), ("n_first", "n_alpha"), ("n_first", "n_mid")]
    assert "graph [ordering=out];" in dot
    assert 'label="first\\ntransformer\\nmodels.py:Model", shape=parallelogram' in dot
    assert 'label="alpha\\nmodel\\nSKLEARN_SERVER", shape=box' in dot
    assert 'label="mid\\nmodel\\nregistry.example/mid:1.2", shape=box' in dot
    assert 'label="join\\ncombiner\\nstock mean-combiner", shape=circle' in dot


def test_mermaid_labels_say_what_runs_each_node(tmp_path: Path) -> None:
    result = analyze(tmp_path, FANOUT)
    assert result.spec is not None and result.tree is not None, result.render()
    mermaid = picture.tree_picture(result.spec, result.tree, "mermaid")
    assert 'n_mid["mid<br/><i>model</i><br/>registry.example/mid:1.2"]' in mermaid
    assert 'n_join(("join<br/><i>combiner</i><br/>stock mean-combiner"))' in mermaid


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_the_plain_svg_draws_every_node_and_edge(graph: Path) -> None:
    """The picture drawn without Graphviz (the run page's fallback): valid SVG, each node a
    group with Graphviz's ids, each flow edge titled as Graphviz titles it."""
    result = api.analyze(str(graph))
    assert result.spec is not None and result.tree is not None
    root = ET.fromstring(picture.plain_svg(result.spec, result.tree))
    ns = "{http://www.w3.org/2000/svg}"
    ids = {g.get("id") for g in root.iter(f"{ns}g") if g.get("class") == "node"}
    assert ids == {f"node-{name}" for name in _names(graph)}
    titles = {g.findtext(f"{ns}title") for g in root.iter(f"{ns}g") if g.get("class") == "edge"}
    idents = {e.src: e.src.replace("-", "_") for e in result.spec.edges}
    idents |= {e.dst: e.dst.replace("-", "_") for e in result.spec.edges}
    assert titles == {f"n_{idents[e.src]}->n_{idents[e.dst]}" for e in result.spec.edges}
