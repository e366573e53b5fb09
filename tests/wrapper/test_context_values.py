"""Context plans as values, and the memory bound of planning (make mutation, wrapper/context):
plans cannot change once made, compare by what goes into the image, and hold a large file in
memory a chunk at a time."""

from __future__ import annotations

import dataclasses
import errno
import json
import tracemalloc
from pathlib import Path

import pytest

from seldon_graphs.spec import Param, Pos, PythonRef, Role, Runtime, SecretEnv
from seldon_graphs.wrapper.context import (
    ContextError,
    ContextPlan,
    FileRef,
    SmokeInputs,
    image_tag,
    plan_context,
    write_context,
)

from .conftest import graph_spec, python_node

MIB = 1 << 20
MODEL = b"class Model:\n    def predict(self, X, names):\n        return X\n"


def _project(root: Path, files: dict[str, bytes]) -> Path:
    for rel, content in {"model.py": MODEL, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    return root


def _plan(root: Path, listed: tuple[str, ...]) -> ContextPlan:
    node = python_node("big", python=PythonRef("model.py", "Model"), files=listed)
    return plan_context(graph_spec(node, root=root), node, Role.MODEL, base_id="")


def test_a_plan_cannot_be_changed_once_made(tmp_path: Path) -> None:
    plan = _plan(_project(tmp_path, {"big.bin": b"b" * MIB}), ("big.bin",))
    ref = plan.files[".seldon-graphs-data/big.bin"]
    assert isinstance(ref, FileRef)
    for value, attribute in ((plan, "image"), (plan.smoke, "module"), (ref, "sha256")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, attribute, "changed")


def test_plans_compare_by_their_contents_not_by_what_planning_warned_about(
    tmp_path: Path,
) -> None:
    """A credential-like file is left out with a warning: the plan is the one of the same
    folder without it, and the two are one value (in a set, say)."""
    clean = _plan(_project(tmp_path / "clean", {"data/a.txt": b"a\n"}), ("data",))
    warned = _plan(
        _project(tmp_path / "warned", {"data/a.txt": b"a\n", "data/.env.local": b"T=x\n"}),
        ("data",),
    )
    assert [w.message for w in warned.warnings] == [
        "`data/.env.local` is not copied: a file named `.env.local` usually holds credentials"
    ]
    assert clean.warnings == ()
    assert warned == clean
    assert {warned, clean} == {clean}


def test_planning_and_writing_hold_one_chunk_of_a_large_file(tmp_path: Path) -> None:
    """A large file is read in 1 MiB chunks (docs/images.md): Python never holds more of
    it than that at a time, whatever its size."""
    root = _project(tmp_path / "p", {"big.bin": bytes(range(256)) * (12 * MIB // 256)})
    _plan(root, ("big.bin",))  # imports and caches warmed up, outside the measure
    tracemalloc.start()
    try:
        plan = _plan(root, ("big.bin",))
        write_context(plan, tmp_path / "ctx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "ctx" / ".seldon-graphs-data" / "big.bin").read_bytes() == (
        root / "big.bin"
    ).read_bytes()
    assert peak < 2 * MIB + MIB // 2, peak  # the chunk read and the one before it


@pytest.mark.parametrize(
    "listed",
    [("Dockerfile.prod",), ("Dockerfiles",), (".dockerignore.old",), (".s2i-notes.txt",)],
)
def test_listed_files_named_like_the_build_files_are_copied(
    tmp_path: Path, listed: tuple[str, ...]
) -> None:
    """Only the build's own files stay out of /app, not every name that starts like one."""
    _project(tmp_path, {"Dockerfile.prod": b"d\n", "Dockerfiles/a.txt": b"a\n"})
    _project(tmp_path, {".dockerignore.old": b"o\n", ".s2i-notes.txt": b"n\n"})
    plan = _plan(tmp_path, listed)
    copies = [ln for ln in plan.dockerfile.splitlines() if ln.startswith("COPY")]
    code = ["model.py", "requirements.txt", "seldon_graphs_adapter.py", "seldon_graphs_entry.py"]
    name = listed[0]
    if name == "Dockerfiles":
        assert copies[-1] == 'COPY ["Dockerfiles", "/app/Dockerfiles/"]'
    else:
        expected = sorted([name, *code, "seldon_graphs_init.py", "seldon_graphs_launch.py"])
        assert copies[-1] == f"COPY {json.dumps([*expected, '/app/'])}"


def test_the_smoke_run_gets_what_the_operator_will_pass() -> None:
    """Parameters as the operator's PREDICTIVE_UNIT_PARAMETERS (values in Seldon's string
    form), the plain env, the inputs only the cluster has (secret names, then model_uri), and
    where the node is written."""
    node = python_node(
        params=(
            Param("alpha", 0.5, "FLOAT"),
            Param("label", "x y", "STRING"),
            Param("on", True, "BOOL"),
        ),
        env=(("A", "1"), ("B", "two")),
        secret_env=(SecretEnv("TOKEN", "s", "k"), SecretEnv("KEY", "s", "k2")),
        model_uri="s3://bucket/model",
    )
    node = dataclasses.replace(node, pos=Pos(7, 3))
    plan = plan_context(graph_spec(node), node, Role.MODEL, base_id="")
    assert plan.smoke == SmokeInputs(
        "doubler",
        "Doubler",
        '[{"name": "alpha", "value": "0.5", "type": "FLOAT"}, '
        '{"name": "label", "value": "x y", "type": "STRING"}, '
        '{"name": "on", "value": "true", "type": "BOOL"}]',
        (("A", "1"), ("B", "two")),
        ("TOKEN", "KEY", "model_uri"),
        "graph.yaml:7:3",
    )
    plain = python_node()
    assert plan_context(graph_spec(plain), plain, Role.MODEL, base_id="").smoke == SmokeInputs(
        "doubler", "Doubler", "[]", (), (), "graph.yaml:1:1"
    )


@pytest.mark.parametrize(
    ("graph_file", "shown"),
    [
        ("graph.yaml", "graph.yaml"),
        ("deploy/prod graph.yaml", "wrapped.yaml"),  # not a safe path: the graph's name
        ("deploy/prod.yaml", "deploy/prod.yaml"),
        ("../outside.yaml", "outside.yaml"),  # outside the project: its file name
    ],
)
def test_the_image_says_which_graph_file_made_it(
    tmp_path: Path, graph_file: str, shown: str
) -> None:
    root = _project(tmp_path / "p", {})
    node = python_node("big", python=PythonRef("model.py", "Model"))
    spec = dataclasses.replace(graph_spec(node, root=root), file=root / graph_file)
    plan = plan_context(spec, node, Role.MODEL, base_id="")
    assert f'org.opencontainers.image.source="{shown}"' in plan.dockerfile
    assert f"# Show it again with: seldon-graphs dockerfile {shown} big\n" in plan.dockerfile
    assert plan.smoke.where == f"{shown}:1:1"


def test_a_copy_source_matches_only_the_name_it_copies(tmp_path: Path) -> None:
    """COPY sources are patterns (Go's filepath.Match): `*`, `?` and `[` in a listed name go
    inside a one-character class, so `a*b?.txt` cannot copy `aXXbY.txt` too."""
    _project(tmp_path, {"a*b?.txt": b"a\n", "x[1]/f.txt": b"f\n", "aXXbY.txt": b"other\n"})
    plan = _plan(tmp_path, ("a*b?.txt", "x[1]"))
    code = ["model.py", "requirements.txt", "seldon_graphs_adapter.py", "seldon_graphs_entry.py"]
    code += ["seldon_graphs_init.py", "seldon_graphs_launch.py"]
    assert [ln for ln in plan.dockerfile.splitlines() if ln.startswith("COPY [")] == [
        f"COPY {json.dumps(['a[*]b[?].txt', *code, '/app/'])}",
        'COPY ["x[[]1]", "/app/x[1]/"]',
    ]


def test_a_listed_folder_holding_the_module_and_requirements_brings_the_rest(
    tmp_path: Path,
) -> None:
    """The module and the requirements file are in the context already (as the module, and
    as the lines of requirements.txt): the folder listed around them adds only its other
    files, and no clash with the generated requirements.txt."""
    _project(tmp_path, {"models/model.py": MODEL, "models/requirements.txt": b"six\n"})
    _project(tmp_path, {"models/data.txt": b"d\n"})
    node = python_node(
        "big",
        python=PythonRef("models/model.py", "Model"),
        files=("models",),
        requirements_file="models/requirements.txt",
    )
    plan = plan_context(graph_spec(node, root=tmp_path), node, Role.MODEL, base_id="")
    assert sorted(plan.files) == [
        ".dockerignore",
        ".s2i/environment",
        "Dockerfile",
        "data.txt",
        "model.py",
        "requirements.txt",
        "seldon_graphs_adapter.py",
        "seldon_graphs_entry.py",
        "seldon_graphs_init.py",
        "seldon_graphs_launch.py",
    ]
    assert plan.files["requirements.txt"] == (
        b"# Generated by seldon-graphs: the wrapper runtime, then the node's requirements.\n"
        b"seldon-core==1.17.1\nsetuptools<81  # gunicorn 20.1 imports pkg_resources\nsix\n"
    )


def test_a_plan_keeps_the_runtime_the_base_image_and_its_id(tmp_path: Path) -> None:
    node = python_node("big", python=PythonRef("model.py", "Model"))
    spec = dataclasses.replace(
        graph_spec(node, root=_project(tmp_path, {})),
        runtime=Runtime("1.18.1", "python:3.12-slim"),
    )
    base_id = "sha256:" + "0" * 64
    plan = plan_context(spec, node, Role.MODEL, base_id=base_id)
    assert (plan.seldon_core, plan.base_image, plan.base_id) == (
        "1.18.1",
        "python:3.12-slim",
        base_id,
    )
    assert plan.licence == "Business Source License 1.1"
    assert plan.tag == image_tag(plan.digest, base_id) != plan.digest[:12]


def test_a_base_image_no_engine_has_gives_an_empty_id_and_the_digests_tag(
    tmp_path: Path,
) -> None:
    """base_id None: looked up on the local engine, which has no such image."""
    node = python_node("big", python=PythonRef("model.py", "Model"))
    spec = dataclasses.replace(
        graph_spec(node, root=_project(tmp_path, {})),
        runtime=Runtime("1.17.1", "registry.example.com/no/such-base:1"),
    )
    plan = plan_context(spec, node, Role.MODEL)
    assert plan.base_id == ""
    assert plan.tag == plan.digest[:12]


def test_a_project_file_planning_cannot_read_is_named_with_its_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests run as root here, who reads every file: the unreadable one is a read that
    fails with EACCES, as it does for a user without the permission."""
    _project(tmp_path, {"data/locked.bin": b"l\n"})
    real_read = Path.read_bytes

    def locked(self: Path) -> bytes:
        if self.name == "locked.bin":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", locked)
    with pytest.raises(ContextError) as failure:
        _plan(tmp_path, ("data",))
    assert str(failure.value) == "node big: `data/locked.bin` cannot be read: Permission denied"


def test_a_grpc_graphs_dockerfile_is_a_rest_ones_without_the_grpc_switch(tmp_path: Path) -> None:
    node = python_node("big", python=PythonRef("model.py", "Model"))
    spec = graph_spec(node, root=_project(tmp_path, {}))
    rest = plan_context(spec, node, Role.MODEL, base_id="").dockerfile
    grpc = plan_context(
        dataclasses.replace(spec, transport="grpc"), node, Role.MODEL, base_id=""
    ).dockerfile
    assert grpc.splitlines() == [ln for ln in rest.splitlines() if ln != "ENV GRPC_WORKERS=0"]
    assert len(grpc.splitlines()) == len(rest.splitlines()) - 1
