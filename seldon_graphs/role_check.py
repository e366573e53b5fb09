"""Does each python node's class define a method for the role lowering gave it?

The wrapper adapter (wrapper/adapter.py) maps a role onto the class's own method or its
`predict`; a class with neither fails only when its node starts, in the cluster or in `run`.
The class is read (never imported), so the check speaks only when every method is in sight:
a class whose bases are all defined in the same file (or `object`), with no decorator and no
metaclass or `__getattr__` that could supply methods at run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import assert_never

from .check import parse_module
from .diagnostics import Reporter
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
from .wrapper.adapter import _SOURCES, ROLE_METHODS

# The adapter's own table, read rather than re-exported: adapter.py is copied into every
# image, so its bytes are part of every image tag, and a new function there would change them.


def check_role_methods(spec: GraphSpec, tree: TreeNode, r: Reporter) -> None:
    for t in tree.walk():
        ref = _user_class(spec.node(t.name))
        if ref is None or t.role not in _ROLES:
            continue
        methods = _class_methods(spec, ref)
        if methods is None:
            continue
        wanted = serving_methods(t.role)
        if methods.isdisjoint(wanted):
            role = t.role.lower().replace("_", " ")
            article = "an" if role[0] in "aeiou" else "a"
            r.error(
                ref.pos,
                f"class `{ref.class_name}` cannot serve `{t.name}` as {article} {role}: "
                f"it defines none of {', '.join(wanted)}",
                "role-method",
                f"define `{wanted[0]}` (docs/images.md, the wrapper's role mapping), "
                "or give the node the `kind` its class serves",
            )


def serving_methods(role: Role) -> tuple[str, ...]:
    """The method names, any one of which lets a class serve `role`, in order of preference."""
    return tuple(
        name for source in _SOURCES[ROLE_METHODS[role]] for name in (source, f"{source}_raw")
    )


def _user_class(node: NodeSpec) -> PythonRef | None:
    """The user's class a node runs: stock classes are ours, other kinds run none."""
    match node.source:
        case PythonSource(ref=ref):
            return ref
        case StockSource() | ServerSource() | ImageSource() | BuiltinSource() | NoSource():
            return None
        case _:
            assert_never(node.source)


_ROLES = (Role.MODEL, Role.TRANSFORMER, Role.OUTPUT_TRANSFORMER, Role.ROUTER, Role.COMBINER)


def _class_methods(spec: GraphSpec, ref: PythonRef) -> frozenset[str] | None:
    """Every method name the class has, or None when some could come from elsewhere."""
    path = spec.root / ref.path
    try:  # check.py reports an unreadable or broken file; nothing more follows from it here
        tree = parse_module(path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
    names: set[str] = set()
    for cls in _lineage(ref.class_name, classes, set()):
        defined = None if cls is None else _defined(cls)
        if defined is None:
            return None
        names |= defined
    return None if "__getattr__" in names else frozenset(names)


def _lineage(
    name: str, classes: dict[str, ast.ClassDef], seen: set[str]
) -> Iterator[ast.ClassDef | None]:
    """The class and its bases; None where one is out of sight."""
    cls = classes.get(name)
    if cls is None or name in seen or cls.decorator_list or cls.keywords:
        yield None
        return
    seen.add(name)
    yield cls
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id == "object":
            continue
        if not isinstance(base, ast.Name):
            yield None
            return
        yield from _lineage(base.id, classes, seen)


def _defined(cls: ast.ClassDef) -> set[str] | None:
    """The names the class body binds; None when it binds some conditionally."""
    names: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names.add(stmt.target.id)
        elif isinstance(stmt, ast.If | ast.Try | ast.With | ast.For | ast.While | ast.Match):
            return None
    return names
