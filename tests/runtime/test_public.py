"""The runtime package's public names, pinned; and the CLI stays light to start."""

from __future__ import annotations

import subprocess
import sys

import seldon_graphs.runtime as runtime

PUBLIC = {
    "DockerBackend", "Executor", "ExecutorError", "GraphServer", "InProcessBackend",
    "InProcessGraph", "NodeFailed", "NodeSetupError", "NodeStartError", "ProcessBackend",
    "ServerOptions", "ServerThread", "TransportFailure",
}  # fmt: skip


def test_public_names_are_pinned_and_resolve():
    assert set(runtime.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(runtime, name).__name__ == name


def test_the_cli_does_not_import_the_runtime_stack_to_start():
    code = (
        "import sys; from seldon_graphs import cli; cli.build_parser(); "
        "heavy = {'seldon_core', 'aiohttp', 'prometheus_client'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
