"""Model/server compatibility, read from the model files without loading them: scikit-learn
pickles in each joblib compression, xgboost JSON and UBJSON, MLmodel files, and a pickle
that would run code if it were ever unpickled."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from seldon_graphs import api, model_versions
from seldon_graphs.servers_catalog import CATALOG, server_image, version_tuple
from tests.helpers import REPO, analyze

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
Y = [0, 1, 0, 1]
SKLEARN = __import__("sklearn").__version__


@pytest.mark.parametrize("compress", [0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3)])
def test_sklearn_version_in_every_joblib_compression(tmp_path: Path, compress: Any) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(LogisticRegression().fit(X, Y), path, compress=compress)
    found = model_versions.sklearn_pickle(path)
    assert found is not None and found.versions == (SKLEARN,) and not found.trees_1_3
    assert found is not None and "linear_model" in found.modules


def test_plain_pickle_of_a_pipeline_with_trees(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    model = make_pipeline(StandardScaler(), GradientBoostingClassifier(n_estimators=1))
    path.write_bytes(pickle.dumps(model.fit(X, Y)))
    found = model_versions.sklearn_pickle(path)
    assert found is not None and found.versions == (SKLEARN,) and found.trees_1_3
    assert {"_loss", "pipeline", "preprocessing", "ensemble", "tree"} <= found.modules


class _Boom:
    """Unpickling this would create a file: the scan must never do it."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.target, "w"))


def test_a_malicious_pickle_is_scanned_never_run(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    path = tmp_path / "model.joblib"
    path.write_bytes(pickle.dumps({"_sklearn_version": "0.24.2", "x": _Boom(str(target))}))
    found = model_versions.sklearn_pickle(path)
    assert found is not None and found.versions == ("0.24.2",)
    assert not target.exists()


@pytest.mark.parametrize("data", [b"", b"not a pickle", pickle.dumps({"a": 1})])
def test_not_an_sklearn_pickle_says_nothing(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(data)
    assert model_versions.sklearn_pickle(path) is None


def _ubj_typed(count_marker: bytes, count: bytes) -> bytes:
    return b"{i\x07version[$l#" + count_marker + count + struct.pack(">iii", 2, 1, 3) + b"}"


@pytest.mark.parametrize(
    ("data", "fmt", "version"),
    [
        (b'{"learner": {}, "version": [1, 7, 5]}', "json", (1, 7, 5)),
        (b'{"learner": {}}', "json", None),
        (_ubj_typed(b"i", b"\x03"), "ubj", (2, 1, 3)),
        (_ubj_typed(b"L", struct.pack(">q", 3)), "ubj", (2, 1, 3)),
        (b"{i\x07version[i\x02i\x01l\x00\x00\x00\x03]}", "ubj", (2, 1, 3)),
        (b"{i\x07learner{}}", "ubj", None),
        (b"binf\x00\x00\x00?", "binary", None),
    ],
)
def test_xgboost_formats(tmp_path: Path, data: bytes, fmt: str, version: Any) -> None:
    path = tmp_path / "model.bst"
    path.write_bytes(data)
    assert model_versions.xgboost_model(path) == model_versions.XgboostModel(fmt, version)


@pytest.mark.parametrize(
    ("text", "version"),
    [("mlflow_version: 2.9.2\n", "2.9.2"), ("flavors: {}\n", None), (": [", None), ("- a\n", None)],
)
def test_mlmodel_version(tmp_path: Path, text: str, version: str | None) -> None:
    path = tmp_path / "MLmodel"
    path.write_text(text)
    assert model_versions.mlflow_version(path) == version


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1.9.1", (1, 9, 1)),
        ("0.24.2", (0, 24, 2)),
        ("1.3.dev0", (1, 3)),
        ("2.0rc1", (2, 0)),
        ("x", ()),
    ],
)
def test_version_tuple(text: str, parts: tuple[int, ...]) -> None:
    assert version_tuple(text) == parts


def test_catalog_covers_both_protocols_and_kfserving_is_v2() -> None:
    assert sorted(CATALOG) == sorted(
        (s, p)
        for s in ("SKLEARN_SERVER", "XGBOOST_SERVER", "MLFLOW_SERVER")
        for p in ("seldon", "v2")
    )
    assert server_image("SKLEARN_SERVER", "kfserving") == CATALOG[("SKLEARN_SERVER", "v2")]
    assert server_image("TRITON_SERVER", "v2") is None


def test_a_model_file_as_local_uri(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    joblib.dump(LogisticRegression().fit(X, Y), tmp_path / "m" / "model.joblib")
    result = analyze(
        tmp_path,
        """\
        name: g
        nodes:
          m: {server: sklearn, model_uri: s3://b/m, local_uri: m/model.joblib}
        flow: m
        """,
    )
    (d,) = result.diagnostics
    assert (d.rule, d.line, d.is_error) == ("model-server", 3, False)


@pytest.fixture(scope="module")
def income_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project holding graphs/income.yaml's example, its models trained by train.py."""
    import importlib.util

    root = tmp_path_factory.mktemp("income")
    spec = importlib.util.spec_from_file_location("income_train", REPO / "examples/income/train.py")
    assert spec is not None and spec.loader is not None
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    trainer.train(force=True, out=root / "models" / "income")
    (root / "examples").symlink_to(REPO / "examples")
    (root / "pyproject.toml").write_text("[project]\nname='x'\n")
    return root


def _income(root: Path, text: str) -> tuple[list[tuple[int, bool]], tuple[int, int], Any]:
    """(line, is_error) of each model-server finding, the lines of `lr` and `gb`, the spec."""
    graph = root / "income.yaml"
    graph.write_text(text)
    result = api.analyze_text(text, graph, display="income.yaml", root=root)
    found = [(d.line, d.is_error) for d in result.diagnostics if d.rule == "model-server"]
    lines = text.splitlines()
    lr, gb = (n + 1 for n, ln in enumerate(lines) if ln.lstrip().startswith(("lr:", "gb:")))
    return found, (lr, gb), result.spec


def test_the_income_example_as_trained_here_loads_in_its_generated_images(
    income_project: Path,
) -> None:
    """graphs/income.yaml serves its models from generated images: nothing to report, and
    each image pins the scikit-learn read from its model (the one installed here)."""
    from seldon_graphs.generated_servers import pins

    found, _, spec = _income(income_project, (REPO / "graphs" / "income.yaml").read_text())
    assert found == []
    for name in ("lr", "gb"):
        pinned = pins(spec, spec.node(name))
        assert pinned is not None
        assert (pinned.version, pinned.read_from) == (SKLEARN, "the model")


def test_the_income_example_in_seldons_sklearnserver(income_project: Path) -> None:
    """Without the generated images: lr may load differently (a warning), gb (its pickle
    imports sklearn._loss) cannot load in sklearnserver:1.17.1 (an error)."""
    text = (REPO / "graphs" / "income.yaml").read_text().replace("server_image: generated, ", "")
    found, (lr, gb), _ = _income(income_project, text)
    assert found == [(lr, False), (gb, True)]
