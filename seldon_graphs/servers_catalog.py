"""What each prepackaged server image of Seldon Core 1.17.1 loads models with.

Versions come from Seldon's server sources (`servers/<s>/<s>/requirements.txt` for the
seldon-protocol images, s2i builds on Python 3.8) and, for the v2 images, MLServer 1.3.5's
`licenses/license_info.csv` (regenerated 2023-05-03; the image itself may differ, so those
are `exact=False`). See ../shared/reference/cluster.md section 4.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import V2_PROTOCOLS


@dataclass(frozen=True)
class ServerImage:
    image: str
    library: str  # the library that loads the model file
    version: str  # the version the image installs (or the highest it allows)
    files: tuple[str, ...]  # the file names it looks for under /mnt/models
    exact: bool = True  # pinned in Seldon's requirements, not read off a licence list


_SKLEARN_V2 = ("model.joblib", "model.pickle", "model.pkl")
_XGB_V2 = ("model.bst", "model.json", "model.ubj")

# (implementation, protocol) -> image. The operator treats `kfserving` as `v2`.
CATALOG: dict[tuple[str, str], ServerImage] = {
    ("SKLEARN_SERVER", "seldon"): ServerImage(
        "seldonio/sklearnserver:1.17.1", "scikit-learn", "0.24.2", ("model.joblib",)
    ),
    ("XGBOOST_SERVER", "seldon"): ServerImage(
        "seldonio/xgboostserver:1.17.1", "xgboost", "1.4.2", ("model.bst",)
    ),
    ("MLFLOW_SERVER", "seldon"): ServerImage(
        "seldonio/mlflowserver:1.17.1", "mlflow", "2.5.0", ("MLmodel",)
    ),
    ("SKLEARN_SERVER", "v2"): ServerImage(
        "seldonio/mlserver:1.3.5-sklearn", "scikit-learn", "1.2.2", _SKLEARN_V2, exact=False
    ),
    ("XGBOOST_SERVER", "v2"): ServerImage(
        "seldonio/mlserver:1.3.5-xgboost", "xgboost", "1.7.5", _XGB_V2, exact=False
    ),
    ("MLFLOW_SERVER", "v2"): ServerImage(
        "seldonio/mlserver:1.3.5-mlflow", "mlflow", "2.2.2", ("MLmodel",), exact=False
    ),
}


def server_image(implementation: str | None, protocol: str) -> ServerImage | None:
    key = "v2" if protocol in V2_PROTOCOLS else protocol
    return CATALOG.get((implementation or "", key))


def version_tuple(text: str) -> tuple[int, ...]:
    """`1.9.1` -> (1, 9, 1); `1.3.dev0` -> (1, 3); stops at the first non-number part."""
    parts: list[int] = []
    for part in text.split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) < len(part):
            break
    return tuple(parts)
