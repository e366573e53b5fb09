"""`image_pull_secret`: compiled into every pod (goldens), made by `secret create
--docker-registry` from the user's Docker login, and checked by deploy's preflight.

The Kubernetes side is tests/deploy/fakeapi.py, a real HTTP server the real `kubernetes`
client talks to (the control plane of tests/controlplane is not always up)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from seldon_graphs import api
from tests.deploy.fakeapi import FakeCluster
from tests.goldens import compiled_outputs

from .conftest import cli, docker_config

HERE = Path(__file__).parent
GRAPHS = sorted((HERE / "graphs").glob("*.yaml"))
PRIVATE = HERE / "graphs" / "private.yaml"
SECRET = "pw-never-shown-7c1d"


@pytest.fixture
def kube_args(cluster: FakeCluster, tmp_path: Path) -> tuple[str, ...]:
    return ("--kubeconfig", str(cluster.kubeconfig(tmp_path / "kubeconfig", context="shared")))


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_compiled_output_matches_golden(graph: Path) -> None:
    for name, text in compiled_outputs(graph).items():
        golden = HERE / "golden" / name
        assert golden.exists(), f"no golden file {golden.name}: run `make golden`"
        assert text == golden.read_text(encoding="utf-8"), f"{name} differs: run `make golden`"


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_every_pod_pulls_with_the_secret(graph: Path) -> None:
    pods = [
        c["spec"] for c in api.load(graph).manifest()["spec"]["predictors"][0]["componentSpecs"]
    ]
    assert len(pods) == (2 if "per-node" in graph.stem else 1)
    assert all(pod["imagePullSecrets"] == [{"name": "registry-creds"}] for pod in pods)


def test_without_the_key_no_pod_has_pull_secrets(tmp_path: Path) -> None:
    graph = tmp_path / "g.yaml"
    (tmp_path / "pyproject.toml").write_text("")
    graph.write_text("name: open\nnodes:\n  m: {server: sklearn, model_uri: gs://b/m}\n")
    (pod,) = api.load(graph).manifest()["spec"]["predictors"][0]["componentSpecs"]
    assert "imagePullSecrets" not in pod["spec"]


# --- secret create --docker-registry ------------------------------------------------------------


def _stored_config(cluster: FakeCluster, name: str) -> tuple[str, dict[str, object]]:
    secret = cluster.secrets[("models", name)]
    text = base64.b64decode(secret["data"][".dockerconfigjson"]).decode()
    return str(secret["type"]), json.loads(text)


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("registry.example.com", "registry.example.com"),
        ("127.0.0.1:5000/team", "127.0.0.1:5000"),
        ("https://registry.example.com/", "registry.example.com"),
    ],
)
def test_secret_create_docker_registry_writes_the_login_never_printing_it(
    cluster: FakeCluster,
    kube_args: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    given: str,
    host: str,
) -> None:
    config = docker_config(tmp_path / "docker", host, "alice", SECRET)
    monkeypatch.setenv("DOCKER_CONFIG", str(config.parent))
    argv = ("secret", "create", "registry-creds", "--docker-registry", given, "-n", "models")
    assert cli(*argv, *kube_args) == 0
    out, err = capsys.readouterr()
    assert out == (
        "applied secret models/registry-creds with keys .dockerconfigjson "
        "(kubernetes.io/dockerconfigjson) (values not shown)\n"
    )
    assert SECRET not in out + err
    kind, stored = _stored_config(cluster, "registry-creds")
    auth = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    assert kind == "kubernetes.io/dockerconfigjson"
    assert stored == {"auths": {host: {"username": "alice", "password": SECRET, "auth": auth}}}


def test_secret_create_from_a_registry_auth_file(
    cluster: FakeCluster, kube_args: tuple[str, ...], tmp_path: Path
) -> None:
    auth_file = docker_config(tmp_path / "ci", "ghcr.io", "bot", SECRET)
    argv = ("secret", "create", "ghcr", "--docker-registry", "ghcr.io", "-n", "models")
    assert cli(*argv, "--registry-auth-file", str(auth_file), *kube_args) == 0
    _, stored = _stored_config(cluster, "ghcr")
    assert list(stored["auths"]) == ["ghcr.io"]  # type: ignore[call-overload]


def test_secret_create_without_a_login_says_how_to_log_in(
    cluster: FakeCluster,
    kube_args: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = docker_config(tmp_path / "docker", "other.example.com", "alice", SECRET)
    monkeypatch.setenv("DOCKER_CONFIG", str(config.parent))
    argv = ("secret", "create", "x", "--docker-registry", "registry.example.com", "-n", "models")
    assert cli(*argv, *kube_args) == 1
    _, err = capsys.readouterr()
    assert err == (
        "error: no credentials for registry registry.example.com in the Docker config "
        "(~/.docker/config.json)\n"
        "  help: log in first (`docker login registry.example.com`), or pass "
        "--registry-auth-file FILE\n"
    )
    assert cluster.secrets == {}


# --- preflight ------------------------------------------------------------------------------------


def _seed(cluster: FakeCluster, name: str, data: dict[str, str]) -> None:
    cluster.namespaces["models"] = {"metadata": {"name": "models"}}
    cluster.add_secret("models", name, data)


def _docker_json(host: str) -> dict[str, str]:
    return {".dockerconfigjson": json.dumps({"auths": {host: {"auth": "eDp5"}}})}


@pytest.mark.parametrize(
    ("seeded", "message"),
    [
        (
            None,
            "error: the graph needs secret(s) 'registry-creds' in namespace 'models', which do "
            "not exist",
        ),
        (
            {"token": "x"},
            "error: image pull secret: secret 'registry-creds' holds no .dockerconfigjson",
        ),
        (
            _docker_json("other.example.com"),
            "error: image pull secret: secret 'registry-creds' grants other.example.com, but "
            "the pod's images come from registry.example.com",
        ),
    ],
    ids=["missing", "not-a-docker-config", "another-registry"],
)
def test_preflight_checks_the_pull_secret_before_building(
    cluster: FakeCluster,
    kube_args: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    seeded: dict[str, str] | None,
    message: str,
) -> None:
    if seeded is not None:
        _seed(cluster, "registry-creds", seeded)
    else:
        cluster.namespaces["models"] = {"metadata": {"name": "models"}}
    assert cli("deploy", str(PRIVATE), "--wait", "0", *kube_args) == 1
    _, err = capsys.readouterr()
    assert err.splitlines()[0] == message
    assert cluster.requests("PATCH", "seldondeployments") == []


@pytest.mark.parametrize("host", ["registry.example.com", "https://registry.example.com"])
def test_a_pull_secret_for_the_registry_passes(
    cluster: FakeCluster, kube_args: tuple[str, ...], host: str
) -> None:
    _seed(cluster, "registry-creds", _docker_json(host))
    assert cli("deploy", str(PRIVATE), "--no-build", "--wait", "0", *kube_args) == 0
    applied = cluster.sdeps[("models", "private")]
    pod = applied["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "registry-creds"}]
