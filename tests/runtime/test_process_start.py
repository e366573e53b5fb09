"""What the process runtime starts a node as, and what a start that fails shows of its log
(make mutation, runtime/process): real seldon-core-microservice processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import requests

from seldon_graphs.runtime.process import NodeStartError, ProcessBackend
from seldon_graphs.runtime.supervision import Policy

from .conftest import serve
from .graphs import NODES, M, U, graph, py, tree

pytestmark = pytest.mark.slow


def test_a_node_of_unknown_type_is_served_as_a_model() -> None:
    """Seldon's operator starts an UNKNOWN_TYPE node as a MODEL (seldon-core-microservice
    refuses `--service-type UNKNOWN_TYPE`): it starts, and its own predict answers."""
    spec = graph("unknown", [py("u", f"{NODES}/Affine.py", "Affine", {"name": "u", "mul": 3})])
    backend = ProcessBackend(spec, tree("u", U))
    thread = serve(backend, name="unknown")
    try:
        body = {"data": {"ndarray": [[2.0, 5.0]]}}
        r = requests.post(backend.nodes["u"].url + "/api/v1.0/predictions", json=body, timeout=30)
        assert (r.status_code, r.json()["data"]["ndarray"]) == (200, [[6.0, 15.0]])
    finally:
        thread.stop()


def test_a_failed_start_shows_the_last_40_lines_of_the_nodes_log(tmp_path: Path) -> None:
    noisy = tmp_path / "Noisy.py"
    noisy.write_text(
        "import os\nfor i in range(1, 56):\n    print(f'noisy line {i}', flush=True)\nos._exit(3)\n"
    )
    spec = graph("noisy", [py("noisy", str(noisy), "Noisy")], root=tmp_path)
    backend = ProcessBackend(spec, tree("noisy", M), policy=Policy(start_timeout=60))

    with pytest.raises(NodeStartError) as failed:
        asyncio.run(backend.start())
    head, *log = str(failed.value).splitlines()
    assert head == "node 'noisy' did not start (exited with code 3); last log lines:"
    assert log == [f"    noisy line {i}" for i in range(16, 56)]
