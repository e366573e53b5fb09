"""The page `seldon-graphs run` serves at `/`: static HTML, JavaScript and CSS shipped as
package data (no CDN), the graph's picture and a description of the graph for the script.

Everything is computed once, when the server starts; the page's figures come from the
executor's own `/prometheus` and its answers from the API itself, so serving the page adds
nothing to the API path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from ...picture import PictureError, describe, flow_picture, plain_svg, render
from ...spec import GraphSpec
from ...tree import TreeNode
from ..messages import EXAMPLE  # what `run` suggests; the form's last resort

INDEX = "index.html"  # at / only: its relative links would not resolve from /page/
STATIC = {
    "page.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
}
# The page needs nothing from anywhere else; the browser is told so.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


def _static(name: str) -> bytes:
    return resources.files(__package__).joinpath(name).read_bytes()


def picture_svg(spec: GraphSpec, tree: TreeNode) -> bytes:
    """Graphviz's drawing of the data flow, or a plain one drawn here when `dot` is absent."""
    try:
        return render(flow_picture(spec, tree, "dot"), "svg")
    except PictureError:
        return plain_svg(spec, tree).encode()


def graph_json(spec: GraphSpec, tree: TreeNode) -> bytes:
    """What the script needs: nodes in Seldon's pre-order with role, what runs them and their
    children (a router's `meta.routing` indexes those), and the request to start from."""
    by_name = {n.name: n for n in spec.nodes}
    nodes = [
        {
            "name": t.name,
            "role": t.role.value,
            "what": describe(by_name.get(t.name), t),
            "children": [c.name for c in t.children],
        }
        for t in tree.walk()
    ]
    data = {"name": spec.name, "namespace": spec.namespace, "nodes": nodes, "example": EXAMPLE}
    return json.dumps(data).encode()


@dataclass(frozen=True)
class Page:
    """The page (at /) and its files by name (under /page/)."""

    index: Asset
    assets: dict[str, Asset]

    @classmethod
    def of(cls, spec: GraphSpec, tree: TreeNode) -> Page:
        assets = {name: Asset(_static(name), kind) for name, kind in STATIC.items()}
        assets["graph.svg"] = Asset(picture_svg(spec, tree), "image/svg+xml")
        assets["graph.json"] = Asset(graph_json(spec, tree), "application/json")
        return cls(Asset(_static(INDEX), "text/html; charset=utf-8"), assets)


def openapi() -> bytes:
    """The executor API's OpenAPI description (seldon_graphs/runtime/openapi.json)."""
    return resources.files("seldon_graphs.runtime").joinpath("openapi.json").read_bytes()


__all__ = ["CSP", "Asset", "Page", "openapi"]
