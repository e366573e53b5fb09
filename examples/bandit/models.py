"""Three toy models of different sizes, for the router examples."""

from __future__ import annotations

from typing import Any

import numpy as np


class _Scaled:
    factor = 1.0

    def predict(self, X: Any, features_names: list[str] | None = None) -> np.ndarray:
        return np.asarray(X, dtype=float) * self.factor

    def tags(self) -> dict[str, Any]:
        return {"model": type(self).__name__.lower()}


class Small(_Scaled):
    factor = 1.0


class Medium(_Scaled):
    factor = 2.0


class Large(_Scaled):
    factor = 3.0
