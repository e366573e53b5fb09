"""The example graphs answer real requests in-process, with their real classes and models."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import seldon_graphs
from seldon_graphs.runtime.inprocess import InProcessGraph

ROOT = Path(__file__).resolve().parent.parent


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_income_pipeline_end_to_end(tmp_path: Path) -> None:
    trainer = _module(ROOT / "examples" / "income" / "train.py")
    trainer.train(force=True, out=tmp_path)
    graph = seldon_graphs.load(ROOT / "graphs" / "income.yaml")
    runner = InProcessGraph(
        graph.spec, graph.tree, model_uris={"lr": str(tmp_path / "lr"), "gb": str(tmp_path / "gb")}
    )
    rich, poor = [52, 16, 60, 15000], [22, 8, 15, 0]
    answer = runner.predict({"data": {"ndarray": [rich, poor]}})
    assert answer["data"]["ndarray"] == [">50K", "<=50K"]
    assert answer["meta"]["tags"] == {"threshold": 0.5}
    assert set(answer["meta"]["requestPath"]) == {"features", "lr", "gb", "vote", "label"}


def test_bandit_routes_each_request_to_one_of_its_models() -> None:
    graph = seldon_graphs.load(ROOT / "graphs" / "bandit.yaml")
    answer = graph.predict({"data": {"ndarray": [[1.0, 2.0]]}})
    factor = answer["data"]["ndarray"][0][0]
    assert factor in (1.0, 2.0, 3.0)
    assert answer["meta"]["tags"]["model"] in ("small", "medium", "large")
