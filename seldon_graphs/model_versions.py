"""Which library versions wrote a model file, read without loading it.

Pickles are never unpickled (that runs code from the file): the bytes are scanned for what
scikit-learn writes into every estimator's state (`_sklearn_version`), the modules they
import and the tree node fields. xgboost's JSON and UBJSON files carry `version`; MLmodel
files are YAML. Anything unreadable yields None: the check then says nothing.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

MAX_BYTES = 256 * 1024 * 1024  # a bigger model is not scanned: validate must stay quick
_SKLEARN_VERSION = re.compile(
    rb"_sklearn_version\x94?(?:\x8c.|X....)(\d+\.\d+[0-9A-Za-z.+-]*)", re.S
)
_SKLEARN_MODULE = re.compile(rb"sklearn\.([A-Za-z_][A-Za-z0-9_]*)")
# Added to the tree node dtype in scikit-learn 1.3: older versions refuse such pickles.
TREE_FIELD_1_3 = b"missing_go_to_left"


@dataclass(frozen=True)
class SklearnPickle:
    versions: tuple[str, ...]  # every `_sklearn_version` found, sorted
    modules: frozenset[str]  # top-level sklearn submodules referenced (`_loss`, `tree`...)
    trees_1_3: bool  # tree nodes in the >= 1.3 layout


@dataclass(frozen=True)
class XgboostModel:
    format: str  # "json", "ubj" or "binary"
    version: tuple[int, ...] | None


def read_bytes(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return _decompressed(data)


def _decompressed(data: bytes) -> bytes:
    """joblib's compressed formats that the standard library reads; else the bytes as-is."""
    opener: dict[bytes, Callable[[bytes], bytes]] = {
        b"\x1f\x8b": gzip.decompress,
        b"BZh": bz2.decompress,
        b"\xfd7zXZ": lzma.decompress,
        b"x": zlib.decompress,
    }
    for magic, decompress in opener.items():
        if data.startswith(magic):
            try:
                return decompress(data)
            except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error):
                return data
    return data


def sklearn_pickle(path: Path) -> SklearnPickle | None:
    data = read_bytes(path)
    if data is None:
        return None
    versions = sorted({m.decode() for m in _SKLEARN_VERSION.findall(data)})
    if not versions:
        return None
    modules = frozenset(m.decode() for m in _SKLEARN_MODULE.findall(data))
    return SklearnPickle(tuple(versions), modules, TREE_FIELD_1_3 in data)


def xgboost_model(path: Path) -> XgboostModel | None:
    data = read_bytes(path)
    if not data:
        return None
    if data[:1] != b"{":
        return XgboostModel("binary", None)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return XgboostModel("ubj", _ubj_version(data))
    version = doc.get("version") if isinstance(doc, dict) else None
    ok = isinstance(version, list) and all(isinstance(v, int) for v in version)
    return XgboostModel("json", tuple(version) if ok and version else None)


# UBJSON integer markers: struct format and size.
_UBJ_INT = {b"i": ("b", 1), b"U": ("B", 1), b"I": ("h", 2), b"l": ("i", 4), b"L": ("q", 8)}


def _ubj_version(data: bytes) -> tuple[int, ...] | None:
    """`version` in UBJSON: an optimized int array (`[$l#i\\x03` + int32s) or plain items."""
    key = data.find(b"\x07version[")
    if key < 0:
        return None
    rest = data[key + len(b"\x07version[") :]
    typed = re.match(rb"\$([iUIlL])#([iUIlL])", rest)
    if typed:
        kind, count_kind = typed.group(1), typed.group(2)
        start = typed.end() + _UBJ_INT[count_kind][1]
        (count,) = struct.unpack(">" + _UBJ_INT[count_kind][0], rest[typed.end() : start])
        body = rest[start : start + _UBJ_INT[kind][1] * count]
        fmt = ">" + _UBJ_INT[kind][0] * count
        return tuple(struct.unpack(fmt, body)) if struct.calcsize(fmt) == len(body) else None
    items = re.match(rb"((?:i.|l....)+)\]", rest, re.S)
    if not items:
        return None
    found = re.findall(rb"i(.)|l(....)", items.group(1), re.S)
    return tuple(
        struct.unpack(">b", small)[0] if small else struct.unpack(">i", big)[0]
        for small, big in found
    )


def mlflow_version(path: Path) -> str | None:
    """`mlflow_version` of an MLmodel file."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    version = doc.get("mlflow_version") if isinstance(doc, dict) else None
    return str(version) if version else None
