"""The README's first command, `make run`, from a fresh `git clone` of this checkout's HEAD.

Only committed files are in the clone (no models/, no build/), as a new user gets them. The
clone reuses this test run's venv (VENV=...; `-o` tells make the venv is installed) so pip
does not run, and PYTHONPATH puts the clone's own package first, so the code served is the
clone's. The model is trained in the clone by the Makefile's own prerequisite.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.helpers import clone_repo, require_file, require_tool

VENV = Path(sys.prefix)
CURL_BODY = re.compile(r"-d '(\{.*?\})'")
UP = re.compile(r"is up on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 120.0
EXIT_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("make")
    return clone_repo(tmp_path_factory.mktemp("fresh") / "seldon-graphs")


def make(*args: str) -> list[str]:
    # --no-print-directory: under `make test` (CI) the inherited MAKELEVEL makes every
    # nested make announce the folder it enters.
    return [
        require_tool("make"),
        "--no-print-directory",
        *args,
        f"VENV={VENV}",
        "-o",
        str(VENV / ".installed"),
    ]


def clone_env(clone: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(clone), "PYTHONUNBUFFERED": "1"}


def readme_first_command(clone: Path) -> str:
    """The first line of the README's first code block, without its comment."""
    text = (clone / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```\n", 2)[1]
    return first_block.splitlines()[0].partition("#")[0].strip()


def readme_request(clone: Path) -> bytes:
    match = CURL_BODY.search((clone / "README.md").read_text(encoding="utf-8"))
    assert match is not None, "the README shows no curl request"
    return match.group(1).encode()


def test_the_clone_has_no_models_or_build(clone: Path) -> None:
    assert not (clone / "models").exists() and not (clone / "build").exists()
    assert readme_first_command(clone) == "make run"


@pytest.mark.parametrize(
    ("graph", "trainer"),
    [
        ("graphs/iris.yaml", "scripts/train_iris.py"),
        ("./graphs/iris.yaml", "scripts/train_iris.py"),
        ("graphs/income.yaml", "examples/income/train.py"),
    ],
)
def test_make_run_trains_the_graphs_model_first(clone: Path, graph: str, trainer: str) -> None:
    """Dry run: every prerequisite is expanded when make reads the rule, so a model variable
    defined after the rule would be missing here."""
    out = subprocess.run(
        [*make("-n", "run"), f"GRAPH={graph}", "PORT=0"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()
    assert out == [
        f"{VENV}/bin/python {trainer}",
        f"{VENV}/bin/seldon-graphs run {graph} --runtime process --port 0",
    ]


def test_make_test_needs_only_the_venv(clone: Path) -> None:
    out = subprocess.run(
        make("-n", "test"), cwd=clone, capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.splitlines() == [f"{VENV}/bin/pytest -q"]


def phony_targets(clone: Path) -> list[str]:
    text = (clone / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(r"^\.PHONY:(.*)$", text, re.MULTILINE)
    assert match is not None
    return match.group(1).split()


def test_every_target_resolves_in_a_fresh_clone(clone: Path) -> None:
    """`make -n`: every prerequisite has a rule (nothing assumes files a clone lacks)."""
    targets = phony_targets(clone)
    assert {"run", "test", "lint", "golden", "kind-up"} <= set(targets)
    for target in targets:
        dry = subprocess.run(
            make("-n", target), cwd=clone, capture_output=True, text=True, timeout=30, check=False
        )
        assert dry.returncode == 0, f"make -n {target}: {dry.stderr}"


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)
    into.put("")


def wait_until_up(lines: queue.Queue[str], seen: list[str]) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if not line:
            pytest.fail("make run exited before serving:\n" + "".join(seen))
        seen.append(line)
        if match := UP.search(line):
            return int(match.group(1))
    pytest.fail(f"make run did not serve within {START_TIMEOUT:.0f} s:\n" + "".join(seen))


def _stat(pid_dir: Path) -> list[str] | None:
    try:
        return pid_dir.joinpath("stat").read_text().rpartition(")")[2].split()
    except OSError:  # the process exited while we looked
        return None


def descendants(root: int) -> set[int]:
    """`root` and every process below it, wherever they sit (nodes get their own session)."""
    children: dict[int, list[int]] = {}
    for pid_dir in Path("/proc").glob("[0-9]*"):
        fields = _stat(pid_dir)
        if fields is not None and fields[0] != "Z":  # a zombie is gone but not yet reaped
            children.setdefault(int(fields[1]), []).append(int(pid_dir.name))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(children.get(pid, []))
    return found


def alive(pids: set[int]) -> set[int]:
    return {p for p in pids if (fields := _stat(Path(f"/proc/{p}"))) and fields[0] != "Z"}


def listening_ports(pids: set[int]) -> set[int]:
    """TCP ports the given processes listen on (from /proc: no extra dependency)."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                ports.add(int(cols[1].rpartition(":")[2], 16))
    return ports


def refuses(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_gone(pids: set[int]) -> None:
    deadline = time.monotonic() + EXIT_TIMEOUT
    while alive(pids):
        assert time.monotonic() < deadline, f"processes {alive(pids)} outlived SIGTERM"
        time.sleep(0.1)  # polling: no event tells us when a grandchild exits


@pytest.fixture
def make_run(clone: Path) -> Iterator[subprocess.Popen[str]]:
    command = readme_first_command(clone).split()  # make run
    proc = subprocess.Popen(
        [*make(*command[1:]), "PORT=0"],
        cwd=clone,
        env=clone_env(clone),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal would give it
    )
    everyone = descendants(proc.pid)
    yield proc
    for pid in alive(everyone | descendants(proc.pid)):
        os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=EXIT_TIMEOUT)


def test_make_run_serves_the_readme_request_then_stops_cleanly(
    clone: Path, make_run: subprocess.Popen[str]
) -> None:
    require_file(Path("/proc/net/tcp"), "listeners are read from /proc (Linux)")
    assert make_run.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(make_run.stdout, lines), daemon=True).start()
    seen: list[str] = []
    port = wait_until_up(lines, seen)
    assert f"wrote {clone}/models/iris/model.joblib\n" in seen
    assert (clone / "models" / "iris" / "model.joblib").is_file()

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1.0/predictions",
        data=readme_request(clone),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        answer = json.load(response)
    assert answer["data"]["names"] == ["t:0", "t:1", "t:2"]
    (probabilities,) = answer["data"]["ndarray"]
    assert max(range(3), key=probabilities.__getitem__) == 0  # setosa
    assert sum(probabilities) == pytest.approx(1.0)
    from seldon_graphs import api

    # the node reports the generated server image the cluster runs (docs/decisions/0006)
    iris = api.load(clone / "graphs" / "iris.yaml")
    assert answer["meta"]["requestPath"] == iris.images()
    assert re.fullmatch(
        r"seldon-graphs/sklearn-classifier:[0-9a-f]{12}", iris.images()["classifier"]
    )

    everyone = descendants(make_run.pid)
    ports = listening_ports(everyone)
    assert port in ports and len(ports) == 3  # executor; the iris node: REST, metrics
    os.killpg(make_run.pid, signal.SIGTERM)  # make and seldon-graphs; the nodes are theirs
    make_run.wait(timeout=EXIT_TIMEOUT)
    wait_gone(everyone)
    assert {p for p in ports if not refuses(p)} == set()
