"""Every graph in graphs/ would load its models in the server images it names (issue 10).

The example models are trained for real, with this project's scikit-learn, by the same
functions `make run` calls (scripts/train_iris.py, examples/income/train.py), into a copy of
the project, and `validate`'s model/server check reads them. The controls prove the check
is live on the same trained files: without `server_image: generated` the prepackaged
sklearnserver:1.17.1 (scikit-learn 0.24.2) is flagged for both graphs.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from seldon_graphs import api
from seldon_graphs.deployment import analyze_deployment_text, is_deployment_file
from seldon_graphs.diagnostics import Diagnostic

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = sorted((ROOT / "graphs").glob("*.yaml"))
SKLEARN = __import__("sklearn").__version__
MODEL_FILES = ("models/iris/model.joblib", "models/income/lr/model.joblib",
               "models/income/gb/model.joblib")  # fmt: skip


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's graphs and examples with every example model trained."""
    root = tmp_path_factory.mktemp("project")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for folder in ("graphs", "examples"):
        shutil.copytree(ROOT / folder, root / folder)
    _module(ROOT / "scripts" / "train_iris.py", "walk10_train_iris").train(root / "models/iris")
    income = _module(root / "examples" / "income" / "train.py", "walk10_train_income")
    income.train(out=root / "models" / "income")
    return root


def _analysis(root: Path, graph: str, text: str | None = None) -> tuple[bool, list[Diagnostic]]:
    """A deployment file is analysed with its predictors' graphs (graphs/iris-canary.yaml)."""
    file = root / "graphs" / graph
    source = file.read_text() if text is None else text
    analyze = analyze_deployment_text if is_deployment_file(file) else api.analyze_text
    result = analyze(source, file, display=f"graphs/{graph}", root=root)
    return result.ok, list(result.diagnostics)


def _findings(root: Path, graph: str, text: str | None = None) -> list[Diagnostic]:
    return [d for d in _analysis(root, graph, text)[1] if d.rule == "model-server"]


def test_the_models_are_trained(trained: Path) -> None:
    assert [f for f in MODEL_FILES if (trained / f).is_file()] == list(MODEL_FILES)


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_no_model_server_finding(trained: Path, graph: Path) -> None:
    assert _findings(trained, graph.name) == []


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_every_graph_validates_clean(trained: Path, graph: Path) -> None:
    """No warning either: the README's first command prints nothing misleading."""
    assert _analysis(trained, graph.name) == (True, [])


def test_control_iris_on_sklearnserver_is_a_warning(trained: Path) -> None:
    text = (trained / "graphs" / "iris.yaml").read_text()
    found = _findings(trained, "iris.yaml", text.replace(" server_image: generated,", ""))
    assert [(d.severity.value, d.message) for d in found] == [
        (
            "warning",
            "seldonio/sklearnserver:1.17.1 loads models with scikit-learn 0.24.2; this model "
            f"was pickled by scikit-learn {SKLEARN}: loading may fail or predict differently",
        )
    ]


def test_control_income_on_sklearnserver_cannot_load_gb(trained: Path) -> None:
    text = (trained / "graphs" / "income.yaml").read_text()
    found = _findings(trained, "income.yaml", text.replace(" server_image: generated,", ""))
    by_line = {d.line: (d.severity.value, d.message.split(";")[0]) for d in found}
    lines = text.splitlines()
    lr = next(i for i, ln in enumerate(lines, 1) if ln.lstrip().startswith("lr:"))
    gb = next(i for i, ln in enumerate(lines, 1) if ln.lstrip().startswith("gb:"))
    assert by_line[lr][0] == "warning"
    assert by_line[gb] == (
        "error",
        "seldonio/sklearnserver:1.17.1 loads models with scikit-learn 0.24.2, which lacks "
        "`sklearn._loss`",
    )
    assert len(found) == 2


def test_walkthrough_chapter_2_model_has_nothing_local_to_check(trained: Path) -> None:
    """The walkthrough's own node (Seldon's public model, made for sklearnserver): no
    local_uri, so there is nothing the check can read, and it says nothing."""
    text = (
        "name: sklearn\nnamespace: seldon-deploy\nnodes:\n"
        "  classifier: {server: sklearn, model_uri: gs://seldon-models/v1.12.0-dev/sklearn/iris}\n"
    )
    assert _findings(trained, "iris.yaml", text) == []


@pytest.mark.parametrize("graph", ["mlflow.yaml", "multi-model.yaml"])
def test_mlflow_graphs_name_runs_with_no_local_copy(trained: Path, graph: str) -> None:
    """What docs/walkthrough.md says: their runs live in the walkthrough's MinIO only."""
    spec = api.analyze(trained / "graphs" / graph).spec
    assert spec is not None
    servers = [n for n in spec.nodes if n.implementation == "MLFLOW_SERVER"]
    assert servers and all(n.local_uri is None for n in servers)
    assert all((n.model_uri or "").startswith("s3://mlflow/mlflow/artifacts/") for n in servers)
