"""scripts/mutation_mutmut3.py: what `make mutation` does with mutmut 3's results. mutmut 3
itself is not in the project's venv (it needs a newer click than seldon-core allows), so
these tests drive the helper on result files laid out as mutmut 3 writes them, with real
parso (mutmut 2's parser), real subprocesses for the recheck, and real process groups."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
m3 = load_script(ROOT / "scripts" / "mutation_mutmut3.py")

MODULE = "wrapper/context"
FUNC = "seldon_graphs.wrapper.context.x__quote"
OTHER = "seldon_graphs.wrapper.context.xǁCheckedReaderǁread"


def _meta(repo: Path, codes: dict[str, int | None]) -> Path:
    path = repo / "mutants" / "seldon_graphs" / "wrapper" / "context.py.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "exit_code_by_key": codes,
        "hash_by_function_name": {"x__quote": "abc"},
        "type_check_error_by_key": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }
    path.write_text(json.dumps(meta))
    return path


def _stats(repo: Path, by_function: dict[str, list[str]], tests: list[str]) -> None:
    stats = {
        "tests_by_mangled_function_name": by_function,
        "duration_by_test": {t: 0.1 for t in tests},
        "stats_time": 1.0,
    }
    (repo / "mutants" / "mutmut-stats.json").write_text(json.dumps(stats))


@pytest.mark.parametrize(
    ("source", "engine"),
    [
        ("def f(x):\n    return x\n", 2),
        ("def f(x):\n    match x:\n        case 1:\n            return 2\n    return x\n", 3),
        ("x: int | None = None\n", 2),
        ("def f(*a):\n    match a:\n        case [1, *rest]:\n            return rest\n", 3),
    ],
)
def test_the_engine_is_mutmut_3_exactly_for_what_mutmut_2_cannot_parse(
    tmp_path: Path, source: str, engine: int
) -> None:
    module = tmp_path / "m.py"
    module.write_text(source)
    assert m3.engine(module) == engine


def test_wrapper_context_needs_mutmut_3_and_the_other_modules_do_not() -> None:
    assert m3.engine(ROOT / "seldon_graphs" / "wrapper" / "context.py") == 3
    for other in ("safety", "deploy/wait", "runtime/http1", "runtime/process"):
        assert m3.engine(ROOT / "seldon_graphs" / f"{other}.py") == 2, other


def _read_cfg(repo: Path) -> dict[str, Any]:
    """setup.cfg's [mutmut] as mutmut 3 reads it: a value with a line break is a list."""
    cfg = ConfigParser(interpolation=None)
    cfg.read(repo / "setup.cfg")
    return {
        k: [x for x in v.split("\n") if x] if "\n" in v else v for k, v in cfg["mutmut"].items()
    }


def test_the_settings_mutate_one_module_and_copy_the_rest_but_shared(tmp_path: Path) -> None:
    for name in ("seldon_graphs", "tests", "wrappers", "graphs", ".git", "mutants"):
        (tmp_path / name).mkdir()
    for name in ("pyproject.toml", "Makefile", "setup.cfg"):
        (tmp_path / name).write_text("")
    (tmp_path / "shared").symlink_to(tmp_path / "graphs")
    selection = ["tests/wrapper/test_context.py", "-k", "not memory_does_not_grow"]
    m3.configure(tmp_path, MODULE, selection, ["-p", "no:anyio"])
    cfg = _read_cfg(tmp_path)
    assert cfg["source_paths"] == ["seldon_graphs"]
    assert cfg["only_mutate"] == ["seldon_graphs/wrapper/context.py"]
    assert cfg["also_copy"] == ["Makefile", "graphs", "pyproject.toml", "wrappers"]
    assert cfg["pytest_add_cli_args_test_selection"] == selection
    assert cfg["pytest_add_cli_args"] == ["-p", "no:anyio"]
    assert cfg["timeout_multiplier"] == "3.0"
    assert cfg["timeout_constant"] == "15.0"
    assert cfg["use_git_change_detection"] == "false"


