"""Turns raw census-style rows into the model features (a plain Seldon transformer)."""

from __future__ import annotations

from typing import Any

import numpy as np

# Raw columns: age, education years, hours per week, capital gain.
MEANS = np.array([38.6, 10.1, 40.4, 1079.0])
SCALES = np.array([13.6, 2.6, 12.3, 7452.0])


class Features:
    def transform_input(self, X: Any, features_names: list[str] | None = None) -> np.ndarray:
        rows = np.asarray(X, dtype=float).reshape(-1, 4)
        scaled = (rows - MEANS) / SCALES
        # capital gain is heavy-tailed: log it before scaling
        scaled[:, 3] = np.log1p(rows[:, 3]) / np.log1p(SCALES[3])
        return scaled
