"""Pictures of a graph: the data flow as written, or the lowered Seldon tree, as Mermaid or DOT
text, or rendered to SVG/PNG by Graphviz's `dot`.

`dot` is run as a program rather than through PyPI's `graphviz` binding: the binding is itself
a wrapper that spawns the same binary, so it would add a dependency and no capability.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import assert_never

from .errors import SeldonGraphsError
from .spec import (
    BuiltinSource,
    GraphSpec,
    ImageSource,
    NodeSpec,
    NoSource,
    PythonRef,
    PythonSource,
    Role,
    ServerSource,
    StockSource,
)
from .tree import TreeNode

IMAGE_FORMATS = ("svg", "png")
TEXT_FORMATS = ("mermaid", "dot")
INSTALL_HINT = (
    "Graphviz's `dot` program is not installed; install it with `apt-get install graphviz` "
    "(Debian/Ubuntu), `dnf install graphviz` (Fedora) or `brew install graphviz` (macOS), "
    "or use --format mermaid|dot for text"
)
RENDER_SECONDS = 60.0

_MERMAID_SHAPE = {
    Role.ROUTER: ("{", "}"),
    Role.COMBINER: ("((", "))"),
    Role.TRANSFORMER: ("[/", "/]"),
    Role.OUTPUT_TRANSFORMER: ("[\\", "\\]"),
    Role.UNKNOWN_TYPE: ("{", "}"),
}
_DOT_SHAPE = {
    Role.ROUTER: "diamond",
    Role.COMBINER: "circle",
    Role.TRANSFORMER: "parallelogram",
    Role.OUTPUT_TRANSFORMER: "invtrapezium",
    Role.UNKNOWN_TYPE: "diamond",
}


class PictureError(SeldonGraphsError):
    """A picture could not be rendered (no `dot`, or `dot` failed)."""


def _roles(tree: TreeNode) -> dict[str, TreeNode]:
    return {t.name: t for t in tree.walk()}


def describe(node: NodeSpec | None, t: TreeNode) -> str:
    """What runs a node: its class, server, stock wrapper or image (empty when none)."""
    source = NoSource() if node is None else node.source
    match source:
        case NoSource():
            return "" if t.implementation == "UNKNOWN_IMPLEMENTATION" else t.implementation
        case PythonSource(ref=PythonRef(path=path, class_name=class_name)):
            return f"{path}:{class_name}"
        case StockSource(name=str(name)):
            return f"stock {name}"
        case ServerSource(implementation=impl, image=image):
            return " ".join(p for p in (impl, image) if p)
        case ImageSource(image=image):
            return image or ""
        case BuiltinSource(implementation=impl):
            return impl or ""
        case PythonSource() | StockSource():  # written with the wrong shape: already reported
            return ""
        case _:
            assert_never(source)


def _label(t: TreeNode, what: str) -> str:
    impl = f"<br/>{what}" if what else ""
    return f"{t.name}<br/><i>{t.role.value.lower()}</i>{impl}"


def _ident(name: str) -> str:
    return "n_" + name.replace("-", "_").replace(".", "_")


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot(
    nodes: list[TreeNode], edges: list[tuple[str, str]], what: dict[str, str], title: str
) -> str:
    # ordering=out keeps each node's children in the flow's order; the ids name the nodes in
    # the SVG so the runtime's page can highlight a request's path.
    lines = [
        f'digraph "{_quote(title)}" {{',
        "  rankdir=LR;",
        "  graph [ordering=out];",
        "  node [fontname=Helvetica];",
    ]
    for t in nodes:
        shape = _DOT_SHAPE.get(t.role, "box")
        label = "\\n".join(_quote(s) for s in (t.name, t.role.value.lower(), what[t.name]) if s)
        lines.append(f'  {_ident(t.name)} [label="{label}", shape={shape}, id="node-{t.name}"];')
    lines += [f"  {_ident(a)} -> {_ident(b)};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines)


def _render(nodes: list[TreeNode], edges: list[tuple[str, str]], fmt: str, spec: GraphSpec) -> str:
    by_name = {n.name: n for n in spec.nodes}
    what = {t.name: describe(by_name.get(t.name), t) for t in nodes}
    if fmt == "dot":
        return _dot(nodes, edges, what, spec.name)
    lines = ["flowchart LR"]
    for t in nodes:
        open_, close = _MERMAID_SHAPE.get(t.role, ("[", "]"))
        lines.append(f'  {_ident(t.name)}{open_}"{_label(t, what[t.name])}"{close}')
    lines += [f"  {_ident(a)} --> {_ident(b)}" for a, b in edges]
    return "\n".join(lines)


def flow_picture(spec: GraphSpec, tree: TreeNode, fmt: str) -> str:
    """The data flow as the user wrote it, each node drawn as the role it was given."""
    roles = _roles(tree)
    nodes = [roles[n.name] for n in spec.nodes if n.name in roles]
    first: dict[tuple[str, str], int] = {}
    for e in spec.edges:  # the flow's own order: `-> [xgb, lr]` draws xgb above lr
        first.setdefault((e.src, e.dst), e.order)
    edges = sorted(first, key=first.__getitem__)
    return _render(nodes, edges, fmt, spec)


def tree_picture(spec: GraphSpec, tree: TreeNode, fmt: str) -> str:
    """The Seldon tree: parent -> child as the executor walks it."""
    nodes = list(tree.walk())
    edges = [(t.name, c.name) for t in nodes for c in t.children]
    return _render(nodes, edges, fmt, spec)


def dot_program() -> str:
    """The path of Graphviz's `dot`, or PictureError with an install hint."""
    found = shutil.which("dot")
    if found is None:
        raise PictureError(INSTALL_HINT)
    return found


