"""Where each character of a scalar was written: the one-line shortcut (a scalar written as
its value reads) gives exactly what decoding the source character by character gives."""

from __future__ import annotations

import pytest

from seldon_graphs import scalarpos
from seldon_graphs.diagnostics import Reporter
from seldon_graphs.yamlpos import LMap, LScalar, load_document

# (YAML value as written after `flow: `, whether the shortcut applies)
WRITTEN = [
    ("a -> b -> c", True),
    ("a -> [b, c] -> d", True),  # plain: `[` only starts a sequence at the value's start
    ('"a -> [b, c] -> d"', True),
    ("'a -> [b, c] -> d'", True),
    ("a ->  b\t-> c", True),
    ("'it''s -> b'", False),
    ('"a -> \\"b\\""', False),
    ('"a\\tb -> c"', False),
    ('"a -> \\u00e9"', False),
    ("!!str a -> b", False),
    ("&x a -> b", False),
    ("é -> 漢字 -> b", True),
    ("a -> b  # a comment", True),
    ("|\n  a -> b\n  -> c\n", False),
    (">-\n  a -> b\n  -> c\n", False),
    ("a -> b\n  -> c", False),  # plain, folded over two lines
    ('"a -> b\n  -> c"', False),
    ("'a\\b -> c'", False),  # a backslash in single quotes is itself: decoded the long way
]


def _flow_scalar(written: str) -> LScalar | None:
    doc = load_document(f"name: g\nflow: {written}\n", Reporter("g.yaml"))
    assert isinstance(doc, LMap)
    flow = doc.get("flow")
    return flow if isinstance(flow, LScalar) else None


@pytest.mark.parametrize(("written", "short"), WRITTEN)
def test_the_shortcut_agrees_with_decoding(written: str, short: bool) -> None:
    scalar = _flow_scalar(written)
    assert scalar is not None and isinstance(scalar.value, str) and scalar.written is not None
    decoded = scalarpos._decoded_spots(scalar.value, scalar.written)
    shortcut = scalarpos._verbatim_spots(scalar.value, scalar.written)
    assert scalarpos.value_spots(scalar.value, scalar.written) == decoded
    assert decoded is not None
    assert (shortcut is not None) == short
    if short:
        assert shortcut == decoded


def test_the_shortcut_points_at_each_character_of_a_long_flow() -> None:
    names = [f"m{i}" for i in range(300)]
    scalar = _flow_scalar('"' + " -> ".join(names) + '"')
    assert scalar is not None and isinstance(scalar.value, str) and scalar.written is not None
    spots = scalarpos._verbatim_spots(scalar.value, scalar.written)
    assert spots is not None
    last = scalar.value.rindex("m299")
    assert spots[last] == scalarpos.Spot(2, len('flow: "') + last + 1, 1)
    assert spots[2] is None  # the blank after `m0`
