"""A generated server image, for real: built on the local base image with a real Docker
engine, then serving a model that Seldon's sklearnserver:1.17.1 cannot load (a
GradientBoosting pickle: it imports sklearn._loss) through the docker runtime, with the
model folder mounted at /mnt/models as the storage initializer would leave it. Its answers
must be the process runtime's (which loads the model with this environment's libraries,
the ones that wrote it) and the model's own.

Images are tagged by content and kept: a later run reuses them. In CI (CI=true) a missing
engine fails; elsewhere these tests skip with the reason.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import pytest
import requests
from sklearn.ensemble import GradientBoostingClassifier

from seldon_graphs import api
from seldon_graphs.runtime.docker import DockerBackend
from seldon_graphs.runtime.process import ProcessBackend
from seldon_graphs.runtime.server import Backend
from seldon_graphs.wrapper.context import plan_graph
from seldon_graphs.wrapper.images import LOCK_LABEL, build_images
from tests.helpers import REPO, configured
from tests.runtime.conftest import serve
from tests.runtime.test_docker import BASE, REGISTRY, engine

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SKLEARN = __import__("sklearn").__version__
X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.1], [0.9, 0.8], [0.5, 0.4], [0.1, 0.9]])
Y = [0, 1, 0, 1, 1, 0]
METHODS = ("predict_proba", "decision_function", "predict")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a GradientBoosting model and a graph per `method` serving it."""
    root = tmp_path_factory.mktemp("srvimg")
    (root / "pyproject.toml").write_text("[project]\nname = 'srvimg'\n")
    (root / "models" / "gb").mkdir(parents=True)
    model = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, Y)
    joblib.dump(model, root / "models" / "gb" / "model.joblib")
    for method in METHODS:
        (root / f"{method}.yaml").write_text(
            f"name: srvimg-{method.replace('_', '-')}\n"
            "nodes:\n"
            "  gb: {server: sklearn, server_image: generated, model_uri: s3://models/gb,\n"
            f"       local_uri: models/gb, params: {{method: {method}}}}}\n"
            "flow: gb\n"
        )
    return root


def _graph(project: Path, method: str) -> api.Graph:
    loaded = api.load(project / f"{method}.yaml")
    spec = configured(loaded.spec, base_image=BASE, registry=REGISTRY)
    return api.Graph(spec, loaded.tree, loaded.analysis)


@pytest.fixture(scope="module")
def image(project: Path) -> Iterator[str]:
    """The generated image of node gb (one for every method: parameters come at run time)."""
    engine()
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    images = set()
    for method in METHODS:
        graph = _graph(project, method)
        (result,) = build_images(plan_graph(graph.spec, graph.tree))
        images.add(result.image)
    assert len(images) == len(METHODS)  # the graph's name is in the image's name
    yield sorted(images)[0]


def _answer(backend: Backend, name: str) -> dict[str, Any]:
    thread = serve(backend, name=name)
    try:
        body = {"data": {"ndarray": X.tolist()}}
        reply = requests.post(
            thread.server.url + "/api/v1.0/predictions",
            json=body,
            headers={"Seldon-Puid": "fixed"},
            timeout=120,
        )
        assert reply.status_code == 200, reply.text
        answer: dict[str, Any] = reply.json()
        return answer
    finally:
        thread.stop()


def test_the_image_pins_the_models_versions_and_runs_as_8888(image: str) -> None:
    attrs = engine().images.get(image).attrs
    lock = attrs["Config"]["Labels"][LOCK_LABEL].split()
    assert f"scikit-learn=={SKLEARN}" in lock
    assert "seldon-core==1.17.1" in lock
    assert attrs["Config"]["User"] == "8888"


@pytest.mark.parametrize("method", METHODS)
def test_docker_and_process_runtimes_answer_alike(image: str, project: Path, method: str) -> None:
    graph = _graph(project, method)
    in_docker = _answer(DockerBackend(graph.spec, graph.tree), "docker")
    in_process = _answer(ProcessBackend(graph.spec, graph.tree), "process")
    assert in_docker["data"] == in_process["data"]
    model = joblib.load(project / "models" / "gb" / "model.joblib")
    expected = getattr(model, method)(X)
    assert np.allclose(np.array(in_docker["data"]["ndarray"]), expected)
