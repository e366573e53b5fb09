"""Seldon's prepackaged servers as plain Seldon-contract classes, for local runs.

Self-contained (standard library at import time; the model libraries are imported lazily)
so a node process can load this file by path, as it loads a user's module. Each class
follows the server it stands for in Seldon Core 1.17 (`servers/<name>/<Name>.py`):

    SKLEARN_SERVER  SKLearnServer(model_uri, method="predict_proba")  model.joblib
    XGBOOST_SERVER  XGBoostServer(model_uri)                          model.bst / model.json
    MLFLOW_SERVER   MLFlowServer(model_uri)                           an MLmodel directory

`model_uri` is a local directory here (the runtime resolves the graph's `local_uri` or a
`--model-uri NODE=PATH` override); Seldon's servers download it to /mnt/models first.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# Seldon implementation name -> class in this module.
CLASSES = {
    "SKLEARN_SERVER": "SKLearnServer",
    "XGBOOST_SERVER": "XGBoostServer",
    "MLFLOW_SERVER": "MLFlowServer",
}

SKLEARN_METHODS = ("predict_proba", "decision_function", "predict")


class MissingPackage(RuntimeError):
    """A prepackaged server needs a library that is not installed."""


class ModelNotFound(FileNotFoundError):
    """The model directory lacks the file the server loads."""


def _require(module: str, package: str, server: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingPackage(
            f"{server} needs the Python package {package!r}, which is not installed: "
            f"add `requirements: [{package}]` to the node, or `pip install {package}`"
        ) from exc


def _model_file(model_uri: str, names: tuple[str, ...], server: str) -> str:
    folder = model_uri[len("file://") :] if model_uri.startswith("file://") else model_uri
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise ModelNotFound(f"{server}: none of {', '.join(names)} in model directory {folder!r}")


class SKLearnServer:
    """A joblib-saved scikit-learn estimator; `method` picks predict_proba (default), ..."""

    def __init__(self, model_uri: str = "", method: str = "predict_proba") -> None:
        if method not in SKLEARN_METHODS:
            raise ValueError(f"SKLEARN_SERVER method must be one of {SKLEARN_METHODS}")
        self.model_uri = model_uri
        self.method = method
        self.ready = False
        self._model: Any = None

    def load(self) -> None:
        joblib = _require("joblib", "joblib", "SKLEARN_SERVER")
        self._model = joblib.load(_model_file(self.model_uri, ("model.joblib",), "SKLEARN_SERVER"))
        self.ready = True

    def predict(self, X: Any, names: Any = None, meta: Any = None) -> Any:
        if not self.ready:
            self.load()
        if self.method == "predict_proba":
            return self._model.predict_proba(X)
        if self.method == "decision_function":
            return self._model.decision_function(X)
        return self._model.predict(X)

    def init_metadata(self) -> dict[str, Any]:
        return {}


class XGBoostServer:
    """An XGBoost booster saved as model.bst (or model.json / model.ubj)."""

    def __init__(self, model_uri: str = "") -> None:
        self.model_uri = model_uri
        self.ready = False
        self._booster: Any = None
        self._xgb: Any = None

    def load(self) -> None:
        self._xgb = _require("xgboost", "xgboost", "XGBOOST_SERVER")
        path = _model_file(
            self.model_uri, ("model.bst", "model.json", "model.ubj"), "XGBOOST_SERVER"
        )
        self._booster = self._xgb.Booster(model_file=path)
        self.ready = True

    def predict(self, X: Any, names: Any = None, meta: Any = None) -> Any:
        if not self.ready:
            self.load()
        return self._booster.predict(self._xgb.DMatrix(X))


class MLFlowServer:
    """An MLflow model directory (with an MLmodel file), served through mlflow.pyfunc.

    `xtype: dataframe` turns the input into a pandas DataFrame; `predict_method` (as in the
    walkthrough's chapter 6, e.g. `transform`) calls that method of the underlying model
    instead of pyfunc's predict.
    """

    def __init__(
        self, model_uri: str = "", xtype: str = "ndarray", predict_method: str = "predict"
    ) -> None:
        self.model_uri = model_uri
        self.xtype = xtype
        self.predict_method = predict_method
        self.ready = False
        self._model: Any = None

    def load(self) -> None:
        pyfunc = _require("mlflow.pyfunc", "mlflow", "MLFLOW_SERVER")
        folder = os.path.dirname(_model_file(self.model_uri, ("MLmodel",), "MLFLOW_SERVER"))
        self._model = pyfunc.load_model(folder)
        self.ready = True

    def predict(self, X: Any, names: Any = None, meta: Any = None) -> Any:
        if not self.ready:
            self.load()
        if self.xtype == "dataframe":
            pandas = _require("pandas", "pandas", "MLFLOW_SERVER")
            X = pandas.DataFrame(X, columns=names or None)
        if self.predict_method == "predict":
            return self._model.predict(X)
        impl = getattr(self._model, "_model_impl", self._model)  # the flavour's wrapper
        model = getattr(impl, "sklearn_model", impl)
        return getattr(model, self.predict_method)(X)
