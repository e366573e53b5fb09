"""Every finding of a node's context checks, whole (make mutation, wrapper/context): the key
`validate` points at, the message, the rule, the help and whether the node or the graph is
meant. `check_context` (what `validate` runs) and `plan_context` (what compile and build run)
give the same findings; tests elsewhere match a fragment of the message, these pin it all."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from seldon_graphs.spec import (
    NOWHERE,
    BuiltinSource,
    GraphSpec,
    ImageSource,
    NodeSource,
    NodeSpec,
    NoSource,
    PythonRef,
    PythonSource,
    Role,
    Runtime,
    ServerSource,
)
from seldon_graphs.wrapper.context import ContextError, Finding, check_context, plan_context
from wrappers.stock import CATALOG

from .conftest import graph_spec, python_node, stock_node

RUNTIME_HELP = (
    "use 1.17.x (Apache-2.0, the default 1.17.1), or 1.18.x / 1.19.x (Business Source License 1.1)"
)
OLD_PYTHON_HELP = (
    "set runtime.base_image (or --base-image) to e.g. python:3.12-slim, or use seldon-core 1.17.1"
)
DNS = "is not a DNS-1123 label (lower-case letters, digits and `-`, starting and ending with a letter or digit)"  # noqa: E501
PEP508_HELP = "one PEP 508 requirement per line, e.g. `numpy>=1.26,<2`"
NOT_PLAIN = (
    "is not a plain requirement (`name[extras] <op> version`); URLs, paths, options and shell "
    "syntax are not allowed"
)
MODEL = "class Model:\n    def predict(self, X, names):\n        return X\n"


def _findings(spec: GraphSpec, node: NodeSpec) -> tuple[Finding, ...]:
    """check_context's findings, after checking that planning fails with the same ones."""
    found = check_context(spec, node)
    if any(f.error for f in found):
        with pytest.raises(ContextError) as failed:
            plan_context(spec, node, Role.MODEL, base_id="")
        assert failed.value.findings == found
    return found


def _graph(key: str, message: str, rule: str, help: str | None = None) -> Finding:
    return Finding(message, rule, key, None, help)


def _node(key: str, message: str, rule: str, help: str | None = None) -> Finding:
    return Finding(message, rule, key, "double", help)


def _unsupported(version: str) -> Finding:
    message = f"runtime.seldon_core `{version}` is not supported"
    return _graph("runtime.seldon_core", message, "bad-runtime", RUNTIME_HELP)


BAD_REGISTRY = _graph(
    "registry",
    "registry `Bad Registry` is not an image repository prefix (host[:port]/path, lower case, "
    "no tag)",
    "bad-image",
    "write host[:port]/path in lower case, e.g. registry.example.com/ml",
)


def _older(version: str, base: str) -> Finding:
    message = (
        f"seldon-core {version} needs Python >= 3.12 but base image {base} has an older Python"
    )
    return _graph("runtime.seldon_core", message, "bad-runtime", OLD_PYTHON_HELP)


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (
            Runtime("1.16.0"),
            [_unsupported("1.16.0")],
        ),
        (Runtime("1.19.0", "python:3.11-slim"), [_older("1.19.0", "python:3.11-slim")]),
        (Runtime("1.19.2", "python:3.9"), [_older("1.19.2", "python:3.9")]),
        (
            Runtime("1.19.0", "docker.io/library/python:3.10-slim"),
            [_older("1.19.0", "docker.io/library/python:3.10-slim")],
        ),
        (Runtime("1.19.0", "library/python:3.11"), [_older("1.19.0", "library/python:3.11")]),
        (
            Runtime("1.19.0", "seldon-graphs/base:bookworm"),
            [_older("1.19.0", "seldon-graphs/base:bookworm")],
        ),
        # Python 3.12 and later, or a base whose Python is not known: nothing to say.
        (Runtime("1.19.0", "python:3.12-slim"), []),
        (Runtime("1.19.1", "python:3.13"), []),
        (Runtime("1.19.0", "registry.example.com/python:3.11"), []),
        (Runtime("1.19.0", "seldon-graphs/base:trixie"), []),
        # Only 1.19 needs the newer Python.
        (Runtime("1.18.0", "python:3.11-slim"), []),
        (Runtime("1.17.1", "seldon-graphs/base:bookworm"), []),
        (
            Runtime("1.17.1", "Python:3.11"),
            [
                _graph(
                    "runtime.base_image",
                    "runtime.base_image: `Python:3.11` is not a valid image reference "
                    "(registry/name:tag)",
                    "bad-image",
                )
            ],
        ),
        # Both wrong: both said, and no guess at the Python of an image that is no image.
        (
            Runtime("1.9", "python:3.11\nRUN id"),
            [
                _unsupported("1.9"),
                _graph(
                    "runtime.base_image",
                    "runtime.base_image: `python:3.11\\nRUN id` is not a valid image reference "
                    "(registry/name:tag)",
                    "bad-image",
                ),
            ],
        ),
    ],
)
def test_the_runtime_and_the_base_image(runtime: Runtime, expected: list[Finding]) -> None:
    node = python_node()
    assert _findings(graph_spec(node, runtime=runtime), node) == tuple(expected)


