"""What the process runtime starts a node as, and what a start that fails shows of its log
(make mutation, runtime/process): real seldon-core-microservice processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from seldon_graphs.runtime.process import NodeStartError, ProcessBackend
from seldon_graphs.runtime.supervision import Policy

from .conftest import serve
from .graphs import NODES, ROOT, M, U, graph, py, tree

pytestmark = pytest.mark.slow
START_S = 120.0  # a node's start, bounded as the default policy bounds it
STOP_S = 60.0  # a node's own shutdown on SIGTERM (gunicorn's), on a loaded machine
ORPHAN = """
import asyncio
from seldon_graphs.runtime.process import ProcessBackend
from tests.runtime.graphs import NODES, M, graph, py, tree

backend = ProcessBackend(graph("orphan", [py("m", f"{NODES}/Affine.py", "Affine")]), tree("m", M))


async def main():
    await backend.start()
    print(backend.nodes["m"].proc.pid, backend.workdir, flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
"""


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while not select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
        assert time.monotonic() < deadline, "the runtime did not start its node"
    return proc.stdout.readline()


def _ends_within(pid: int, timeout: float) -> bool:
    """Whether process `pid` (not our child) ends within `timeout`: its pidfd turns readable."""
    fd = os.pidfd_open(pid)
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def test_a_node_is_stopped_when_the_runtime_process_dies() -> None:
    """SIGKILL leaves the runtime no chance to stop its nodes (each in a session of its own,
    so not in the runtime's process group): the kernel's parent-death signal does."""
    runtime = subprocess.Popen(
        [sys.executable, "-c", ORPHAN], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    pid, workdir = 0, ""
    try:
        line = _first_line(runtime, START_S)
        pid, workdir = int(line.split()[0]), line.split()[1]
        runtime.kill()
        runtime.wait(START_S)
        assert _ends_within(pid, STOP_S)
    finally:
        runtime.kill()
        runtime.wait(START_S)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)  # only if it outlived its runtime
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def test_a_node_of_unknown_type_is_served_as_a_model() -> None:
    """Seldon's operator starts an UNKNOWN_TYPE node as a MODEL (seldon-core-microservice
    refuses `--service-type UNKNOWN_TYPE`): it starts, and its own predict answers."""
    spec = graph("unknown", [py("u", f"{NODES}/Affine.py", "Affine", {"name": "u", "mul": 3})])
    backend = ProcessBackend(spec, tree("u", U))
    thread = serve(backend, name="unknown")
    try:
        body = {"data": {"ndarray": [[2.0, 5.0]]}}
        r = requests.post(backend.nodes["u"].url + "/api/v1.0/predictions", json=body, timeout=30)
        assert (r.status_code, r.json()["data"]["ndarray"]) == (200, [[6.0, 15.0]])
    finally:
        thread.stop()


def test_a_failed_start_shows_the_last_40_lines_of_the_nodes_log(tmp_path: Path) -> None:
    noisy = tmp_path / "Noisy.py"
    noisy.write_text(
        "import os\nfor i in range(1, 56):\n    print(f'noisy line {i}', flush=True)\nos._exit(3)\n"
    )
    spec = graph("noisy", [py("noisy", str(noisy), "Noisy")], root=tmp_path)
    backend = ProcessBackend(spec, tree("noisy", M), policy=Policy(start_timeout=60))

    with pytest.raises(NodeStartError) as failed:
        asyncio.run(backend.start())
    head, *log = str(failed.value).splitlines()
    assert head == "node 'noisy' did not start (exited with code 3); last log lines:"
    assert log == [f"    noisy line {i}" for i in range(16, 56)]


WHERE = """import os

print("where: loaded", flush=True)


class Where:
    def predict(self, X, names):
        return {"cwd": os.getcwd(), "data": open("data.txt").read()}
"""


def test_a_node_runs_in_its_modules_folder_and_its_output_is_echoed(tmp_path: Path) -> None:
    """As in the image (/app mirrors the module's folder), a data file next to the module is
    found by a relative path; `run --verbose` shows each node's output under its name; the
    graph's stop lets it exit on its own."""
    (tmp_path / "Where.py").write_text(WHERE)
    (tmp_path / "data.txt").write_text("beside the module")
    spec = graph("where", [py("w", str(tmp_path / "Where.py"), "Where")], root=tmp_path)
    echo = io.StringIO()
    backend = ProcessBackend(spec, tree("w", M), echo=echo)
    assert backend.venv_cache == tmp_path / ".seldon-graphs" / "venvs"
    thread = serve(backend, name="where")
    try:
        body = {"data": {"ndarray": [[1.0]]}}
        r = requests.post(backend.nodes["w"].url + "/api/v1.0/predictions", json=body, timeout=30)
        assert r.json()["jsonData"] == {"cwd": str(tmp_path), "data": "beside the module"}
    finally:
        thread.stop()
    proc = backend.nodes["w"].proc
    assert proc is not None and proc.returncode == 0  # stopped by SIGTERM, not killed
    echoed, log = echo.getvalue().splitlines(), list(backend.nodes["w"].log)
    assert "[w] where: loaded" in echoed
    assert all(line.startswith("[w] ") for line in echoed)
    assert echoed[-len(log) :] == [f"[w] {line}" for line in log]  # the same lines, named


def silent_python(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every node's Python exits at once with code 5, writing nothing (a broken venv's)."""
    silent = folder / "python"
    silent.write_text("#!/bin/sh\nexit 5\n")
    silent.chmod(0o755)
    monkeypatch.setattr("seldon_graphs.runtime.process.python_for", lambda *_: str(silent))


def test_a_node_that_fails_before_writing_a_line_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No log: the report says there was none, rather than ending on an empty line."""
    silent_python(tmp_path, monkeypatch)
    spec = graph("silent", [py("m", f"{NODES}/Affine.py", "Affine")])
    backend = ProcessBackend(spec, tree("m", M), policy=Policy(start_timeout=60))

    with pytest.raises(NodeStartError) as failed:
        asyncio.run(backend.start())
    assert str(failed.value) == (
        "node 'm' did not start (exited with code 5); last log lines:\n    (no output)"
    )
    assert not backend.workdir.exists()


def test_a_start_that_fails_for_two_nodes_reports_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent_python(tmp_path, monkeypatch)
    nodes = [py(name, f"{NODES}/Affine.py", "Affine") for name in ("a", "b")]
    backend = ProcessBackend(graph("two", nodes), tree("a", M, tree("b", M)))

    with pytest.raises(NodeStartError) as failed:
        asyncio.run(backend.start())
    assert str(failed.value).splitlines() == [
        "node 'a' did not start (exited with code 5); last log lines:",
        "    (no output)",
        "node 'b' did not start (exited with code 5); last log lines:",
        "    (no output)",
    ]


def test_the_callers_pythonpath_reaches_its_nodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the node's own folder: a module found only there imports in the node, and a
    Python the node starts itself imports the generated entry, as it does from the image's
    working directory."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "sg_only_on_the_path.py").write_text("FACTOR = 7\n")
    (tmp_path / "Uses.py").write_text(
        "import subprocess, sys\n"
        "from sg_only_on_the_path import FACTOR\n\n\nclass Uses:\n"
        "    def predict(self, X, names):\n"
        "        child = [sys.executable, '-c', 'import seldon_graphs_node']\n"
        "        code = subprocess.run(child, cwd='/', timeout=60).returncode\n"
        "        return [[FACTOR, code]]\n"
    )
    before = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path / "lib"), before])))
    spec = graph("uses", [py("u", str(tmp_path / "Uses.py"), "Uses")], root=tmp_path)
    backend = ProcessBackend(spec, tree("u", M))
    thread = serve(backend, name="uses")
    try:
        body = {"data": {"ndarray": [[1]]}}
        r = requests.post(backend.nodes["u"].url + "/api/v1.0/predictions", json=body, timeout=30)
        assert (r.status_code, r.json()["data"]["ndarray"]) == (200, [[7, 0]])
    finally:
        thread.stop()
