"""Turns averaged class probabilities into labels. A plain `predict` class: the compiler
runs it as an output transformer because it consumes the combiner's result."""

from __future__ import annotations

from typing import Any

import numpy as np


class Labels:
    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)

    def predict(self, X: Any, features_names: list[str] | None = None) -> list[str]:
        probs = np.asarray(X, dtype=float).reshape(len(X), -1)
        return [">50K" if row[-1] >= self.threshold else "<=50K" for row in probs]

    def tags(self) -> dict[str, Any]:
        return {"threshold": self.threshold}
