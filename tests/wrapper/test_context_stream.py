"""Large files in build contexts: held by reference, hashed once, streamed, checked.

The digest must be the one the in-memory contexts had (tags, goldens and labels unchanged):
`_in_memory_digest` below is that implementation, applied to the plan's files read back
whole. The golden case `large-files` (test_context.py) pins the tag of LARGE_PROJECT, which
the in-memory implementation (before streaming) gave too: seldon-graphs/wrapped-big:2add56d0ab02.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seldon_graphs.spec import PythonRef, Role
from seldon_graphs.wrapper import context
from seldon_graphs.wrapper.context import (
    DATA_DIR,
    CheckedReader,
    ContextError,
    ContextPlan,
    FileChanged,
    FileRef,
    plan_context,
    write_context,
)
from seldon_graphs.wrapper.images import context_tar, write_context_tar

from .conftest import graph_spec, python_node

REPO = Path(__file__).resolve().parents[2]
MIB = 1 << 20
MODEL = b"class Model:\n    def predict(self, X, names):\n        return X\n"
# Sizes at and around LARGE_FILE; names sorting before `.seldon-graphs-data` (`+`, `-`) and
# after `Dockerfile` (`~`, lower case), so every ordering of the two digests is exercised.
LARGE_PROJECT = {
    "model.py": MODEL,
    "-first.bin": bytes(range(256)) * (MIB // 256),
    "+note.txt": b"note\n",
    "~late.bin": b"~" * (MIB + MIB // 2),
    "data/weights.bin": bytes(range(255, -1, -1)) * (2 * MIB // 256) + b"end",
    "data/small.txt": b"small\n",
    "data/Zsmall.bin": b"z" * (MIB - 1),
}
LISTED = ("-first.bin", "data", "+note.txt", "~late.bin")


def write_project(root: Path, files: Mapping[str, bytes]) -> None:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)


def plan_project(root: Path, listed: tuple[str, ...] = LISTED) -> ContextPlan:
    node = python_node("big", python=PythonRef("model.py", "Model"), files=listed)
    return plan_context(graph_spec(node, root=root), node, Role.MODEL, base_id="")


def large_plan() -> ContextPlan:
    """LARGE_PROJECT's plan (its files are gone afterwards: only the plan is looked at)."""
    with tempfile.TemporaryDirectory(prefix="seldon-graphs-large-") as folder:
        write_project(Path(folder), LARGE_PROJECT)
        return plan_project(Path(folder))


def _in_memory_digest(files: Mapping[str, bytes]) -> str:
    """The context digest as it was computed before streaming, with every file in memory."""
    h = hashlib.sha256()
    for rel in sorted(files):
        content = files[rel]
        h.update(f"{len(rel)}:{rel}\0{len(content)}:".encode())
        h.update(content)
    return h.hexdigest()


def _whole(plan: ContextPlan) -> dict[str, bytes]:
    """The plan's files with the large ones read back into memory."""
    return {
        rel: content if isinstance(content, bytes) else content.path.read_bytes()
        for rel, content in plan.files.items()
    }


def _assert_in_memory_digests(plan: ContextPlan) -> None:
    """The tag's digest and the inputs' one (the version label) are the in-memory ones."""
    whole = _whole(plan)
    assert plan.digest == _in_memory_digest(whole)
    inputs = {rel.removeprefix(f"{DATA_DIR}/"): c for rel, c in whole.items()}
    del inputs["Dockerfile"]
    label = f'org.opencontainers.image.version="{_in_memory_digest(inputs)[:12]}"'
    assert label in plan.dockerfile


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    write_project(tmp_path, LARGE_PROJECT)
    yield tmp_path


# --- held by reference ----------------------------------------------------------------------


def test_large_files_are_held_by_reference_and_the_rest_in_memory(project: Path) -> None:
    plan = plan_project(project)
    refs = {rel: c for rel, c in plan.files.items() if isinstance(c, FileRef)}
    assert refs == {
        f"{DATA_DIR}/{rel}": FileRef(
            project / rel, len(LARGE_PROJECT[rel]), hashlib.sha256(LARGE_PROJECT[rel]).hexdigest()
        )
        for rel in ("-first.bin", "data/weights.bin", "~late.bin")
    }
    assert plan.files["data/Zsmall.bin"] == LARGE_PROJECT["data/Zsmall.bin"]  # 1 byte short
    assert plan.files["+note.txt"] == b"note\n"
    assert list(plan.files) == sorted(plan.files)


