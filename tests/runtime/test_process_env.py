"""What the process runtime hands a node before it starts (make mutation, runtime/process):
the operator's environment (reference §2.3) and the generated module that loads the node's
class, run by a real Python as seldon-core-microservice would import it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from seldon_graphs.runtime.nodes import SERVERS_FILE, NodeCode, NodeSetupError
from seldon_graphs.runtime.ports import Ports
from seldon_graphs.runtime.process import ProcessBackend, node_env, write_entry
from seldon_graphs.runtime.units import Param
from seldon_graphs.spec import Role
from seldon_graphs.wrapper.launcher import MODE_ENV

from .graphs import NODES, ROOT, graph, py, server, tree

PORTS = Ports(9003, 9503, 6003)
OPERATOR = {
    "PREDICTIVE_UNIT_ID": "step",
    "PREDICTIVE_UNIT_IMAGE": "registry.local/g-step:0123456789ab",
    "PREDICTIVE_UNIT_SERVICE_PORT": "9003",
    "PREDICTIVE_UNIT_HTTP_SERVICE_PORT": "9003",
    "PREDICTIVE_UNIT_GRPC_SERVICE_PORT": "9503",
    "PREDICTIVE_UNIT_METRICS_SERVICE_PORT": "6003",
    "PREDICTIVE_UNIT_METRICS_ENDPOINT": "/prometheus",
    "PREDICTOR_ID": "default",
    "PREDICTOR_LABELS": '{"version": "default"}',
    "SELDON_DEPLOYMENT_ID": "g",
    "SELDON_EXECUTOR_ENABLED": "true",
    "GRPC_WORKERS": "0",
    "PYTHONUNBUFFERED": "1",
}


def _env(monkeypatch: pytest.MonkeyPatch, *params: Param, **extra: str) -> dict[str, str]:
    monkeypatch.setenv("PREDICTIVE_UNIT_PARAMETERS", "[left over]")  # from the caller's shell
    monkeypatch.setenv("SELDON_DEBUG", "1")
    monkeypatch.setenv("MY_SETTING", "kept")
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)  # set here, and often by IDEs: ours
    spec = graph("g", [py("step", f"{NODES}/Affine.py", "Affine")])
    image = OPERATOR["PREDICTIVE_UNIT_IMAGE"]
    return node_env(spec, "step", image, params, PORTS, tuple(extra.items()))


def test_a_node_gets_the_operators_variables_and_none_of_the_callers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = _env(monkeypatch)
    seldon = ("PREDICTIVE_UNIT", "PREDICTOR", "SELDON")
    given = {k: v for k, v in env.items() if k.startswith(seldon)}
    assert given == {k: v for k, v in OPERATOR.items() if k.startswith(seldon)}
    assert (env["GRPC_WORKERS"], env["PYTHONUNBUFFERED"], env["MY_SETTING"]) == ("0", "1", "kept")


@pytest.mark.parametrize("mode", ["stock", None])
def test_the_launcher_mode_of_a_benchmark_reaches_the_node(
    monkeypatch: pytest.MonkeyPatch, mode: str | None
) -> None:
    """SELDON_GRAPHS_LAUNCHER (a benchmark's stock baseline) is passed on, though the
    caller's other SELDON* variables are not."""
    if mode is None:
        monkeypatch.delenv(MODE_ENV, raising=False)
    else:
        monkeypatch.setenv(MODE_ENV, mode)
    assert _env(monkeypatch).get(MODE_ENV) == mode


def test_parameters_and_the_nodes_own_env_are_added(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env(monkeypatch, Param("scale", "2", "INT"), GRPC_WORKERS="1", MODE="fast")
    assert json.loads(env["PREDICTIVE_UNIT_PARAMETERS"]) == [
        {"name": "scale", "value": "2", "type": "INT"}
    ]
    assert (env["GRPC_WORKERS"], env["MODE"]) == ("1", "fast")  # the node's env wins


def _load(folder: Path) -> str:
    """Import the generated entry in a fresh Python: the role `Node` serves, and its name."""
    code = (
        f"import sys; sys.path.insert(0, {str(folder)!r}); import seldon_graphs_node as m; "
        "print(getattr(m.Node, 'seldon_role', '-'), m.Node.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=folder
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("role", "loaded"),
    [(Role.MODEL, "MODEL Affine"), (Role.OUTPUT_TRANSFORMER, "OUTPUT_TRANSFORMER Affine")],
)
def test_the_entry_loads_the_nodes_class_for_its_role(
    tmp_path: Path, role: Role, loaded: str
) -> None:
    """The class comes through the wrapper's adapter, for the node's role."""
    code = NodeCode("step", ROOT / NODES / "Affine.py", "Affine", role, (), "img")
    write_entry(tmp_path / "step", code, "127.0.0.1")
    assert sorted(p.name for p in (tmp_path / "step").iterdir()) == [
        "launch.py",
        "seldon_graphs_launch.py",
        "seldon_graphs_node.py",
    ]
    assert _load(tmp_path / "step") == loaded
    compile((tmp_path / "step" / "launch.py").read_text(), "launch.py", "exec")


def test_a_server_class_is_loaded_as_it_is(tmp_path: Path) -> None:
    """Seldon's prepackaged servers already serve their role: no adapter."""
    code = NodeCode("iris", SERVERS_FILE, "SKLearnServer", Role.MODEL, (), "img")
    write_entry(tmp_path / "iris", code, "127.0.0.1")
    assert _load(tmp_path / "iris") == "- SKLearnServer"


def test_a_server_nodes_model_folder_given_on_the_command_line_reaches_it(
    tmp_path: Path,
) -> None:
    """`--model-uri NODE=PATH` (ProcessBackend's model_uris) is the only local copy of a
    remote model: without it a gs:// model cannot run locally at all."""
    spec = graph("served", [server("iris", "SKLEARN_SERVER", None, method="predict")])
    with pytest.raises(NodeSetupError, match="which local runs do not download"):
        ProcessBackend(spec, tree("iris", Role.MODEL, impl="SKLEARN_SERVER"))
    backend = ProcessBackend(
        spec, tree("iris", Role.MODEL, impl="SKLEARN_SERVER"), {"iris": str(tmp_path)}
    )
    try:
        [code] = backend._codes
        assert (code.file, code.class_name) == (SERVERS_FILE, "SKLearnServer")
        assert [(p.name, p.value) for p in code.parameters] == [
            ("method", "predict"),
            ("model_uri", str(tmp_path.resolve())),
        ]
    finally:
        asyncio.run(backend.close())
    assert not backend.workdir.exists()