def test_a_saved_run_comes_back_with_only_its_kills(tmp_path: Path) -> None:
    repo, state = tmp_path / "repo", tmp_path / "build" / "wrapper.context.mutmut3.json"
    state.parent.mkdir()
    codes = {
        f"{FUNC}__mutmut_1": 1,  # killed
        f"{FUNC}__mutmut_2": 0,  # survived
        f"{FUNC}__mutmut_3": 36,  # a timeout the recheck confirmed
        f"{FUNC}__mutmut_4": -24,  # mutmut's timeout, not rechecked
        f"{FUNC}__mutmut_5": 33,  # no tests
        f"{FUNC}__mutmut_6": None,  # not reached
        f"{FUNC}__mutmut_7": 3,  # pytest's internal error
    }
    _meta(repo, codes)
    _stats(repo, {FUNC: ["t::a"]}, ["t::a", "t::b"])
    m3.save(repo, state, MODULE)
    fresh = tmp_path / "fresh"
    m3.restore(state, fresh, MODULE)
    assert m3.read_results(fresh, MODULE) == {
        f"{FUNC}__mutmut_1": 1,
        f"{FUNC}__mutmut_2": None,
        f"{FUNC}__mutmut_3": 36,
        f"{FUNC}__mutmut_4": None,
        f"{FUNC}__mutmut_5": None,
        f"{FUNC}__mutmut_6": None,
        f"{FUNC}__mutmut_7": 3,
    }
    stats = json.loads((fresh / "mutants" / "mutmut-stats.json").read_text())
    assert stats["tests_by_mangled_function_name"] == {FUNC: ["t::a"]}
    meta = json.loads((fresh / "mutants/seldon_graphs/wrapper/context.py.meta").read_text())
    assert meta["hash_by_function_name"] == {"x__quote": "abc"}  # mutmut keeps results by it