def test_the_digest_and_the_label_are_the_in_memory_ones(project: Path) -> None:
    plan = plan_project(project)
    _assert_in_memory_digests(plan)
    assert plan.image == "seldon-graphs/wrapped-big:2add56d0ab02"  # as before streaming


_NAMES = st.text(alphabet="+-0ADZ_az~", min_size=1, max_size=5)
_SIZES = st.sampled_from([0, 1, 63, 64, 65, 127, 128, 129, 300])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    top=st.dictionaries(_NAMES, _SIZES, max_size=5),
    folder=st.dictionaries(_NAMES, _SIZES, max_size=5),
    seed=st.integers(0, 255),
)
def test_streamed_digest_equals_the_in_memory_digest(
    top: dict[str, int], folder: dict[str, int], seed: int
) -> None:
    # A small LARGE_FILE and CHUNK (the rule's parameters, not part of the equality) so that
    # many files are large and most span several chunks, without writing megabytes.
    files = {
        f"{name}.bin": bytes((seed + i) % 256 for i in range(size)) for name, size in top.items()
    }
    files |= {
        f"d/{name}.bin": bytes((seed * i) % 256 for i in range(size))
        for name, size in folder.items()
    }
    with tempfile.TemporaryDirectory() as folder_path, pytest.MonkeyPatch.context() as patch:
        patch.setattr(context, "LARGE_FILE", 64)
        patch.setattr(context, "CHUNK", 48)
        root = Path(folder_path)
        write_project(root, {"model.py": MODEL, **files})
        (root / "d").mkdir(exist_ok=True)
        plan = plan_project(root, (*(f"{name}.bin" for name in top), "d"))
        _assert_in_memory_digests(plan)
        by_reference = {rel for rel, c in plan.files.items() if isinstance(c, FileRef)}
        assert by_reference == {f"{DATA_DIR}/{rel}" for rel, c in files.items() if len(c) >= 64}


# --- streamed out -----------------------------------------------------------------------------


def test_write_context_output_is_the_in_memory_one(project: Path, tmp_path: Path) -> None:
    plan = plan_project(project)
    in_memory = dataclasses.replace(plan, files=_whole(plan))
    streamed = write_context(plan, tmp_path / "out" / "streamed")
    held = write_context(in_memory, tmp_path / "out" / "held")

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    assert tree(streamed) == tree(held) == _whole(plan)


def test_the_tar_is_the_in_memory_one(project: Path) -> None:
    plan = plan_project(project)
    streamed = context_tar(plan)
    held = BytesIO()
    write_context_tar(_whole(plan), held)
    assert streamed == held.getvalue()
    with tarfile.open(fileobj=BytesIO(streamed)) as tar:
        member = tar.extractfile(f"{DATA_DIR}/data/weights.bin")
        assert member is not None and member.read() == LARGE_PROJECT["data/weights.bin"]


# --- changed after planning -------------------------------------------------------------------


CHANGES = {
    "same size, other bytes": lambda path: path.write_bytes(b"X" + path.read_bytes()[1:]),
    "appended to": lambda path: path.write_bytes(path.read_bytes() + b"more"),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:-1]),
    "emptied": lambda path: path.write_bytes(b""),
    "removed": lambda path: path.unlink(),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("victim", ["-first.bin", "data/weights.bin", "~late.bin"])
def test_a_file_changed_after_planning_is_never_sent_or_written(
    project: Path, tmp_path: Path, change: str, victim: str
) -> None:
    plan = plan_project(project)
    CHANGES[change](project / victim)
    message = re.escape(f"`{project / victim}` changed after its build context was planned")
    with pytest.raises(FileChanged, match=message):
        context_tar(plan)
    dest = tmp_path / "out" / "ctx"
    with pytest.raises(FileChanged) as failure:
        write_context(plan, dest)
    assert failure.value.ref.path == project / victim
    assert not dest.exists() and list(dest.parent.iterdir()) == []  # nothing half-written


