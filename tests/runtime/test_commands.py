"""`seldon-graphs run` and `seldon-graphs predict` as a user types them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from seldon_graphs.cli import main
from seldon_graphs.runtime.ports import free_port

from .graphs import ROOT

IRIS = str(ROOT / "graphs" / "iris.yaml")
SAMPLE = "[[5.1, 3.5, 1.4, 0.2]]"


def test_predict_one_request_in_process(iris_dir: Path, capsys: pytest.CaptureFixture[str]):
    code = main(["predict", IRIS, "--data", SAMPLE, "--model-uri", f"classifier={iris_dir}"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and len(out["data"]["ndarray"][0]) == 3


def test_predict_reads_data_from_a_file(iris_dir: Path, tmp_path: Path, capsys):
    body = tmp_path / "req.json"
    body.write_text(json.dumps({"data": {"ndarray": json.loads(SAMPLE)}}))
    uri = f"classifier={iris_dir}"
    assert main(["predict", IRIS, "--data", f"@{body}", "--model-uri", uri]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["names"] == ["t:0", "t:1", "t:2"]


@pytest.mark.parametrize(
    "argv",
    [
        ["predict", IRIS, "--data", "{not json"],
        ["predict", IRIS, "--data", SAMPLE, "--model-uri", "no-equals-sign"],
        ["run", IRIS, "--runtime", "nope"],
    ],
)
def test_usage_errors_exit_2(argv: list[str]):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2


def test_a_bad_graph_exits_1_with_diagnostics(capsys):
    assert (
        main(["predict", str(ROOT / "tests/bad_graphs/undefined-node.yaml"), "--data", "[]"]) == 1
    )
    assert "undefined-node.yaml" in capsys.readouterr().err


def test_a_missing_local_model_exits_1_and_says_what_to_do(tmp_path: Path, capsys):
    uri = f"classifier={tmp_path / 'nothing'}"
    assert main(["predict", IRIS, "--data", SAMPLE, "--model-uri", uri]) == 1
    assert "does not exist" in capsys.readouterr().err


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_then_stops_every_child_on_a_signal(iris_dir: Path, sig: signal.Signals):
    port = free_port()
    cmd = [sys.executable, "-m", "seldon_graphs.cli", "run", IRIS, "--port", str(port),
           "--model-uri", f"classifier={iris_dir}"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        banner = ""
        deadline = time.monotonic() + 90
        while "is up" not in banner and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "run exited"
            banner += line
        assert (
            f"curl -s http://127.0.0.1:{port}/api/v1.0/predictions"
            in proc.stdout.readline() + proc.stdout.readline() + banner
        )
        url = f"http://127.0.0.1:{port}"
        r = requests.post(
            f"{url}/api/v1.0/predictions", json={"data": {"ndarray": json.loads(SAMPLE)}}
        )
        assert r.status_code == 200 and r.json()["meta"]["requestPath"]["classifier"]
        groups = children_of(proc.pid)
        assert groups, "the node process should be a child of `run`"
        proc.send_signal(sig)
        assert proc.wait(30) == 0
        time.sleep(0.2)
        assert not [g for g in groups if group_alive(g)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_predict_through_real_node_processes(iris_dir: Path, capsys):
    argv = ["predict", IRIS, "--data", SAMPLE, "--runtime", "process"]
    assert main([*argv, "--model-uri", f"classifier={iris_dir}"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["meta"]["requestPath"] == {"classifier": "seldonio/sklearnserver:1.17.1"}


def test_v2_graphs_are_refused_clearly(tmp_path: Path, capsys):
    graph = tmp_path / "v2.yaml"
    graph.write_text(
        "name: v2\nprotocol: v2\nnodes:\n"
        "  classifier: {server: sklearn, model_uri: gs://b/iris, local_uri: models/iris}\n"
    )
    code = main(["predict", str(graph), "--data", SAMPLE])
    err = capsys.readouterr().err
    assert code == 1 and ("seldon protocol only" in err or "v2" in err)


def test_local_model_paths_never_reach_the_manifest():
    from seldon_graphs import api

    manifest = api.load(IRIS).manifest_yaml()
    assert "models/iris" not in manifest and "local_uri" not in manifest
    assert "gs://seldon-models/v1.12.0-dev/sklearn/iris" in manifest
