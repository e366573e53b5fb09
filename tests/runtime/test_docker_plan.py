"""What the docker runtime asks Docker for (make mutation, runtime/docker): each node's
container plan (image, the operator's environment and nothing of the caller's, ports, the
model mount of a server node), and a start refused when an image is not built. The plan
needs no engine; the refusal asks the real one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from seldon_graphs.runtime.docker import (
    REMOVED,
    DockerBackend,
    DockerUnavailable,
    docker_client,
    plan_containers,
)
from seldon_graphs.runtime.docker import _gone as why_down
from seldon_graphs.runtime.ports import Ports
from seldon_graphs.runtime.units import units_from_tree

from .graphs import NODES, M, T, graph, py, server, tree

OPERATOR_KEYS = {
    "PREDICTIVE_UNIT_ID", "PREDICTIVE_UNIT_IMAGE", "PREDICTIVE_UNIT_SERVICE_PORT",
    "PREDICTIVE_UNIT_HTTP_SERVICE_PORT", "PREDICTIVE_UNIT_GRPC_SERVICE_PORT",
    "PREDICTIVE_UNIT_METRICS_SERVICE_PORT", "PREDICTIVE_UNIT_METRICS_ENDPOINT", "PREDICTOR_ID",
    "PREDICTOR_LABELS", "SELDON_DEPLOYMENT_ID", "SELDON_EXECUTOR_ENABLED", "GRPC_WORKERS",
    "PYTHONUNBUFFERED", "PREDICTIVE_UNIT_PARAMETERS",
}  # fmt: skip


def two_nodes(models: Path) -> tuple[object, object]:
    spec = graph(
        "plan",
        [
            py("scale", f"{NODES}/Affine.py", "Affine", {"mul": 2}, env=(("MODE", "fast"),)),
            server("iris", "SKLEARN_SERVER", None, method="predict"),
        ],
    )
    return spec, tree("scale", T, tree("iris", M))


def test_a_server_node_gets_its_model_folder_read_only_at_mnt_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SETTING", "the caller's")
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)  # the node's own, not the caller's
    spec, root = two_nodes(tmp_path)
    units = units_from_tree(root, spec)  # type: ignore[arg-type]
    scale, iris = plan_containers(spec, units, {"iris": str(tmp_path)})  # type: ignore[arg-type]
    assert (iris.name, iris.ports, iris.image) == (
        "iris", Ports(9001, 9501, 6001), "seldonio/sklearnserver:1.17.1"
    )  # fmt: skip
    assert iris.volumes == {str(tmp_path.resolve()): {"bind": "/mnt/models", "mode": "ro"}}
    assert json.loads(iris.env["PREDICTIVE_UNIT_PARAMETERS"]) == [
        {"name": "method", "value": "predict", "type": "STRING"},
        {"name": "model_uri", "value": "/mnt/models", "type": "STRING"},
    ]
    assert set(iris.env) == OPERATOR_KEYS
    assert (scale.name, scale.ports, scale.volumes) == ("scale", Ports(9000, 9500, 6000), {})
    assert set(scale.env) == OPERATOR_KEYS | {"MODE"} and scale.env["MODE"] == "fast"


@pytest.mark.docker
def test_a_start_with_images_not_built_is_refused_naming_them(tmp_path: Path) -> None:
    from .test_docker import engine

    client = engine()
    spec, root = two_nodes(tmp_path)
    backend = DockerBackend(spec, root, {"iris": str(tmp_path)})  # type: ignore[arg-type]
    images = [plan.image for plan in backend.plans]
    present = [i for i in images if client.images.list(name=i)]
    assert present == []  # neither is built nor pulled here
    assert backend.missing_images() == images  # asked before a start: it finds the engine

    async def start() -> None:
        try:
            await backend.start()
        finally:
            await backend.close()

    with pytest.raises(DockerUnavailable) as refused:
        asyncio.run(start())
    assert str(refused.value) == (
        f"images not available locally: {', '.join(images)}. Build the wrapper images (and "
        f"generated server images) with `seldon-graphs build {spec.file}`; pull Seldon's "  # type: ignore[attr-defined]
        "server images (or use --runtime process) for other server nodes"
    )


def test_a_model_uri_parameter_is_replaced_by_the_mount(tmp_path: Path) -> None:
    """A server node's own `model_uri` parameter (as in Seldon's manifests) names the remote
    model: in the container the model is the mounted folder, and only that is passed."""
    spec = graph("plan", [server("iris", "SKLEARN_SERVER", None, model_uri="gs://elsewhere")])
    units = units_from_tree(tree("iris", M), spec)
    [iris] = plan_containers(spec, units, {"iris": str(tmp_path)})
    assert json.loads(iris.env["PREDICTIVE_UNIT_PARAMETERS"]) == [
        {"name": "model_uri", "value": "/mnt/models", "type": "STRING"},
    ]


def test_no_engine_is_reported_with_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(DockerUnavailable) as failed:
        docker_client()
    assert str(failed.value) == (
        "no Docker engine reachable at unix:///nonexistent/docker.sock (No such file or "
        "directory); start dockerd (or Docker Desktop), or point DOCKER_HOST at one"
    )


def test_no_engine_at_the_default_address_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    # An engine answers at the default address on this machine and in CI: the SDK's
    # failure to reach it is stood in for, the message around it is ours.
    monkeypatch.setattr("docker.from_env", lambda **_: _refuse("the SDK's own error"))
    with pytest.raises(DockerUnavailable) as failed:
        docker_client()
    assert str(failed.value) == (
        "no Docker engine reachable at unix:///var/run/docker.sock (the SDK's own error); "
        "start dockerd (or Docker Desktop), or point DOCKER_HOST at one"
    )


def _refuse(text: str) -> None:
    from docker.errors import DockerException

    raise DockerException(text)


def test_reports_go_to_stderr_unless_told_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = DockerBackend(*two_nodes(tmp_path), {"iris": str(tmp_path)})  # type: ignore[arg-type]
    backend.report("seldon-graphs: node 'iris' exited with code 1; restarting in 0.5s.")
    assert capsys.readouterr() == (
        "",
        "seldon-graphs: node 'iris' exited with code 1; restarting in 0.5s.\n",
    )


@pytest.mark.parametrize(
    ("status", "exit_code", "why"),
    [
        ("exited", 3, "exited with code 3"),
        ("dead", 137, "exited with code 137"),
        ("paused", None, "is paused"),
        (REMOVED, None, "was removed from Docker"),
    ],
)
def test_why_a_container_that_is_not_running_went_down(
    status: str, exit_code: int | None, why: str
) -> None:
    """Docker marks a container `dead` when it failed to remove it, an engine fault no test
    can cause; so this decision is checked on its own (the others also end to end, in
    test_docker.py)."""
    assert why_down(status, exit_code) == why
