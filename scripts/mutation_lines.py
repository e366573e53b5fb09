"""Which tests run which line of the module under mutation (scripts/mutation.sh).

A mutant can only change what a test does if that test runs the mutated line, so each
mutant need only be tested by those tests: on a shared machine that is most of the cost of
`make mutation`. Two halves:

- a pytest plugin (`-p mutation_lines`, with MUTATION_LINES_MODULE and MUTATION_LINES_OUT
  set): one traced run of the module's test set records, for each line of the module, the
  tests that ran it, in the order they ran;
- `pre_mutation`, mutmut's hook: each mutant is tested by the tests that ran its line;
- `narrowed_survivors`: the survivors of such a run, to be confirmed by the whole set.

A test counts as running a line if the line ran during its setup, call or teardown, or
during the setup of a fixture it uses (set up by an earlier test: a module fixture's start
is what every later test of that module relies on). A line that ran outside every test (at
import: constants, defaults, decorators) or never ran under the trace gets the whole set,
so a mutant is never tested by fewer tests than could notice it, short of state a test
leaves to a later one outside fixtures.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

TraceFn = Any  # sys.settrace's callback type is not public

ALL = "*"  # in the map: lines that ran outside every test


class Recorder:
    """Lines of one file, each with the owners (tests, fixtures) active when it ran."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.owners: list[str] = []  # the test, then the fixtures being set up inside it
        self.lines: dict[int, set[str]] = {}
        self.lock = threading.Lock()

    def global_trace(self, frame: FrameType, event: str, arg: object) -> TraceFn:
        return self.local_trace if frame.f_code.co_filename == self.path else None

    def local_trace(self, frame: FrameType, event: str, arg: object) -> TraceFn:
        if event == "line":
            with self.lock:
                owners = self.owners or [ALL]
                self.lines.setdefault(frame.f_lineno, set()).update(owners)
        return self.local_trace


class Plugin:
    def __init__(self, recorder: Recorder, out: Path) -> None:
        self.recorder = recorder
        self.out = out
        self.order: list[str] = []
        self.fixtures: dict[str, list[str]] = {}  # test -> the fixture keys it uses

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        self.order.append(item.nodeid)
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else []
        self.fixtures[item.nodeid] = [_key(d[-1]) for d in defs if d]
        with self.recorder.lock:
            self.recorder.owners = [item.nodeid]
        yield
        with self.recorder.lock:
            self.recorder.owners = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any) -> Generator[None, None, None]:
        with self.recorder.lock:
            pushed = bool(self.recorder.owners)
            if pushed:  # a fixture's lines belong to every test that uses it
                self.recorder.owners.append(_key(fixturedef))
        yield
        with self.recorder.lock:
            if pushed:
                self.recorder.owners.pop()

    def pytest_sessionfinish(self) -> None:
        sys.settrace(None)
        threading.settrace(None)
        users: dict[str, list[str]] = {}
        for test, keys in self.fixtures.items():
            for key in keys:
                users.setdefault(key, []).append(test)
        rank = {test: i for i, test in enumerate(self.order)}
        by_line: dict[str, list[str]] = {}
        for line, owners in sorted(self.recorder.lines.items()):
            tests = {t for o in owners for t in users.get(o, [o])}
            ran = sorted((t for t in tests if t in rank), key=rank.__getitem__)
            by_line[str(line)] = [ALL] if ALL in tests else ran
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"tests": self.order, "lines": by_line}))
        tmp.replace(self.out)


def _key(fixturedef: Any) -> str:
    return f"fixture:{fixturedef.baseid}::{fixturedef.argname}"


def pytest_configure(config: pytest.Config) -> None:
    module, out = os.environ.get("MUTATION_LINES_MODULE"), os.environ.get("MUTATION_LINES_OUT")
    if not module or not out:
        return
    recorder = Recorder(str(Path(module).resolve()))
    config.pluginmanager.register(Plugin(recorder, Path(out)), "mutation-lines-recorder")
    threading.settrace(recorder.global_trace)
    sys.settrace(recorder.global_trace)


def tests_for(lines_file: str, line: int) -> list[str] | None:
    """The tests that ran `line` (1-based), in their order; None: run the whole set."""
    try:
        recorded = json.loads(Path(lines_file).read_text())
    except (OSError, ValueError):
        return None
    tests = recorded["lines"].get(str(line))
    if not tests or ALL in tests:
        return None
    return list(tests)


def pre_mutation(context: Any) -> None:
    """mutmut's hook (the copy's mutmut_config.py imports it): this lane's share of the
    mutants, each tested by the tests that run its line."""
    lane, lanes = int(os.environ["MUTATION_LANE"]), int(os.environ["MUTATION_LANES"])
    mutant = context.mutation_id
    context.skip = (mutant.line_number * 7 + mutant.index) % lanes != lane
    if context.skip:
        return
    tests = tests_for(os.environ["MUTATION_LINES_FILE"], mutant.line_number + 1)
    if tests is not None:
        prefix = os.environ["MUTATION_TEST_PREFIX"]
        context.config.test_command = " ".join([prefix, *map(shlex.quote, tests)])


def narrowed_survivors(cache: str, lines_file: str) -> list[int]:
    """The surviving mutants that only some of the tests were run on: a run of all of them
    confirms them (scripts/mutation.sh)."""
    with sqlite3.connect(cache) as db:
        rows = db.execute(
            "select Mutant.id, Line.line_number from Mutant join Line on Mutant.line = Line.id"
            " where Mutant.status = 'bad_survived'"
        ).fetchall()
    return [mid for mid, number in rows if tests_for(lines_file, number + 1) is not None]


if __name__ == "__main__":  # narrowed-survivors CACHE LINES_FILE
    print(" ".join(map(str, narrowed_survivors(sys.argv[2], sys.argv[3]))))
