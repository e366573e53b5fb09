"""Stock transformers: identity and column selection.

Plain Seldon-contract classes (`transform_input(X, names)`), standalone (numpy and
seldon_core only): this file is copied as is into wrapper images. The adapter maps them onto
whatever role the graph gives them (an output transformer, or the last node of a chain).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from seldon_core.flask_utils import SeldonMicroserviceException
from seldon_core.user_model import SeldonNotImplementedError


def _bad_data(message: str) -> SeldonMicroserviceException:
    """A 400 for the caller; with the message in args too (seldon_core's own drops it)."""
    exc = SeldonMicroserviceException(message)
    exc.args = (message,)
    return exc


class _KeepsNames:
    """Reports the column names of the last response from `class_names` (same thread)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _remember(self, names: Sequence[str]) -> None:
        self._local.names = list(names)

    def class_names(self) -> list[str]:
        names: list[str] = getattr(self._local, "names", [])
        if not names:
            raise SeldonNotImplementedError("no names")  # seldon_core falls back to t:0, t:1
        return names


class Identity(_KeepsNames):
    """Passes its input through unchanged, names included (`stock: identity`)."""

    def transform_input(self, X: Any, feature_names: Sequence[str]) -> Any:
        self._remember(feature_names or [])
        return X


def parse_columns(columns: str) -> list[int | str]:
    """`"0,2"` -> [0, 2]; `"age, income"` -> ["age", "income"]."""
    items = [c.strip() for c in str(columns).split(",") if c.strip()]
    if not items:
        raise ValueError(f"column-select: columns {columns!r} must list at least one column")
    return [int(c) if c.lstrip("-").isdigit() else c for c in items]


class ColumnSelect(_KeepsNames):
    """Keeps the listed columns, by index or by name, in that order (`stock: column-select`)."""

    def __init__(self, columns: str) -> None:
        super().__init__()
        self.columns = parse_columns(columns)

    def transform_input(self, X: Any, feature_names: Sequence[str]) -> Any:
        data = np.asarray(X)
        if data.ndim != 2:
            raise _bad_data(
                f"column-select: expected a 2-D table (rows x columns), got shape {data.shape}"
            )
        names = list(feature_names or [])
        indices = [self._index(c, names, data.shape[1]) for c in self.columns]
        self._remember([names[i] for i in indices] if names else [])
        return data[:, indices]

    @staticmethod
    def _index(column: int | str, names: list[str], width: int) -> int:
        if isinstance(column, int):
            if not -width <= column < width:
                raise _bad_data(f"column-select: column {column} out of range for {width} columns")
            return column % width
        if column not in names:
            raise _bad_data(f"column-select: no column named {column!r} (request names: {names})")
        return names.index(column)
