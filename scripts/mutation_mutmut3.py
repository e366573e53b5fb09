"""mutmut 3 as scripts/mutation.sh's engine for the modules mutmut 2 cannot parse.

mutmut 2.5.1 reads a module with parso 0.8, which has no grammar for `match` (Python 3.10);
mutmut 3 reads it with libcst. mutmut 3 works differently: it copies the project into
`mutants/`, writes every mutant of a function into that copy behind a trampoline, and picks
the mutant a test run sees by the MUTANT_UNDER_TEST variable; each mutant is tested by the
tests that called its function in one traced run (its own narrowing, by function). Its
results are exit codes in `mutants/<module>.py.meta` (JSON). This file holds what the shell
script does with them, the same as with mutmut 2's cache:

- `engine FILE`: 2 when parso (mutmut 2's parser) reads the module, else 3;
- `configure REPO MODULE SELECTION...`: mutmut 3's settings, in the copy's setup.cfg;
- `restore STATE REPO MODULE` / `save REPO STATE MODULE`: the results kept between runs in
  build/mutation/ (killed stays killed; everything else is tested again);
- `recheck REPO MODULE SECONDS JOBS -- COMMAND...`: every mutant not killed by its narrowed
  run (survived, no tests, timed out, crashed) run again alone with the whole test set;
- `count REPO MODULE`: "killed total"; `survivors REPO MODULE`: their names.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from configparser import ConfigParser
from pathlib import Path
from typing import Any

PACKAGE = "seldon_graphs"
KILLED = 1  # pytest: tests failed
SURVIVED = 0
TIMEOUT = 36  # mutmut 3's own code for a timeout
# mutmut 3's exit codes (mutmut/stats.py) that count as killed: tests failed, pytest's
# internal error, a type checker's catch, a timeout confirmed by `recheck`.
KILLED_CODES = frozenset({1, 3, 37, TIMEOUT})
# Left as they are when restoring: never tested (the run stopped first).
UNTESTED = None
# mutmut's timeouts are CPU-time limits (SIGXCPU) and wall-clock ones (also SIGXCPU, from
# its checker thread): on a starved machine the second comes to a mutant that would pass.
_RECHECKED_TIMEOUTS = frozenset({24, -24, 152, 255})
# Never in a setup.cfg list: the copy's layout (the package, its tests), mutmut's own
# folder, and the link to ../shared (copying it would copy Seldon's whole reference tree).
_NOT_COPIED = frozenset({".git", "mutants", PACKAGE, "tests", "shared", "setup.cfg"})


def engine(module_file: Path) -> int:
    """2 when mutmut 2's parser (parso, error recovery off, as mutmut 2 calls it) reads the
    module, 3 when it does not."""
    import parso  # mutmut 2's dependency, in the project venv
    from parso.parser import ParserSyntaxError

    try:
        parso.parse(module_file.read_text(encoding="utf-8"), error_recovery=False)  # type: ignore[no-untyped-call]
    except ParserSyntaxError:
        return 3
    return 2


def module_path(module: str) -> str:
    """`wrapper/context` -> `seldon_graphs/wrapper/context.py`, as mutmut 3 names files."""
    return f"{PACKAGE}/{module}.py"


def meta_file(repo: Path, module: str) -> Path:
    return repo / "mutants" / f"{module_path(module)}.meta"


def stats_file(repo: Path) -> Path:
    return repo / "mutants" / "mutmut-stats.json"


def configure(repo: Path, module: str, selection: list[str], pytest_args: list[str]) -> None:
    """mutmut 3's settings in the copy's setup.cfg (it reads them there when pyproject.toml
    has no [tool.mutmut]): mutate `module` only, copy every other top-level entry of the copy
    into mutants/ beside the package and its tests (the tests read graphs/, wrappers/, ...
    relative to their own folder), and time out like mutmut 2 did here."""
    entries = sorted(p.name for p in repo.iterdir() if p.name not in _NOT_COPIED)
    cfg = ConfigParser(interpolation=None)
    cfg["mutmut"] = {
        "source_paths": _lines([PACKAGE]),
        "only_mutate": _lines([module_path(module)]),
        "also_copy": _lines(entries),
        "pytest_add_cli_args": _lines(pytest_args),
        "pytest_add_cli_args_test_selection": _lines(selection),
        # Wall-clock limit (estimated + constant) * multiplier, CPU limit twice that: a
        # mutant's own tests may take far longer at `nice -n 19` than in the traced run.
        "timeout_multiplier": "3.0",
        "timeout_constant": "15.0",
        # The copy is a repository without commits: nothing for git to compare.
        "use_git_change_detection": "false",
    }
    with (repo / "setup.cfg").open("w", encoding="utf-8") as out:
        cfg.write(out)


def _lines(values: list[str]) -> str:
    # A leading line break makes mutmut read a list even of one value.
    return "".join(f"\n{v}" for v in values)


def read_results(repo: Path, module: str) -> dict[str, int | None]:
    meta = json.loads(meta_file(repo, module).read_text(encoding="utf-8"))
    results: dict[str, int | None] = meta["exit_code_by_key"]
    return results


def set_result(repo: Path, module: str, name: str, code: int | None) -> None:
    path = meta_file(repo, module)
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["exit_code_by_key"][name] = code
    _write_atomically(path, json.dumps(meta, indent=4))


def save(repo: Path, state: Path, module: str) -> None:
    """The results and mutmut's test stats to `state`, one JSON file written atomically."""
    meta, stats = meta_file(repo, module), stats_file(repo)
    if not meta.is_file():
        return  # stopped before mutmut made its mutants: nothing new to keep
    kept = {
        "meta": json.loads(meta.read_text(encoding="utf-8")),
        "stats": json.loads(stats.read_text(encoding="utf-8")) if stats.is_file() else None,
    }
    _write_atomically(state, json.dumps(kept))


