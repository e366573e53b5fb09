"""Generated server images without an engine: what they pin (read from the model file, or
this environment before training), their build context, the manifest and the docker
runtime's container plan. test_server_image_docker.py builds and runs them for real."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from seldon_graphs import api, cli, generated_servers
from seldon_graphs.generated_servers import Pins, installed, pins
from seldon_graphs.manifest import check_object, load_crd_schema
from seldon_graphs.runtime import servers
from seldon_graphs.runtime.docker import plan_containers
from seldon_graphs.runtime.units import units_from_tree
from seldon_graphs.wrapper import launcher
from seldon_graphs.wrapper.context import RUNTIME_UID, plan_graph
from seldon_graphs.wrapper.server_context import plan_server_context
from tests.helpers import CRD_FILE, NO_SHARED

SKLEARN = __import__("sklearn").__version__
X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
Y = [0, 1, 0, 1]
GRAPH = """\
name: srv
nodes:
  lr:
    server: sklearn
    server_image: generated
    model_uri: s3://models/lr
    local_uri: models/lr
    params: {method: predict}
flow: lr
"""


def _at(key: str) -> tuple[int, int]:
    """Line and column of `key`'s value in GRAPH."""
    (line,) = (n for n, text in enumerate(GRAPH.splitlines(), 1) if f" {key}: " in text)
    return line, GRAPH.splitlines()[line - 1].index(f"{key}: ") + len(key) + 3


def _project(tmp_path: Path, graph: str = GRAPH) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'srv'\n")
    (tmp_path / "graph.yaml").write_text(graph)
    return tmp_path


def _train(root: Path, name: str = "lr", y: list[int] = Y) -> Path:
    folder = root / "models" / name
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(LogisticRegression().fit(X, y), folder / "model.joblib")
    return folder


def _pickle_of(root: Path, version: str, name: str = "lr") -> None:
    """What scikit-learn `version` leaves in a pickle that the scan reads (never loaded)."""
    folder = root / "models" / name
    folder.mkdir(parents=True, exist_ok=True)
    state = {"_sklearn_version": version, "coef_": [1.0]}
    (folder / "model.joblib").write_bytes(pickle.dumps(state))


def _load(root: Path) -> api.Graph:
    return api.load(root / "graph.yaml")


def _pins(root: Path) -> Pins | None:
    graph = _load(root)
    return pins(graph.spec, graph.spec.node("lr"))


def _companions() -> tuple[tuple[str, str], ...]:
    names = ("joblib", "narwhals", "numpy", "scipy", "threadpoolctl")
    return tuple((n, v) for n in names if (v := installed(n)) is not None)