def render(dot_text: str, fmt: str) -> bytes:
    """DOT text rendered by Graphviz to `fmt` (svg or png)."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"cannot render {fmt!r}: one of {', '.join(IMAGE_FORMATS)}")
    import subprocess  # here: every compiler command imports this module for its formats

    program = dot_program()
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=dot_text.encode(),
            capture_output=True,
            timeout=RENDER_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PictureError(f"Graphviz's dot did not finish within {RENDER_SECONDS:g}s") from None
    except OSError as exc:
        raise PictureError(f"cannot run {program}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise PictureError(f"Graphviz's dot failed: {why}")
    return done.stdout


def save(data: bytes, dest: Path) -> None:
    """Write `data` to `dest` whole or not at all (a temporary file beside it, then rename)."""
    import tempfile  # here: the CLI imports this module for its formats (tempfile: 2 ms)

    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# A picture without Graphviz (the run page on a machine without it): nodes in columns by their
# distance from the flow's start, straight arrows, the same node ids as dot's SVG.
_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _MARGIN = 190, 58, 60, 24, 12


def _columns(spec: GraphSpec, names: list[str]) -> dict[str, int]:
    column = dict.fromkeys(names, 0)
    for _ in names:  # longest path by relaxation: the flow is a small DAG
        for e in spec.edges:
            if e.src in column and e.dst in column:
                column[e.dst] = max(column[e.dst], column[e.src] + 1)
    return column


def _place(spec: GraphSpec, names: list[str]) -> dict[str, tuple[int, int]]:
    """Top-left corner of each node's box."""
    rows: dict[int, int] = {}
    where: dict[str, tuple[int, int]] = {}
    for name, col in _columns(spec, names).items():
        row = rows.get(col, 0)
        rows[col] = row + 1
        where[name] = (_MARGIN + col * (_BOX_W + _GAP_X), _MARGIN + row * (_BOX_H + _GAP_Y))
    return where


def _svg_node(t: TreeNode, what: str, x: int, y: int) -> str:
    from html import escape  # here: html loads its entity table (1.4 ms of a start)

    lines = [t.name, t.role.value.lower(), what][: 3 if what else 2]
    lines = [line if len(line) <= 28 else "…" + line[-27:] for line in lines]  # fit the box
    texts = "".join(
        f'<text x="{x + _BOX_W // 2}" y="{y + 17 + 15 * i}" text-anchor="middle">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    return (
        f'<g id="node-{escape(t.name)}" class="node"><title>{_ident(t.name)}</title>'
        f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="none" '
        f'stroke="black"/>{texts}</g>'
    )


def _svg_edge(a: tuple[int, int], b: tuple[int, int], title: str) -> str:
    from html import escape  # here: html loads its entity table (1.4 ms of a start)

    x1, y1, x2, y2 = a[0] + _BOX_W, a[1] + _BOX_H // 2, b[0], b[1] + _BOX_H // 2
    return (
        f'<g class="edge"><title>{escape(title)}</title><line x1="{x1}" y1="{y1}" '
        f'x2="{x2}" y2="{y2}" stroke="black" marker-end="url(#arrow)"/></g>'
    )


def plain_svg(spec: GraphSpec, tree: TreeNode) -> str:
    """The data flow as SVG drawn here: what the run page shows when `dot` is missing."""
    roles = _roles(tree)
    nodes = [roles[n.name] for n in spec.nodes if n.name in roles]
    by_name = {n.name: n for n in spec.nodes}
    where = _place(spec, [t.name for t in nodes])
    width = max(x for x, _ in where.values()) + _BOX_W + _MARGIN
    height = max(y for _, y in where.values()) + _BOX_H + _MARGIN
    edges = [
        _svg_edge(where[e.src], where[e.dst], f"{_ident(e.src)}->{_ident(e.dst)}")
        for e in spec.edges
        if e.src in where and e.dst in where
    ]
    boxes = [_svg_node(t, describe(by_name.get(t.name), t), *where[t.name]) for t in nodes]
    arrow = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica,sans-serif" font-size="13">'
        f"{arrow}{''.join(edges)}{''.join(boxes)}</svg>\n"
    )
