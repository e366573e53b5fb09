"""`models push` with a deployment file: every predictor's models, each uploaded once, for real
(rclone against moto's S3 server on 127.0.0.1, as tests/deploy/test_storage.py)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from seldon_graphs.cli import main as cli
from tests.helpers import project as make_project

from . import test_storage
from .test_storage import creds, objects, push

server = test_storage.s3  # the fixture: moto's S3 server


@pytest.fixture
def s3(server: str) -> Iterator[str]:
    """moto keeps one store per process, and tests/deploy/test_storage.py writes the same
    bucket: each test here starts from an empty store and leaves one."""
    _reset(server)
    yield server
    _reset(server)


def _reset(endpoint: str) -> None:
    request = urllib.request.Request(f"http://{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


GRAPH = """\
name: {name}
namespace: models
nodes:
  lr: {{server: sklearn, model_uri: {uri}, local_uri: {local}, secret: minio}}
"""
DEPLOYMENT = """\
deployment: income
namespace: models
predictors:
  main: {graph: main.yaml, traffic: 50}
  ab: {graph: main.yaml, traffic: 50}
  canary:
    shadow: true
    graph: next.yaml
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "project").mkdir()
    root = make_project(tmp_path / "project")
    for name in ("lr", "lr2"):
        (root / "trained" / name).mkdir(parents=True)
        (root / "trained" / name / "model.joblib").write_bytes(f"{name}-v1".encode())
    (root / "main.yaml").write_text(
        GRAPH.format(name="main", uri="s3://models/income/lr", local="trained/lr")
    )
    (root / "next.yaml").write_text(
        GRAPH.format(name="next", uri="s3://models/income/lr2", local="trained/lr2")
    )
    (root / "income.yaml").write_text(DEPLOYMENT)
    return root


def test_every_predictors_model_is_uploaded_once(
    s3: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = push(project / "income.yaml", creds(tmp_path, s3), capsys)
    assert code == 0, err
    assert out.splitlines() == [
        f"main/lr,ab/lr: {project}/trained/lr -> s3://models/income/lr (1 file(s) uploaded)",
        f"canary/lr: {project}/trained/lr2 -> s3://models/income/lr2 (1 file(s) uploaded)",
    ]
    assert err.count("model.joblib: Copied (new)") == 2
    assert sorted(objects(s3)) == ["income/lr/model.joblib", "income/lr2/model.joblib"]


def test_two_folders_for_one_model_uri_are_refused_before_any_upload(
    s3: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "next.yaml").write_text(
        GRAPH.format(name="next", uri="s3://models/income/lr", local="trained/lr2")
    )
    code, out, err = push(project / "income.yaml", creds(tmp_path, s3), capsys)
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: canary/lr ({project}/next.yaml:4:70) and main/lr ({project}/main.yaml:4:70) "
        "upload different folders to s3://models/income/lr: one would overwrite the other\n"
    )
    with pytest.raises(ClientError, match="NoSuchBucket"):  # nothing was uploaded at all
        objects(s3)


def test_the_predictors_left_out_are_named(
    s3: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("main", "next"):
        (project / f"{name}.yaml").write_text(
            GRAPH.format(name=name, uri="pvc://claim/lr", local="trained/lr")
        )
    code, _, err = push(project / "income.yaml", creds(tmp_path, s3), capsys)
    assert code == 1
    assert err.splitlines()[:4] == [
        "skipped main/lr: pvc://claim/lr is not object storage",
        "skipped ab/lr: pvc://claim/lr is not object storage",
        "skipped canary/lr: pvc://claim/lr is not object storage",
        "error: income has no server node with both local_uri and model_uri",
    ]


def test_a_predictors_graph_errors_stop_the_push(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "next.yaml").write_text("name: next\nnodes: {lr: {server: nope}}\n")
    env = project / "unused.env"
    env.write_text("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\n")
    assert cli(["models", "push", str(project / "income.yaml"), "--from-file", str(env)]) == 1
    err = capsys.readouterr().err
    assert "income.yaml:8:12: error: the graph of predictor `canary` has errors" in err