def test_names_and_registry_are_graph_keys_or_the_node() -> None:
    node = python_node("Bad_Node")
    spec = graph_spec(node, name="Bad_Name", registry="Bad Registry")
    assert _findings(spec, node) == (
        _graph("name", f"graph name: `Bad_Name` {DNS}", "bad-name"),
        Finding(f"node name: `Bad_Node` {DNS}", "bad-name", "", "Bad_Node"),
        BAD_REGISTRY,
    )


def test_without_a_project_root_nothing_else_is_read(tmp_path: Path) -> None:
    node = python_node(requirements=("seldon-core",))
    missing = tmp_path / "gone"
    assert _findings(graph_spec(node, root=missing), node) == (
        _graph("", f"project root {missing} does not exist", "missing-file"),
    )


def test_a_registry_left_out_is_the_default_one() -> None:
    node = python_node()
    plan = plan_context(graph_spec(node, registry=None), node, Role.MODEL, base_id="")
    assert plan.repository == "seldon-graphs/wrapped-double"


@pytest.mark.parametrize(
    "source",
    [
        ServerSource("SKLEARN_SERVER"),
        ImageSource("registry.example.com/m:1"),
        BuiltinSource("RANDOM_ABTEST"),
        NoSource(),
    ],
)
def test_a_node_of_another_kind_has_no_wrapper_image(source: NodeSource) -> None:
    node = NodeSpec(name="double", pos=NOWHERE, source=source)
    assert _findings(graph_spec(node), node) == (
        _node("", "only python and stock nodes get wrapper images", "no-source"),
    )


def test_an_unknown_stock_component() -> None:
    node = stock_node("double", stock="nope")
    assert _findings(graph_spec(node), node) == (
        _node("stock", "unknown stock component `nope`", "unknown-stock"),
    )