def test_the_message_says_what_changed(project: Path) -> None:
    plan = plan_project(project)
    (project / "~late.bin").write_bytes(b"~" * 10)
    with pytest.raises(FileChanged) as failure:
        context_tar(plan)
    sha = hashlib.sha256(LARGE_PROJECT["~late.bin"]).hexdigest()[:12]
    assert str(failure.value) == (
        f"`{project / '~late.bin'}` changed after its build context was planned "
        f"(planned: {MIB + MIB // 2} bytes, sha256 {sha}; now: 10 bytes)"
    )


_NOW = {
    "same size, other bytes": lambda content: f"sha256 {_sha(b'X' + content[1:])[:12]}",
    "appended to": lambda content: f"more than {len(content)} bytes",
    "truncated": lambda content: f"{len(content) - 1} bytes",
    "emptied": lambda content: "0 bytes",
    "removed": lambda content: "unreadable: No such file or directory",
}


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_is_named_with_what_the_file_is_now(
    project: Path, tmp_path: Path, change: str
) -> None:
    plan = plan_project(project)
    CHANGES[change](project / "-first.bin")
    content = LARGE_PROJECT["-first.bin"]
    with pytest.raises(FileChanged) as failure:
        write_context(plan, tmp_path / "ctx")
    assert str(failure.value) == (
        f"`{project / '-first.bin'}` changed after its build context was planned (planned: "
        f"{MIB} bytes, sha256 {_sha(content)[:12]}; now: {_NOW[change](content)})"
    )


def test_a_checked_reader_reads_what_it_is_asked_for(project: Path) -> None:
    ref = plan_project(project).files[f"{DATA_DIR}/~late.bin"]
    assert isinstance(ref, FileRef)
    content = LARGE_PROJECT["~late.bin"]
    with CheckedReader(ref) as reader:
        assert reader.read(0) == b""
        assert reader.read(3) == content[:3]
        assert reader.read() == content[3:]  # the rest, checked
        assert reader.read() == b"" and reader.read(5) == b""  # and nothing after it
    with CheckedReader(ref) as reader:
        assert reader.read(len(content) + 10) == content  # never past the planned size


# --- read once per step, memory independent of size -------------------------------------------


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
def test_each_large_file_is_read_once_to_plan_and_once_to_send(tmp_path: Path) -> None:
    size = 16 * MIB
    write_project(tmp_path, {"model.py": MODEL, "big.bin": b"b" * size})
    plan_project(tmp_path, ("big.bin",))  # imports and caches warmed up
    before = _bytes_read()
    plan = plan_project(tmp_path, ("big.bin",))
    planning = _bytes_read() - before
    with tempfile.TemporaryFile() as out:
        before = _bytes_read()
        write_context_tar(plan.files, out)
        sending = _bytes_read() - before
    assert size <= planning < size + MIB
    assert size <= sending < size + MIB


