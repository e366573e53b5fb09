"""The page's routes and files over real HTTP: what `/`, `/page/*` and `/openapi.json`
answer, the picture with and without Graphviz, and the description matching the routes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from seldon_graphs.runtime.page import CSP, picture_svg

from .conftest import start
from .graph import NODES, load

OPENAPI = Path(__file__).resolve().parents[2] / "seldon_graphs" / "runtime" / "openapi.json"
SVG = "{http://www.w3.org/2000/svg}"


def _node_ids(svg: bytes) -> set[str]:
    ids = {g.get("id", "") for g in ET.fromstring(svg).iter(f"{SVG}g")}
    return {i.removeprefix("node-") for i in ids if i.startswith("node-")}


@pytest.mark.parametrize("prefix", ["", "/seldon/demo/pagedemo"])
def test_the_page_and_its_files(demo_url: str, prefix: str) -> None:
    page = requests.get(f"{demo_url}{prefix}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Content-Security-Policy"] == CSP
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert '<script src="page/page.js" defer></script>' in page.text
    kinds = {
        "page.js": "text/javascript; charset=utf-8",
        "page.css": "text/css; charset=utf-8",
        "graph.svg": "image/svg+xml",
        "graph.json": "application/json",
    }
    for name, kind in kinds.items():
        r = requests.get(f"{demo_url}{prefix}/page/{name}", timeout=10)
        assert (r.status_code, r.headers["Content-Type"]) == (200, kind), name


def test_the_prefix_without_its_slash_leads_to_the_page(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/seldon/demo/pagedemo", allow_redirects=False, timeout=10)
    assert (r.status_code, r.headers["Location"]) == (308, "/seldon/demo/pagedemo/")
    assert requests.get(f"{demo_url}/seldon/demo/pagedemo", timeout=10).url.endswith("pagedemo/")


def test_no_file_outside_the_page(demo_url: str) -> None:
    for path in ("/page/index.html", "/page/nope.js", "/page/..%2Fopenapi.json", "/page/"):
        r = requests.get(f"{demo_url}{path}", timeout=10)
        assert (r.status_code, r.text) == (404, "404 page not found\n"), path
    r = requests.post(f"{demo_url}/", timeout=10)
    assert (r.status_code, r.text) == (405, "")


def test_graph_json_describes_the_tree(demo_url: str) -> None:
    data = requests.get(f"{demo_url}/page/graph.json", timeout=10).json()
    assert (data["name"], data["namespace"]) == ("pagedemo", "demo")
    assert [(n["name"], n["role"], n["children"]) for n in data["nodes"]] == [
        ("scale", "TRANSFORMER", ["pick"]),
        ("pick", "ROUTER", ["left", "right"]),
        ("left", "MODEL", []),
        ("right", "MODEL", []),
    ]
    assert data["nodes"][0]["what"] == "models.py:Scale"


def test_the_picture_shows_every_node(demo_url: str) -> None:
    svg = requests.get(f"{demo_url}/page/graph.svg", timeout=10).content
    assert _node_ids(svg) == set(NODES)


def test_without_graphviz_the_picture_is_drawn_here(
    demo_graph: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`
    graph = load(demo_graph)
    svg = picture_svg(graph.spec, graph.tree)
    assert not svg.startswith(b"<?xml")  # not Graphviz's
    assert _node_ids(svg) == set(NODES)
    titles = [t.text for t in ET.fromstring(svg).iter(f"{SVG}title")]
    assert "n_pick->n_right" in titles  # the edge the page marks for meta.routing


def test_openapi_is_served_as_kept_in_the_repo(demo_url: str) -> None:
    r = requests.get(f"{demo_url}/openapi.json", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.content == OPENAPI.read_bytes()
    assert r.json()["openapi"] == "3.1.0"


def test_without_a_page_only_the_description_is_added(demo_graph: Path) -> None:
    thread = start(demo_graph, page=False)
    try:
        url = thread.server.url
        assert requests.get(f"{url}/", timeout=10).status_code == 404
        assert requests.get(f"{url}/page/page.js", timeout=10).status_code == 404
        assert requests.get(f"{url}/openapi.json", timeout=10).status_code == 200
    finally:
        thread.stop()


def _spec_operations() -> set[tuple[str, str]]:
    spec = json.loads(OPENAPI.read_text())
    methods = {"get", "post", "options"}
    return {(m.upper(), p) for p, item in spec["paths"].items() for m in item if m in methods}


def test_every_described_operation_is_routed(demo_url: str) -> None:
    """Each path and method in openapi.json reaches a handler (never gorilla's 404/405)."""
    for method, path in sorted(_spec_operations()):
        url = demo_url + path.replace("{node}", "left")
        r = requests.request(method, url, json={"data": {"ndarray": [[1]]}}, timeout=10)
        assert r.status_code not in (404, 405), (method, path, r.status_code, r.text)


def test_every_route_is_described(demo_url: str, demo_graph: Path) -> None:
    """The other way round: the server's routes (outside the ingress prefix and the page's
    files) are all in the description, method by method."""
    from seldon_graphs.runtime.inprocess import InProcessBackend
    from seldon_graphs.runtime.page import Page
    from seldon_graphs.runtime.server import GraphServer, ServerOptions

    graph = load(demo_graph)
    server = GraphServer(
        InProcessBackend(graph.spec, graph.tree), ServerOptions(), Page.of(graph.spec, graph.tree)
    )
    described = _spec_operations()
    for route in server.routes():
        path = route.path
        if path.startswith("/seldon/") or path.startswith("/page/"):
            continue
        methods = ("GET",) if route.method == "*" else (route.method,)  # `*`: GET described
        for method in methods:
            assert (method, path) in described, (method, path)