def _project(root: Path, *modules: str) -> Path:
    for rel in modules:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(MODEL)
    return root


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (None, [_node("python", "`python` takes `path/to/module.py:ClassName`", "bad-value")]),
        (
            PythonRef("m/model.txt", "Model"),
            [_node("python", "python module `m/model.txt` must be a .py file", "missing-file")],
        ),
        (
            PythonRef("m/model.py", "1Model"),
            [_node("python", "class name: `1Model` is not a Python identifier", "bad-module")],
        ),
        (
            PythonRef("m/my-model.py", "Model"),
            [_node("python", "module name: `my-model` is not a Python identifier", "bad-module")],
        ),
        (
            PythonRef("m/my-model.py", "1Model"),
            [
                _node("python", "module name: `my-model` is not a Python identifier", "bad-module"),
                _node("python", "class name: `1Model` is not a Python identifier", "bad-module"),
            ],
        ),
        (
            PythonRef("m/seldon_graphs_adapter.py", "Model"),
            [
                _node(
                    "python",
                    "module name seldon_graphs_adapter is reserved",
                    "bad-module",
                    "rename it",
                )
            ],
        ),
        (
            PythonRef("m/seldon_graphs_entry.py", "Model"),
            [
                _node(
                    "python",
                    "module name seldon_graphs_entry is reserved",
                    "bad-module",
                    "rename it",
                )
            ],
        ),
        (
            PythonRef("m/absent.py", "Model"),
            [
                _node(
                    "python",
                    "`m/absent.py` does not exist in the project directory",
                    "missing-file",
                )
            ],
        ),
    ],
)
def test_the_python_module_and_class(
    tmp_path: Path, ref: PythonRef | None, expected: list[Finding]
) -> None:
    root = _project(tmp_path, "m/model.py", "m/my-model.py", "m/model.txt")
    _project(root, "m/seldon_graphs_adapter.py", "m/seldon_graphs_entry.py")
    node = NodeSpec(name="double", pos=NOWHERE, source=PythonSource(ref))
    assert _findings(graph_spec(node, root=root), node) == tuple(expected)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ("numpy", "-i http://example.com/simple"),
            [
                _node(
                    "requirements[1]",
                    "pip options are not allowed in requirements: `-i http://example.com/simple`",
                    "bad-requirement",
                    "private indexes are not supported; vendor wheels into the project",
                )
            ],
        ),
        (
            ("  --extra-index-url=http://x", "numpy"),
            [
                _node(
                    "requirements[0]",
                    "pip options are not allowed in requirements: `--extra-index-url=http://x`",
                    "bad-requirement",
                    "private indexes are not supported; vendor wheels into the project",
                )
            ],
        ),
        (
            ("pandas", "seldon-core==1.17.1"),
            [
                _node(
                    "requirements[1]",
                    "seldon-core is the runtime, not a requirement",
                    "bad-requirement",
                    "remove it; choose the version with `runtime: {seldon_core: ...}`",
                )
            ],
        ),
        (
            ("numpy; os_name=='$X'",),
            [
                _node(
                    "requirements[0]",
                    f"`numpy; os_name=='$X'` {NOT_PLAIN}",
                    "bad-requirement",
                    PEP508_HELP,
                )
            ],
        ),
    ],
)
def test_requirement_lines(lines: tuple[str, ...], expected: list[Finding]) -> None:
    node = python_node(requirements=lines)
    assert _findings(graph_spec(node), node) == tuple(expected)


def _requirements_file(root: Path, text: bytes, name: str = "reqs.txt") -> NodeSpec:
    _project(root, "model.py")
    (root / name).write_bytes(text)
    return python_node(python=PythonRef("model.py", "Model"), requirements_file=name)


def test_a_requirements_file_line_by_line(tmp_path: Path) -> None:
    text = b"# pinned\nnumpy==1.26.4  # the last 1.x\n\npkg#egg\n-r other.txt\nseldon-core\n"
    node = _requirements_file(tmp_path, text)
    spec = graph_spec(node, root=tmp_path)
    assert _findings(spec, node) == (
        _node(
            "requirements",
            f"`reqs.txt` line 4: `pkg#egg` {NOT_PLAIN}",
            "bad-requirement",
            PEP508_HELP,
        ),
        _node(
            "requirements",
            "`reqs.txt` line 5: pip options are not allowed in requirements: `-r other.txt`",
            "bad-requirement",
            "private indexes are not supported; vendor wheels into the project",
        ),
        _node(
            "requirements",
            "`reqs.txt` line 6: seldon-core is the runtime, not a requirement",
            "bad-requirement",
            "remove it; choose the version with `runtime: {seldon_core: ...}`",
        ),
    )


def test_the_lines_of_a_requirements_file_follow_the_nodes_own(tmp_path: Path) -> None:
    node = _requirements_file(tmp_path, b"# pinned\nnumpy==1.26.4  # the last 1.x\n\nscipy\n")
    node = dataclasses.replace(node, requirements=(" pandas ",))
    plan = plan_context(graph_spec(node, root=tmp_path), node, Role.MODEL, base_id="")
    assert plan.files["requirements.txt"].decode().splitlines() == [  # type: ignore[union-attr]
        "# Generated by seldon-graphs: the wrapper runtime, then the node's requirements.",
        "seldon-core==1.17.1",
        "setuptools<81  # gunicorn 20.1 imports pkg_resources",
        "pandas",
        "numpy==1.26.4",
        "scipy",
    ]
    assert "reqs.txt" not in plan.files  # read for its lines, not copied


def test_a_requirements_file_that_cannot_be_read(tmp_path: Path) -> None:
    node = _requirements_file(tmp_path, b"numpy\n\xff\xfe\n")
    found = _findings(graph_spec(node, root=tmp_path), node)
    assert found == (
        _node(
            "requirements",
            "`reqs.txt` cannot be read: 'utf-8' codec can't decode byte 0xff in position 6: "
            "invalid start byte",
            "io",
        ),
    )


