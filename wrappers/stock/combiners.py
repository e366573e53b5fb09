"""Stock combiners: mean, weighted average, majority vote over the children's outputs.

Plain Seldon-contract classes (`aggregate(features_list, feature_names_list)`), standalone
(numpy and seldon_core only): this file is copied as is into wrapper images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from seldon_core.flask_utils import SeldonMicroserviceException


def _bad_data(message: str) -> SeldonMicroserviceException:
    """A 400 for the caller; with the message in args too (seldon_core's own drops it)."""
    exc = SeldonMicroserviceException(message)
    exc.args = (message,)
    return exc


def _numeric(
    features_list: Sequence[Any], who: str, *, same_shape: bool = True
) -> list[NDArray[np.float64]]:
    """The children's outputs as float arrays of one shape, or a 400 naming the problem."""
    if len(features_list) == 0:
        raise _bad_data(f"{who}: no child outputs to combine")
    try:
        arrays = [np.asarray(x, dtype=float) for x in features_list]
    except (TypeError, ValueError) as exc:
        raise _bad_data(f"{who}: child outputs must be numeric: {exc}") from exc
    shapes = {a.shape for a in arrays}
    if same_shape and len(shapes) != 1:
        raise _bad_data(f"{who}: child outputs differ in shape {sorted(shapes)}; they must match")
    return arrays


class MeanCombiner:
    """Element-wise mean of the children's outputs (`stock: mean-combiner`)."""

    def aggregate(self, features_list: Sequence[Any], feature_names_list: Sequence[Any]) -> Any:
        return np.mean(np.stack(_numeric(features_list, "mean-combiner")), axis=0)


def parse_weights(weights: str) -> list[float]:
    """`"0.7, 0.3"` -> [0.7, 0.3]; non-negative numbers with a positive sum."""
    try:
        values = [float(w) for w in str(weights).split(",") if w.strip()]
    except ValueError as exc:
        raise ValueError(f"weighted-combiner: weights {weights!r} must be numbers: {exc}") from exc
    if not values or any(w < 0 or not np.isfinite(w) for w in values) or sum(values) <= 0:
        raise ValueError(
            f"weighted-combiner: weights {weights!r} must be a comma list of non-negative "
            "numbers with a positive sum, one per child"
        )
    return values


class WeightedCombiner:
    """Weighted average, one weight per child in child order (`stock: weighted-combiner`).

    Weights are normalised by their sum, so `weights: "2,1"` means 2/3 and 1/3.
    """

    def __init__(self, weights: str) -> None:
        self.weights = parse_weights(weights)

    def aggregate(self, features_list: Sequence[Any], feature_names_list: Sequence[Any]) -> Any:
        arrays = _numeric(features_list, "weighted-combiner")
        if len(arrays) != len(self.weights):
            raise _bad_data(
                f"weighted-combiner: {len(self.weights)} weights for {len(arrays)} children"
            )
        return np.average(np.stack(arrays), axis=0, weights=self.weights)


class MajorityVote:
    """Per row, the class most children predict (`stock: majority-vote`).

    Each child's output is either class scores (n_rows x n_classes: its argmax is the vote)
    or labels (n_rows, or n_rows x 1 of integers). Ties go to the lowest class index.
    Returns one integer label per row, shaped n_rows x 1.
    """

    def aggregate(self, features_list: Sequence[Any], feature_names_list: Sequence[Any]) -> Any:
        per_child = [
            self._votes(a) for a in _numeric(features_list, "majority-vote", same_shape=False)
        ]
        if len({len(v) for v in per_child}) != 1:
            raise _bad_data("majority-vote: children returned different numbers of rows")
        votes = np.stack(per_child)
        n_classes = int(votes.max()) + 1
        winners = [int(np.argmax(np.bincount(column, minlength=n_classes))) for column in votes.T]
        return np.array(winners, dtype=int).reshape(-1, 1)

    @staticmethod
    def _votes(output: NDArray[np.float64]) -> NDArray[np.int_]:
        if output.ndim == 2 and output.shape[1] > 1:
            return np.asarray(np.argmax(output, axis=1), dtype=int)
        labels = output.reshape(-1)
        if output.ndim > 2 or np.any(labels < 0) or np.any(labels != np.round(labels)):
            raise _bad_data(
                "majority-vote: child outputs must be class scores (rows x classes) "
                "or non-negative integer labels"
            )
        return labels.astype(int)

    def class_names(self) -> list[str]:
        return ["class"]