def restore(state: Path, repo: Path, module: str) -> None:
    """A kept state into the copy's mutants/ before a run: killed mutants keep their result
    (mutmut 3 reuses it for every function whose text is unchanged); every other mutant is
    tested again, as tests may have been added since."""
    if not state.is_file():
        return
    kept = json.loads(state.read_text(encoding="utf-8"))
    meta = kept["meta"]
    meta["exit_code_by_key"] = {
        name: code if code in KILLED_CODES else UNTESTED
        for name, code in meta["exit_code_by_key"].items()
    }
    path = meta_file(repo, module)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(meta, indent=4), encoding="utf-8")
    if kept["stats"] is not None:
        stats_file(repo).write_text(json.dumps(kept["stats"], indent=4), encoding="utf-8")


def to_recheck(results: dict[str, int | None], stats: dict[str, Any] | None) -> list[str]:
    """Every mutant a run tested and did not kill: those no test called in the traced run,
    timeouts, crashes, and survivors of fewer tests than the whole set (a survivor whose
    function every test of the traced run called has met the whole set already)."""
    return sorted(
        name
        for name, code in results.items()
        if code is not None
        and code not in KILLED_CODES
        and not (code == SURVIVED and _ran_every_test(name, stats))
    )


def _ran_every_test(name: str, stats: dict[str, Any] | None) -> bool:
    if stats is None:
        return False
    function = name.rsplit("__mutmut_", 1)[0]  # mutmut's mangled name of the function
    tests = set(stats["tests_by_mangled_function_name"].get(function, ()))
    return bool(tests) and tests >= set(stats["duration_by_test"])


def recheck(repo: Path, module: str, seconds: float, jobs: int, command: list[str]) -> None:
    """Each mutant of `to_recheck` run alone with `command` (the whole test set) in mutants/,
    `jobs` at a time: killed if the tests fail or still time out after `seconds`, survived
    if they pass. Each result is written as it comes, so a stopped recheck loses none."""
    stats_path = stats_file(repo)
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.is_file() else None
    results = read_results(repo, module)
    names = to_recheck(results, stats)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop_runs)
    pool = ThreadPoolExecutor(max_workers=max(jobs, 1))
    try:
        runs = {pool.submit(_run_one, repo / "mutants", n, seconds, command): n for n in names}
        for run in as_completed(runs):
            name, code = runs[run], run.result()
            set_result(repo, module, name, code)
            shown = "survived" if code == SURVIVED else "killed"
            print(f"mutation: {_status(results[name])} {name} rechecked: {shown}", file=sys.stderr)
    finally:
        pool.shutdown(cancel_futures=True)


def _status(code: int | None) -> str:
    if code == SURVIVED:
        return "survived"
    if code in (33, 5):
        return "no-tests"
    return "timeout" if code in _RECHECKED_TIMEOUTS else f"exit-{code}"


# The process groups of the test runs going on: each run has its own, so that a timeout ends
# whatever the tests started too; `_stop_runs` ends them all when the recheck is stopped.
_RUNNING: set[int] = set()
_STOPPING = threading.Event()


def _run_one(mutants: Path, name: str, seconds: float, command: list[str]) -> int:
    # The mutated package in mutants/ first, for the tests and any python they start.
    env = {**os.environ, "MUTANT_UNDER_TEST": name, "PYTHONPATH": str(mutants)}
    with subprocess.Popen(
        command,
        cwd=mutants,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    ) as proc:
        _RUNNING.add(proc.pid)
        if _STOPPING.is_set():  # stopped while this run was starting
            _kill_group(proc.pid)
        try:
            return SURVIVED if proc.wait(timeout=seconds) == 0 else KILLED
        except subprocess.TimeoutExpired:
            return TIMEOUT
        finally:
            _kill_group(proc.pid)
            _RUNNING.discard(proc.pid)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the run and all it started have ended
        os.killpg(pgid, signal.SIGKILL)


def _stop_runs(signum: int, frame: object) -> None:
    _STOPPING.set()
    for pgid in list(_RUNNING):
        _kill_group(pgid)
    raise SystemExit(128 + signum)


def count(results: dict[str, int | None]) -> tuple[int, int]:
    """(killed, total): every mutant counts in the total, tested or not."""
    return sum(code in KILLED_CODES for code in results.values()), len(results)


def survivors(results: dict[str, int | None]) -> list[str]:
    return sorted(n for n, code in results.items() if code == SURVIVED)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str]) -> int:
    match argv:
        case ["engine", file]:
            print(engine(Path(file)))
        case ["configure", repo, module, selection, pytest_args]:
            configure(Path(repo), module, shlex.split(selection), shlex.split(pytest_args))
        case ["restore", state, repo, module]:
            restore(Path(state), Path(repo), module)
        case ["save", repo, state, module]:
            save(Path(repo), Path(state), module)
        case ["recheck", repo, module, seconds, jobs, "--", *command] if command:
            recheck(Path(repo), module, float(seconds), int(jobs), command)
        case ["count", repo, module]:
            print(*count(read_results(Path(repo), module)))
        case ["survivors", repo, module]:
            print(*survivors(read_results(Path(repo), module)))
        case _:
            print(f"usage: mutation_mutmut3.py {' '.join(argv)}: not a command", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