def test_a_requirements_file_that_holds_credentials_is_not_read(tmp_path: Path) -> None:
    node = _requirements_file(tmp_path, b"numpy\n", name=".netrc")
    assert _findings(graph_spec(node, root=tmp_path), node) == (
        _node(
            "requirements",
            "`.netrc` is not read: a file named `.netrc` usually holds credentials",
            "credential-file",
        ),
    )


def test_a_generated_server_is_checked_for_its_image_settings_only(tmp_path: Path) -> None:
    """No project file goes into a generated server's image: its node is not asked for a
    module, only the runtime, the names, the registry and the project root are checked."""
    source = ServerSource("SKLEARN_SERVER", server_image="generated")
    node = NodeSpec(name="double", pos=NOWHERE, source=source)
    missing = tmp_path / "gone"
    spec = graph_spec(node, root=missing, registry="Bad Registry", runtime=Runtime("1.16.0"))
    assert check_context(spec, node) == (
        _unsupported("1.16.0"),
        BAD_REGISTRY,
        _graph("", f"project root {missing} does not exist", "missing-file"),
    )
    assert check_context(graph_spec(node), node) == ()


KEEP_INSIDE = "keep every path relative to and inside the project directory"


@pytest.mark.parametrize(
    ("python", "requirements_file", "expected"),
    [
        (
            "m/pkg.py",
            None,
            [_node("python", "python module `m/pkg.py` is not a file", "missing-file")],
        ),
        (
            "../x.py",
            None,
            [_node("python", "`../x.py` leaves the project directory", "path-escape", KEEP_INSIDE)],
        ),
        (
            "model.py",
            "reqs",
            [_node("requirements", "requirements file `reqs` is not a file", "missing-file")],
        ),
        (
            "model.py",
            "../r.txt",
            [
                _node(
                    "requirements",
                    "`../r.txt` leaves the project directory",
                    "path-escape",
                    KEEP_INSIDE,
                )
            ],
        ),
        (
            "model.py",
            "nope.txt",
            [
                _node(
                    "requirements",
                    "`nope.txt` does not exist in the project directory",
                    "missing-file",
                )
            ],
        ),
    ],
)
def test_the_module_and_requirements_files_are_project_files(
    tmp_path: Path, python: str, requirements_file: str | None, expected: list[Finding]
) -> None:
    (tmp_path / "m" / "pkg.py").mkdir(parents=True)
    (tmp_path / "reqs").mkdir()
    _project(tmp_path, "model.py")
    node = python_node(python=PythonRef(python, "Model"), requirements_file=requirements_file)
    assert _findings(graph_spec(node, root=tmp_path), node) == tuple(expected)


def test_a_listed_file_may_not_land_on_the_module(tmp_path: Path) -> None:
    _project(tmp_path, "m/model.py", "o/model.py")
    node = python_node(python=PythonRef("m/model.py", "Model"), files=("o/model.py",))
    assert _findings(graph_spec(node, root=tmp_path), node) == (
        _node(
            "files[0]",
            "`o/model.py` would land on `model.py`, where the node's module `m/model.py` goes",
            "file-clash",
            "rename it or move it into a sub-folder",
        ),
    )


def test_a_missing_module_reserves_no_name(tmp_path: Path) -> None:
    """Only the module that is there is copied under its name: with it missing, that is the
    one finding, and a listed file of the same name is not said to clash."""
    _project(tmp_path, "o/missing.py")
    node = python_node(python=PythonRef("m/missing.py", "Model"), files=("o/missing.py",))
    assert _findings(graph_spec(node, root=tmp_path), node) == (
        _node("python", "`m/missing.py` does not exist in the project directory", "missing-file"),
    )


def test_a_stock_component_with_a_bad_module_name_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every shipped component's module is a Python identifier; the check is there for the
    next one, so this one is made for the test."""
    good = CATALOG["mean-combiner"]
    monkeypatch.setitem(CATALOG, "bad-module", dataclasses.replace(good, module="mean-combiner"))
    node = stock_node("double", stock="bad-module")
    assert _findings(graph_spec(node), node) == (
        _node(
            "stock",
            "stock module: `mean-combiner` is not a Python identifier",
            "bad-module",
        ),
    )
