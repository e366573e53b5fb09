"""Graph files that are not what YAML expects: bad bytes, tabs, several documents, no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seldon_graphs import api
from seldon_graphs.cli import main
from tests.helpers import project

GOOD = b"name: g\nnodes:\n  m: {python: models.py:Model}\n"


def _analyze(tmp_path: Path, data: bytes) -> api.Analysis:
    file = project(tmp_path) / "graph.yaml"
    file.write_bytes(data)
    return api.analyze(file)


@pytest.mark.parametrize(
    ("data", "line", "col", "byte"),
    [
        (b"\xffname: g\n", 1, 1, 0xFF),
        (b"name: g\nnodes:\n  # caf\xe9\n", 3, 8, 0xE9),
        (b"name: g\r\nnodes:\r\n  m: {python: x}  # \x80\r\n", 3, 21, 0x80),
        # Columns count characters: the valid two-byte `é` before the bad byte is one.
        ("name: g\nnodes:\n  # é ".encode() + b"\xc3(", 3, 7, 0xC3),
        (b"name: g\nnodes:\n  m: {python: models.py:Model}\n\n\n# \xfe", 6, 3, 0xFE),
    ],
)
def test_a_non_utf8_byte_is_reported_at_its_line_and_column(
    tmp_path: Path, data: bytes, line: int, col: int, byte: int
) -> None:
    result = _analyze(tmp_path, data)
    [d] = result.diagnostics
    assert (d.rule, d.line, d.col) == ("encoding", line, col)
    assert d.message == f"the graph file is not UTF-8: byte 0x{byte:02x} cannot be decoded"
    assert d.help == "save the file as UTF-8 (graph files are YAML, which is Unicode)"
    shown = result.render().splitlines()
    assert shown[1].startswith(f"{line} | ")  # the source line is quoted, bad byte replaced
    assert shown[2].index("^") - shown[1].index("|") == col + 1


def test_a_non_utf8_file_fails_validate_with_exit_1_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project(tmp_path) / "graph.yaml"
    file.write_bytes(b"name: g\nnodes:\n  m: {python: models.py:Model}  # \xe9\n")
    assert main(["validate", "--format", "json", str(file)]) == 1
    [record] = json.loads(capsys.readouterr().out)
    assert (record["rule"], record["line"], record["column"]) == ("encoding", 3, 35)


@pytest.mark.parametrize(
    "text",
    [
        "name: g\nnodes:\n\tm: {python: models.py:Model}\n",
        "name: g\nnodes:\n  m:\n  \tpython: models.py:Model\n",
        "name: g\nnodes:\n  m:\n    python: models.py:Model\n\tkind: model\n",
        "name: g\nnodes:\n  m:\n \t  python: models.py:Model\n",
    ],
)
def test_tab_indentation_gets_the_tabs_help(tmp_path: Path, text: str) -> None:
    [d] = _analyze(tmp_path, text.encode()).diagnostics
    assert (d.rule, d.help) == ("yaml-syntax", "YAML indents with spaces, not tabs")


def test_a_tab_inside_a_value_is_no_indentation_problem(tmp_path: Path) -> None:
    result = _analyze(tmp_path, GOOD + b'labels: {team: "a\tb"}\n')
    assert [d.rule for d in result.diagnostics] == ["bad-label"]


def test_several_documents_say_how_to_fix_it(tmp_path: Path) -> None:
    [d] = _analyze(tmp_path, GOOD + b"---\n" + GOOD).diagnostics
    assert (d.rule, d.line, d.col) == ("yaml-documents", 5, 1)
    assert d.help == (
        "remove the `---` line and what follows, or put each graph in a file of its own"
    )


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_an_unreadable_graph_file_says_so_with_help(tmp_path: Path, make: str) -> None:
    path = tmp_path / "graph.yaml"
    if make == "directory":
        path.mkdir()
    [d] = api.analyze(path).diagnostics
    reason = "[Errno 2] No such file or directory" if make == "missing" else "[Errno 21] Is a"
    assert d.rule == "io"
    assert d.message.startswith(f"cannot read the graph file: {reason}")
    assert d.help == "check the path, and that the file is readable"


@pytest.mark.parametrize(
    "command",
    [["validate"], ["compile", "-o", "out"], ["explain"], ["graph"], ["diff"], ["deploy"]],
)
def test_every_command_reports_a_non_utf8_graph_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    file = project(tmp_path) / "graph.yaml"
    file.write_bytes(b"name: g\nnodes:\n  m: {python: models.py:Model}  # \xe9\n")
    assert main([command[0], str(file), *command[1:]]) == 1
    captured = capsys.readouterr()
    assert "error: the graph file is not UTF-8: byte 0xe9 cannot be decoded [encoding]" in (
        captured.out + captured.err
    )
    assert "Traceback" not in captured.out + captured.err


def test_a_lone_surrogate_in_text_given_as_a_str_is_a_diagnostic_not_a_crash() -> None:
    """Hypothesis found it: the C YAML loader encodes the str to UTF-8 and raised."""
    result = api.analyze_text("name: g\nnodes:\n  a: {python: x\ud800y.py:A}\n", Path("g.yaml"))
    assert [(d.line, d.col, d.rule, d.message) for d in result.diagnostics] == [
        (3, 16, "yaml-syntax", "U+D800 is a lone surrogate, not a character: not valid Unicode")
    ]
    assert not result.ok