def test_nothing_saved_is_nothing_restored(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    m3.save(tmp_path / "repo", state, MODULE)  # stopped before mutmut made its mutants
    assert not state.exists()
    m3.restore(state, tmp_path / "repo", MODULE)
    assert not (tmp_path / "repo").exists()


def test_the_recheck_takes_every_untested_kind_but_whole_set_survivors() -> None:
    codes = {
        f"{FUNC}__mutmut_1": 0,
        f"{FUNC}__mutmut_2": 1,
        f"{FUNC}__mutmut_3": 33,
        f"{FUNC}__mutmut_4": -24,
        f"{FUNC}__mutmut_5": -9,
        f"{FUNC}__mutmut_6": None,
        f"{FUNC}__mutmut_7": 36,
        f"{OTHER}__mutmut_1": 0,
        f"{OTHER}__mutmut_2": 2,
    }
    narrowed = {"tests_by_mangled_function_name": {FUNC: ["t::a"], OTHER: ["t::a", "t::b"]}}
    stats = {**narrowed, "duration_by_test": {"t::a": 0.1, "t::b": 0.2}}
    assert m3.to_recheck(codes, stats) == [
        f"{FUNC}__mutmut_1",
        f"{FUNC}__mutmut_3",
        f"{FUNC}__mutmut_4",
        f"{FUNC}__mutmut_5",
        f"{OTHER}__mutmut_2",
    ]
    # Without stats, a survivor cannot be known to have met every test.
    assert f"{OTHER}__mutmut_1" in m3.to_recheck(codes, None)


# The "test set" of the recheck: fails for mutants 1 and 2, hangs for 3 (with a child of its
# own, which the timeout must end too, its pid written and sent to the socket argv[2] when
# given), passes otherwise; it notes each mutant it saw, where it ran and its PYTHONPATH.
_TESTS = """
import os, socket, subprocess, sys, time
name = os.environ["MUTANT_UNDER_TEST"]
with open(os.path.join(sys.argv[1], name.rsplit("_", 1)[1]), "w") as note:
    note.write(os.getcwd() + "\\n" + os.environ["PYTHONPATH"])
if name.endswith(("_1", "_2")):
    sys.exit(1)
if name.endswith("_3"):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(os.path.join(sys.argv[1], "child"), "w") as out:
        out.write(str(child.pid))
    if len(sys.argv) > 2:
        with socket.socket(socket.AF_UNIX) as started:
            started.connect(sys.argv[2])
            started.sendall(str(child.pid).encode())
    time.sleep(60)
"""


def _ends(pid: int, seconds: float) -> bool:
    """Whether process `pid` (not a child of this one) ends within `seconds`: a pidfd turns
    readable when it exits."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # gone already
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def test_the_recheck_runs_each_alone_with_the_whole_set(tmp_path: Path) -> None:
    repo, seen = tmp_path / "repo", tmp_path / "seen"
    seen.mkdir()
    _meta(
        repo,
        {
            f"{FUNC}__mutmut_1": 0,
            f"{FUNC}__mutmut_2": 1,
            f"{FUNC}__mutmut_3": -24,
            f"{FUNC}__mutmut_4": 33,
            f"{FUNC}__mutmut_5": None,
        },
    )
    command = [sys.executable, "-c", _TESTS, str(seen)]
    m3.recheck(repo, MODULE, 3.0, 2, command)
    assert m3.read_results(repo, MODULE) == {
        f"{FUNC}__mutmut_1": 1,  # survived its narrowed tests, killed by the whole set
        f"{FUNC}__mutmut_2": 1,  # killed: not run again
        f"{FUNC}__mutmut_3": 36,  # still hangs: a timeout, counted as killed
        f"{FUNC}__mutmut_4": 0,  # no test called it, nor fails with it
        f"{FUNC}__mutmut_5": None,  # not reached by the run: left for the next one
    }
    assert sorted(p.name for p in seen.iterdir()) == ["1", "3", "4", "child"]
    mutants = repo / "mutants"
    assert (seen / "4").read_text() == f"{mutants}\n{mutants}"
    assert _ends(int((seen / "child").read_text()), 10)  # with the run that started it
    assert m3.count(m3.read_results(repo, MODULE)) == (3, 5)
    assert m3.survivors(m3.read_results(repo, MODULE)) == [f"{FUNC}__mutmut_4"]


def test_count_takes_kills_timeouts_and_type_checks_over_every_mutant() -> None:
    codes = {"a": 1, "b": 3, "c": 36, "d": 37, "e": 0, "f": None, "g": 33, "h": -24}
    assert m3.count(codes) == (4, 8)
    assert m3.survivors(codes) == ["e"]
    assert m3.count({}) == (0, 0)


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _meta(tmp_path, {f"{FUNC}__mutmut_1": 1, f"{FUNC}__mutmut_2": 0})
    assert m3.main(["count", str(tmp_path), MODULE]) == 0
    assert m3.main(["survivors", str(tmp_path), MODULE]) == 0
    assert m3.main(["recheck", str(tmp_path), MODULE, "5", "1", "--"]) == 2  # no command
    assert m3.main(["report"]) == 2
    out, err = capsys.readouterr()
    assert out == f"1 2\n{FUNC}__mutmut_2\n"
    assert err == (
        f"usage: mutation_mutmut3.py recheck {tmp_path} {MODULE} 5 1 --: not a command\n"
        "usage: mutation_mutmut3.py report: not a command\n"
    )


def test_a_stopped_recheck_ends_its_runs(tmp_path: Path) -> None:
    """SIGTERM to the helper (the lead's group kill, or ^C) ends every test run it started,
    though each has a process group of its own, and records nothing for them."""
    repo, seen = tmp_path / "repo", tmp_path / "seen"
    seen.mkdir()
    _meta(repo, {f"{FUNC}__mutmut_3": 0})
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / "started"))
        listener.listen(1)
        listener.settimeout(60)
        helper = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "mutation_mutmut3.py"), "recheck",
             str(repo), MODULE, "120", "1", "--", sys.executable, "-c", _TESTS, str(seen),
             str(tmp_path / "started")],
        )  # fmt: skip
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(60)
                child = int(conn.recv(64))
        finally:
            helper.send_signal(signal.SIGTERM)
    assert helper.wait(timeout=30) == 128 + signal.SIGTERM
    assert _ends(child, 10)
    assert m3.read_results(repo, MODULE) == {f"{FUNC}__mutmut_3": 0}


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"MUTATION_ENGINE": "4"}, ["wrapper/context"], "MUTATION_ENGINE is 2 or 3"),
        ({"MUTATION_ENGINE": "3"}, ["wrapper/nothing"], "unknown module wrapper/nothing"),
    ],
)
def test_the_script_refuses_a_bad_engine_or_module_before_anything_runs(
    tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "mutation.sh"), *args],
        env={**os.environ, "TMPDIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[0] == f"mutation: {message}" + (
        " (mutmut 2 or 3), not 4" if "ENGINE" in message else ""
    )
    assert list(tmp_path.iterdir()) == []  # no copy of the work tree was made