def test_pins_are_read_from_the_model_with_its_dependencies_from_here(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _train(root)
    assert _pins(root) == Pins("scikit-learn", SKLEARN, "the model", _companions())
    requirements = _pins(root).requirements  # type: ignore[union-attr]
    assert requirements[0] == f"scikit-learn=={SKLEARN}"
    assert f"numpy=={installed('numpy')}" in requirements


def test_a_model_of_another_version_pins_that_version_alone_and_warns(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _pickle_of(root, "1.5.2")
    assert _pins(root) == Pins("scikit-learn", "1.5.2", "the model", ())
    result = api.analyze(root / "graph.yaml")
    (d,) = result.diagnostics
    assert (d.rule, d.line, d.col, d.is_error) == ("model-server", *_at("local_uri"), False)
    assert d.message == (
        "the model was written by scikit-learn 1.5.2, which its generated image (and so the "
        "cluster) loads it with; local process and in-process runs load it with scikit-learn "
        f"{SKLEARN}, installed here"
    )


def test_before_training_the_version_installed_here_is_pinned(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert _pins(root) == Pins("scikit-learn", SKLEARN, "this environment", _companions())
    assert _load(root).warnings == []


def test_an_unreadable_model_file_pins_the_version_installed_here(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "models" / "lr").mkdir(parents=True)
    (root / "models" / "lr" / "model.joblib").write_bytes(b"not a pickle")
    assert _pins(root) == Pins("scikit-learn", SKLEARN, "this environment", _companions())
    (d,) = _load(root).warnings
    assert (d.rule, d.line, d.col) == ("model-server", *_at("local_uri"))
    assert d.message == (
        "the model file does not say which scikit-learn wrote it; the generated image pins "
        f"scikit-learn {SKLEARN}, installed here"
    )


def test_xgboost_pins_the_version_its_json_model_says(tmp_path: Path) -> None:
    graph = GRAPH.replace("sklearn", "xgboost").replace("    params: {method: predict}\n", "")
    root = _project(tmp_path, graph)
    (root / "models" / "lr").mkdir(parents=True)
    (root / "models" / "lr" / "model.bst").write_text('{"learner": {}, "version": [2, 1, 3]}')
    found = _pins(root)
    assert found is not None
    assert (found.library, found.version, found.read_from) == ("xgboost", "2.1.3", "the model")
    assert found.requirements[0] == "xgboost==2.1.3"


def test_no_model_and_no_library_here_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine without scikit-learn: this one has it, so `installed` answers as there."""
    monkeypatch.setattr(generated_servers, "installed", lambda distribution: None)
    result = api.analyze(_project(tmp_path) / "graph.yaml")
    (d,) = result.diagnostics
    assert (d.rule, d.line, d.col, d.is_error) == ("server-image", *_at("server_image"), True)
    assert d.message.startswith("cannot tell which scikit-learn to pin")


@pytest.mark.parametrize(
    ("base", "python"),
    [
        ("seldon-graphs/base:bookworm", (3, 11)),
        ("python:3.11-slim", (3, 11)),
        ("docker.io/library/python:3.12", (3, 12)),
        ("registry.example.com/python:3.11", None),
    ],
)
def test_the_python_of_known_base_images(base: str, python: tuple[int, int] | None) -> None:
    assert generated_servers.base_python(base) == python


@pytest.mark.parametrize(
    ("version", "python", "oldest"),
    [("0.24.2", (3, 11), "1.1.3"), ("1.1.3", (3, 11), None), ("0.24.2", None, None)],
)
def test_versions_without_a_wheel(
    version: str, python: tuple[int, int] | None, oldest: str | None
) -> None:
    assert generated_servers.lacks_wheel("scikit-learn", version, python) == oldest


def test_the_build_context(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _train(root)
    graph = _load(root)
    plan = plan_server_context(graph.spec, graph.spec.node("lr"), base_id="")
    assert sorted(plan.files) == [
        ".dockerignore",
        ".s2i/environment",
        "Dockerfile",
        "requirements.txt",
        "seldon_graphs_entry.py",
        "seldon_graphs_init.py",
        "seldon_graphs_launch.py",  # the Dockerfile's command starts it, as in every image
        "seldon_graphs_servers.py",
    ]
    assert plan.files["seldon_graphs_servers.py"] == Path(servers.__file__).read_bytes()
    assert plan.files["seldon_graphs_launch.py"] == Path(launcher.__file__).read_bytes()
    entry = plan.files["seldon_graphs_entry.py"]
    assert b"from seldon_graphs_servers import SKLearnServer as Adapter\n" in entry
    requirements = plan.files["requirements.txt"]
    assert isinstance(requirements, bytes)
    assert requirements.decode().splitlines()[1:] == [
        "seldon-core==1.17.1",
        "setuptools<81  # gunicorn 20.1 imports pkg_resources",
        *(f"{n}=={v}" for n, v in (("scikit-learn", SKLEARN), *_companions())),
    ]
    assert f"\nUSER {RUNTIME_UID}\n" in plan.dockerfile
    assert '"seldon_graphs_entry.Adapter", "--service-type", "MODEL"]' in plan.dockerfile
    assert json.loads(plan.smoke.parameters) == [
        {"name": "method", "value": "predict", "type": "STRING"},
        {"name": "model_uri", "value": "/mnt/models", "type": "STRING"},
    ]
    assert plan.smoke.cluster_only == ()  # a bad `method` fails the build


def test_the_tag_follows_the_pins_not_the_model(tmp_path: Path) -> None:
    root = _project(tmp_path)

    def tag() -> str:
        graph = _load(root)
        return plan_server_context(graph.spec, graph.spec.node("lr"), base_id="").image

    untrained = tag()
    _train(root)
    first = tag()
    assert first == untrained  # compiled before training: the same image as after
    _train(root, y=[1, 0, 1, 0])  # retrained, same versions: the model is not in the image
    assert tag() == first
    _pickle_of(root, "1.5.2")
    assert tag() != first


def test_the_manifest_keeps_the_server_and_names_the_image(tmp_path: Path) -> None:
    root = _project(tmp_path)
    graph = _load(root)
    (plan,) = plan_graph(graph.spec, graph.tree)
    sdep = graph.manifest()
    predictor = sdep["spec"]["predictors"][0]
    (container,) = predictor["componentSpecs"][0]["spec"]["containers"]
    assert container == {
        "name": "lr",
        "image": plan.image,
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": RUNTIME_UID,
        },
    }
    unit = predictor["graph"]
    assert (unit["implementation"], unit["modelUri"]) == ("SKLEARN_SERVER", "s3://models/lr")


def test_the_webhook_needs_no_predictor_servers_entry_for_it(tmp_path: Path) -> None:
    """Rule 10e: a prepackaged node whose container has an image needs no `predictor_servers`
    entry, so even an operator without SKLEARN_SERVER accepts the generated image."""
    generated = _load(_project(tmp_path)).manifest()
    assert check_object(generated, servers=()) == []
    (tmp_path / "graph.yaml").write_text(GRAPH.replace("    server_image: generated\n", ""))
    prepackaged = _load(tmp_path).manifest()
    assert [f.message for f in check_object(prepackaged, servers=())] == [
        "No entry in predictors map for SKLEARN_SERVER"
    ]


@pytest.mark.skipif(not CRD_FILE.exists(), reason=NO_SHARED)
def test_seldons_crd_accepts_the_manifest(tmp_path: Path) -> None:
    sdep = _load(_project(tmp_path)).manifest()
    assert check_object(sdep, crd_schema=load_crd_schema(CRD_FILE)) == []


def test_the_docker_runtime_runs_the_generated_image_on_the_mounted_model(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path)
    folder = _train(root)
    graph = _load(root)
    (plan,) = plan_graph(graph.spec, graph.tree)
    (container,) = plan_containers(graph.spec, units_from_tree(graph.tree, graph.spec), {})
    assert container.image == plan.image
    assert container.volumes == {str(folder.resolve()): {"bind": "/mnt/models", "mode": "ro"}}
    parameters = json.loads(container.env["PREDICTIVE_UNIT_PARAMETERS"])
    assert {"name": "model_uri", "value": "/mnt/models", "type": "STRING"} in parameters
    assert container.env["PREDICTIVE_UNIT_IMAGE"] == plan.image


def test_the_dockerfile_command_shows_it(tmp_path: Path, capsys: Any) -> None:
    root = _project(tmp_path)
    assert cli.main(["dockerfile", str(root / "graph.yaml"), "lr"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Generated by seldon-graphs for node lr of graph srv (role MODEL)")
    assert 'LABEL org.opencontainers.image.title="srv-lr"' in out