_MEASURE = """
import json, resource, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.wrapper.test_context_stream import plan_project
from seldon_graphs.wrapper.images import write_context_tar
from seldon_graphs.wrapper.context import write_context
plan = plan_project(Path(sys.argv[1]), ("big.bin",))
with tempfile.TemporaryFile() as out:
    write_context_tar(plan.files, out)
with tempfile.TemporaryDirectory() as folder:
    write_context(plan, Path(folder) / "ctx")
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def _peak_rss_kb(root: Path, size: int) -> int:
    root.mkdir()
    write_project(root, {"model.py": MODEL})
    with (root / "big.bin").open("wb") as out:
        for _ in range(size // MIB):
            out.write(os.urandom(MIB))
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(root), str(REPO)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=120,
    )
    peak: int = json.loads(proc.stdout)
    return peak


def test_memory_does_not_grow_with_the_file_size(tmp_path: Path) -> None:
    small = _peak_rss_kb(tmp_path / "small", 2 * MIB)
    big = _peak_rss_kb(tmp_path / "big", 160 * MIB)
    # Held in memory, the big file alone would add 158 MiB; streamed, a few chunks at most.
    assert big - small < 16 * 1024, (small, big)


def test_compile_writes_nothing_when_a_file_changed_after_planning(project: Path) -> None:
    from seldon_graphs import api

    (project / "graph.yaml").write_text(
        "name: wrapped\nnodes:\n  big:\n    python: model.py:Model\n"
        f"    files: {json.dumps(list(LISTED))}\nflow: big\n"
    )
    graph = api.load(project / "graph.yaml")
    assert [plan.digest[:12] for plan in graph.contexts] == ["2add56d0ab02"]  # planned
    (project / "data" / "weights.bin").write_bytes(b"retrained")
    with pytest.raises(FileChanged, match=r"data/weights\.bin` changed after"):
        graph.compile(project / "out")
    assert list((project / "out").iterdir()) == []  # no manifest, no context, no temp folder


def test_a_file_that_changes_while_planning_reads_it_is_refused(project: Path) -> None:
    path = project / "~late.bin"
    stated = context._Pending(path, path.stat().st_size)  # what planning saw first
    path.write_bytes(path.read_bytes() + b"appended meanwhile")
    views = (context._RunningDigest({"~late.bin": stated}),)
    with pytest.raises(context.ContextError) as failure:
        context._hash_large(stated, views, "big")
    path.write_bytes(b"cut")
    with pytest.raises(context.ContextError, match=r"\(1572864 bytes, then 3\)"):
        context._hash_large(stated, (context._RunningDigest({"~late.bin": stated}),), "big")
    assert str(failure.value) == (
        f"node big: `{path}` changed while it was read ({MIB + MIB // 2} bytes, then more): "
        "run again once it is complete"
    )


def test_a_large_file_gone_before_planning_reads_it(project: Path) -> None:
    path = project / "~late.bin"
    stated = context._Pending(path, path.stat().st_size)  # what planning measured
    path.unlink()
    with pytest.raises(context.ContextError) as failure:
        context._hash_large(stated, (context._RunningDigest({"~late.bin": stated}),), "big")
    assert str(failure.value) == f"node big: `{path}` cannot be read: No such file or directory"


def test_bytes_appended_right_at_a_chunk_boundary_are_noticed(tmp_path: Path) -> None:
    """Planning reads past the size it measured: a file of whole chunks that grew by one
    more is refused, not hashed short."""
    path = tmp_path / "big.bin"
    path.write_bytes(b"c" * (2 * context.CHUNK))
    stated = context._Pending(path, path.stat().st_size)
    with path.open("ab") as out:
        out.write(b"+")
    with pytest.raises(context.ContextError, match=r"\(2097152 bytes, then more\)"):
        context._hash_large(stated, (context._RunningDigest({"big.bin": stated}),), "big")


def test_reading_the_rest_of_a_grown_file_is_refused(project: Path) -> None:
    ref = plan_project(project).files[f"{DATA_DIR}/~late.bin"]
    assert isinstance(ref, FileRef)
    with (project / "~late.bin").open("ab") as out:
        out.write(b"more")
    with CheckedReader(ref) as reader, pytest.raises(FileChanged) as failure:
        reader.read()
    assert str(failure.value).endswith(f"; now: more than {ref.size} bytes)")


def test_write_context_makes_every_folder_of_a_deep_file(tmp_path: Path) -> None:
    write_project(tmp_path, {"model.py": MODEL, "data/deep/er/x.txt": b"x\n"})
    plan = plan_project(tmp_path, ("data",))
    dest = write_context(plan, tmp_path / "out" / "ctx")
    assert (dest / "data" / "deep" / "er" / "x.txt").read_bytes() == b"x\n"


def test_a_file_still_being_written_while_planned_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning measures a large file, then reads it: one that grows in between is refused
    with the node's name. A file cannot be made to grow at exactly that moment without
    racing a writer, so its size is what `stat` says, one chunk short of the file."""
    write_project(tmp_path, {"model.py": MODEL, "big.bin": b"b" * (3 * MIB)})
    real_stat = Path.stat

    def measured_early(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        result = real_stat(self, follow_symlinks=follow_symlinks)
        if self.name != "big.bin":
            return result
        fields = list(result)
        fields[6] = 2 * MIB  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(Path, "stat", measured_early)
    with pytest.raises(ContextError) as failure:
        plan_project(tmp_path, ("big.bin",))
    assert str(failure.value) == (
        f"node big: `{tmp_path / 'big.bin'}` changed while it was read ({2 * MIB} bytes, then "
        "more): run again once it is complete"
    )
