"""make_adapter: each role served through seldon_core's own Flask app, as in an image."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from seldon_graphs.wrapper.adapter import AdapterError, UserCodeError, make_adapter

Serve = Callable[[Any], FlaskClient]
REQUEST = {"data": {"names": ["a", "b"], "ndarray": [[1.0, 2.0]]}, "meta": {"puid": "p1"}}


class Doubler:
    """A plain predict class, the most common user class."""

    def __init__(self, factor: float = 2.0) -> None:
        self.factor = factor
        self.calls = 0
        self.loaded = False

    def load(self) -> None:
        self.loaded = True

    def predict(self, X: Any, names: Any) -> Any:
        self.calls += 1
        return np.asarray(X) * self.factor

    def tags(self) -> dict[str, str]:
        return {"by": "doubler"}

    def metrics(self) -> list[dict[str, Any]]:
        return [{"type": "COUNTER", "key": "doubled", "value": 1}]

    def class_names(self) -> list[str]:
        return ["x", "y"]


class MetaEcho:
    def predict(self, X: Any, names: Any, meta: Any) -> Any:  # meta required, no default
        return [[meta["puid"]]] if meta else [["none"]]


class KwargsModel:
    def predict(self, X: Any, names: Any, **kwargs: Any) -> Any:
        return [[sorted(kwargs)[0] if kwargs else "no-kwargs"]]


class PickFirst:
    def predict(self, X: Any, names: Any) -> Any:
        return np.array([[1]])  # a 1-element array used as a route


class Summer:
    def predict(self, X: Any, names: Any) -> Any:
        return np.sum([np.asarray(x) for x in X], axis=0)


class Transformer:
    def transform_input(self, X: Any, names: Any) -> Any:
        return np.asarray(X) + 100


class Native:
    """Implements every Seldon method itself: used as it is."""

    def predict(self, X: Any, names: Any) -> Any:
        return [[-1.0]]

    def transform_input(self, X: Any, names: Any, meta: Any = None) -> Any:
        return [["in"]]

    def transform_output(self, X: Any, names: Any) -> Any:
        return [["out"]]

    def route(self, X: Any, names: Any) -> int:
        return 1

    def aggregate(self, Xs: Any, names: Any) -> Any:
        return [["agg", len(Xs)]]


class RawModel:
    def predict_raw(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"jsonData": {"raw": msg["data"]["ndarray"]}}


class Buggy:
    def __init__(self) -> None:
        self.calls = 0

    def predict(self, X: Any, names: Any, meta: Any = None) -> Any:
        self.calls += 1
        return len(3)  # type: ignore[arg-type]  # raises TypeError inside user code


def post(client: FlaskClient, path: str, body: Any) -> tuple[int, Any]:
    response = client.post(path, json=body)
    return response.status_code, response.get_json()


def ndarray(body: Any) -> Any:
    return body["data"]["ndarray"]


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("MODEL", "/predict"),
        ("TRANSFORMER", "/transform-input"),
        ("OUTPUT_TRANSFORMER", "/transform-output"),
    ],
)
def test_plain_predict_class_serves_single_input_roles(serve: Serve, role: str, path: str) -> None:
    adapter = make_adapter(Doubler, role)
    status, body = post(serve(adapter(factor=3.0)), path, REQUEST)
    assert status == 200, body
    assert ndarray(body) == [[3.0, 6.0]]
    assert body["data"]["names"] == ["x", "y"]  # class_names kept
    assert body["meta"]["tags"] == {"by": "doubler"}  # tags kept
    assert body["meta"]["puid"] == "p1"
    assert [m["key"] for m in body["meta"]["metrics"]] == ["doubled"]  # metrics kept


def test_plain_predict_class_serves_as_router(serve: Serve) -> None:
    status, body = post(serve(make_adapter(PickFirst, "ROUTER")()), "/route", REQUEST)
    assert status == 200, body
    assert ndarray(body) == [[1]]


def test_plain_predict_class_serves_as_combiner(serve: Serve) -> None:
    children = [
        {"data": {"ndarray": [[1.0, 2.0]]}, "meta": {"puid": "p1"}},
        {"data": {"ndarray": [[10.0, 20.0]]}},
    ]
    status, body = post(serve(make_adapter(Summer, "COMBINER")()), "/aggregate", children)
    assert status == 200, body
    assert ndarray(body) == [[11.0, 22.0]]


@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        ("MODEL", "/predict", [[-1.0]]),
        ("TRANSFORMER", "/transform-input", [["in"]]),
        ("OUTPUT_TRANSFORMER", "/transform-output", [["out"]]),
        ("ROUTER", "/route", [[1]]),
    ],
)
def test_native_methods_are_used_as_they_are(
    serve: Serve, role: str, path: str, expected: Any
) -> None:
    status, body = post(serve(make_adapter(Native, role)()), path, REQUEST)
    assert status == 200, body
    assert ndarray(body) == expected


def test_native_aggregate_is_used_as_it_is(serve: Serve) -> None:
    adapter = make_adapter(Native, "COMBINER")
    assert getattr(adapter, "aggregate") is Native.aggregate  # noqa: B009
    status, body = post(serve(adapter()), "/aggregate", [REQUEST, REQUEST])
    assert status == 200, body
    assert ndarray(body) == [["agg", 2]]


def test_transformer_class_lowered_to_model(serve: Serve) -> None:
    status, body = post(serve(make_adapter(Transformer, "MODEL")()), "/predict", REQUEST)
    assert status == 200, body
    assert ndarray(body) == [[101.0, 102.0]]


def test_raw_predict_maps_to_raw_role_method(serve: Serve) -> None:
    adapter = make_adapter(RawModel, "OUTPUT_TRANSFORMER")
    assert hasattr(adapter, "transform_output_raw")
    status, body = post(serve(adapter()), "/transform-output", REQUEST)
    assert status == 200, body
    assert body["jsonData"] == {"raw": [[1.0, 2.0]]}


def test_meta_passed_when_the_signature_takes_it(serve: Serve) -> None:
    _, body = post(
        serve(make_adapter(MetaEcho, "OUTPUT_TRANSFORMER")()), "/transform-output", REQUEST
    )
    assert ndarray(body) == [["p1"]]
    _, body = post(serve(make_adapter(KwargsModel, "MODEL")()), "/predict", REQUEST)
    assert ndarray(body) == [["meta"]]


def test_meta_not_passed_when_the_signature_lacks_it() -> None:
    instance = make_adapter(Doubler, "TRANSFORMER")()
    assert instance.transform_input([[1.0]], [], meta={"puid": "x"}).tolist() == [[2.0]]
    assert instance.calls == 1


def test_type_error_in_user_code_runs_it_once(serve: Serve) -> None:
    instance = make_adapter(Buggy, "MODEL")()
    status, body = post(serve(instance), "/predict", REQUEST)
    assert status == 500
    assert "TypeError" in body["status"]["info"]
    assert instance.calls == 1  # seldon_core's retry without meta did not happen
    with pytest.raises(UserCodeError):
        instance.predict([[1]], [])


def test_other_methods_and_parameters_are_kept() -> None:
    adapter = make_adapter(Doubler, "OUTPUT_TRANSFORMER")
    instance = adapter(factor=5.0)
    assert isinstance(instance, Doubler)
    assert adapter.__name__ == "Doubler"
    assert adapter.seldon_role == "OUTPUT_TRANSFORMER"  # type: ignore[attr-defined]
    instance.load()
    assert instance.loaded
    assert instance.tags() == {"by": "doubler"}
    assert instance.predict([[1.0]], []).tolist() == [[5.0]]  # predict itself unchanged


@pytest.mark.parametrize("role", ["MODEL", "ROUTER", "COMBINER", "TRANSFORMER"])
def test_class_without_any_method_is_rejected(role: str) -> None:
    class Empty:
        pass

    with pytest.raises(AdapterError, match=f"Empty cannot serve as {role}"):
        make_adapter(Empty, role)


def test_unknown_role_is_rejected() -> None:
    with pytest.raises(AdapterError, match="unknown Seldon role 'UNKNOWN_TYPE'"):
        make_adapter(Doubler, "UNKNOWN_TYPE")


def test_adapter_module_uses_only_the_standard_library() -> None:
    import ast
    import sys
    from pathlib import Path

    import seldon_graphs.wrapper.adapter as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
