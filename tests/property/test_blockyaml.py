"""blockyaml writes exactly the bytes emit's PyYAML dump writes, or declines (never differs)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from seldon_graphs import blockyaml, emit
from tests.property.conftest import REPO, examples

GOLDENS = sorted((REPO / "tests" / "golden").glob("*.yaml"))

# Characters that change a scalar's style or folding: indicators, quotes, spaces, breaks,
# tabs, control and non-ASCII characters, a byte-order mark, surrogate-free astral ones.
_TRICKY = " -:#,[]{}&*!|>'\"%@`?\\\n\r\t\x85\u2028\u2029\xa0\ufeff\x00\x07é漢😀~."
_WORDS = ["true", "no", "on", "null", "~", "1", "0x1f", "1_000", "1e3", ".5", "2001-12-14",
          "-", "---", "...", "<<", "=", "s3://b/m", "a b", "a: b", "a #b", "x" * 120]  # fmt: skip
texts = st.one_of(
    st.text(alphabet=st.sampled_from(_TRICKY + "ab09"), max_size=12),
    st.text(max_size=30),
    st.sampled_from(_WORDS),
    # long runs of words: plain and quoted folding at the width
    st.lists(st.sampled_from(["word", "a", "", "'q'", "x:y", "é"]), max_size=40).map(" ".join),
    st.lists(st.sampled_from(["line", "", " lead", "trail ", "\t"]), max_size=5).map("\n".join),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), texts
)  # fmt: skip


def _data(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=25,
    )


documents = st.dictionaries(texts, _data(texts), min_size=1, max_size=5)
names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9.-]{0,20}", fullmatch=True)
manifests = st.dictionaries(names, _data(names), min_size=1, max_size=5)


def _same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (a float read back from `.nan`)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=examples(400))
@given(documents)
def test_output_is_pyyamls_byte_for_byte_and_reads_back(doc: dict[str, Any]) -> None:
    ours = blockyaml.dump(doc)
    old = emit._pyyaml_dump(doc)
    assert ours is None or ours == old
    assert emit.to_yaml(doc) == old
    if not _exotic_breaks(doc):  # PyYAML itself reads `\x85` and kin back as spaces
        assert _same(yaml.safe_load(old), doc)


def _exotic_breaks(value: Any) -> bool:
    if isinstance(value, str):
        return any(c in value for c in "\x85\u2028\u2029")
    if isinstance(value, dict):
        return any(_exotic_breaks(k) or _exotic_breaks(v) for k, v in value.items())
    return isinstance(value, list) and any(_exotic_breaks(v) for v in value)


@settings(max_examples=examples(200))
@given(manifests)
def test_manifest_like_documents_take_the_fast_path(doc: dict[str, Any]) -> None:
    """With keys like a manifest's it declines only a document PyYAML ends with `...`."""
    old = emit._pyyaml_dump(doc)
    assert blockyaml.dump(doc) == (None if old.endswith("\n...\n") else old)


@pytest.mark.parametrize("golden", GOLDENS, ids=[g.stem for g in GOLDENS])
def test_every_golden_is_written_by_the_fast_path(golden: Path) -> None:
    text = golden.read_text(encoding="utf-8")
    assert blockyaml.dump(yaml.safe_load(text)) == text


_SHARED: dict[str, int] = {"a": 1}
_EMPTY: list[Any] = []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"x": _SHARED, "y": [_SHARED]}, "x: &id001\n  a: 1\ny:\n  - *id001\n"),
        ({"x": _EMPTY, "y": {"z": _EMPTY}}, "x: &id001 []\ny:\n  z: *id001\n"),
    ],
    ids=["mapping", "empty-list"],
)
def test_a_shared_sub_object_is_left_to_pyyaml_which_anchors_it(
    doc: dict[str, Any], expected: str
) -> None:
    assert blockyaml.dump(doc) is None
    assert emit.to_yaml(doc) == expected


@pytest.mark.parametrize(
    "doc",
    [
        {"k" * 130: 1},  # PyYAML writes `? kkk...` for a key this long
        {"": 1},  # and for an empty key
        {1: "int key"},
        {"t": (1, 2)},  # SafeDumper refuses tuples: the same error as before
        {"last": "ends\n\n"},  # a `|+` block last: PyYAML ends the document with `...`
    ],
    ids=["long-key", "empty-key", "int-key", "tuple", "keep-block-last"],
)
def test_what_it_declines_still_comes_out_as_before(doc: dict[Any, Any]) -> None:
    assert blockyaml.dump(doc) is None
    try:
        old = emit._pyyaml_dump(doc)
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            emit.to_yaml(doc)
    else:
        assert emit.to_yaml(doc) == old


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {"a": [{"b": [[1, 2], []], "c": {}}]},
            "a:\n  - b:\n      - - 1\n        - 2\n      - []\n    c: {}\n",
        ),
        ({"on": "yes", "n": "", "f": 1e20, "g": -0.0}, "'on': 'yes'\nn: ''\nf: 1.0e+20\ng: -0.0\n"),
        ({"s": "two\nlines", "t": True, "u": None}, "s: |-\n  two\n  lines\nt: true\nu: null\n"),
    ],
    ids=["nesting", "quoting-and-floats", "literal-and-constants"],
)  # fmt: skip
def test_known_shapes(doc: dict[str, Any], expected: str) -> None:
    assert blockyaml.dump(doc) == expected == emit._pyyaml_dump(doc)
