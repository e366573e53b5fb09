"""`seldon-graphs run` and `seldon-graphs predict` as a user types them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from seldon_graphs.cli import main

from .conftest import wait_until
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


class Run:
    """`seldon-graphs run GRAPH --port 0 ...` as a child process, its URL read from its banner
    (port 0: the executor binds a port itself, so no port is picked free and bound later)."""

    def __init__(self, graph: str, *args: str, env: dict[str, str] | None = None) -> None:
        cmd = [sys.executable, "-m", "seldon_graphs.cli", "run", graph, "--port", "0", *args]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        self.url = self._read_url()

    def _read_url(self) -> str:
        assert self.proc.stdout is not None
        banner = ""
        while "is up on " not in banner:  # the child's own start timeout bounds this
            line = self.proc.stdout.readline()
            assert line, self.proc.stderr.read() if self.proc.stderr else "run exited"
            banner += line
        found = re.search(r"is up on (http://127\.0\.0\.1:\d+) ", banner)
        assert found, banner
        return found.group(1)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def runs() -> Iterator[Callable[..., Run]]:
    started: list[Run] = []

    def start(graph: str, *args: str, env: dict[str, str] | None = None) -> Run:
        started.append(Run(graph, *args, env=env))
        return started[-1]

    yield start
    for run in started:
        run.close()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_then_stops_every_child_on_a_signal(iris_dir: Path, sig: signal.Signals, runs):
    run = runs(IRIS, "--model-uri", f"classifier={iris_dir}")
    r = requests.post(
        f"{run.url}/api/v1.0/predictions", json={"data": {"ndarray": json.loads(SAMPLE)}},
        timeout=30,
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["meta"]["requestPath"]["classifier"]
    groups = children_of(run.proc.pid)
    assert groups, "the node process should be a child of `run`"
    run.proc.send_signal(sig)
    assert run.proc.wait(30) == 0
    wait_until(lambda: not [g for g in groups if group_alive(g)], "the node processes to go")


def sleepy_project(folder: Path) -> Path:
    """A graph file with one node that sleeps as long as asked."""
    (folder / "Sleepy.py").write_text((ROOT / "tests/runtime/nodes/Sleepy.py").read_text())
    graph = folder / "slow.yaml"
    graph.write_text("name: slow\nnodes:\n  slow: {python: Sleepy.py:Sleepy}\n")
    return graph


def run_folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("seldon-graphs-slow-*"))


@pytest.mark.slow
def test_a_second_sigterm_stops_at_once_and_cleans_up(tmp_path: Path, runs):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    run = runs(str(sleepy_project(tmp_path)), env={"TMPDIR": str(tmp)})
    assert len(run_folders(tmp)) == 1
    groups = children_of(run.proc.pid)
    body = {"data": {"ndarray": [[600]]}}  # would hold the drain for its whole 15 s
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.post, f"{run.url}/api/v1.0/predictions", json=body)
        wait_until(lambda: node_busy(run.url), "the request to reach the node")
        run.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: requests_refused(run.url), "the executor to stop accepting")
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(10) == 0  # less than the drain: it did not wait for it
        answer = pending.result(10)
    assert answer.status_code == 503
    assert answer.json()["status"]["info"] == (
        "node 'slow': node 'slow' is stopped (the graph is shutting down)"
    )
    assert run_folders(tmp) == []
    wait_until(lambda: not [g for g in groups if group_alive(g)], "the node processes to go")


def node_busy(url: str) -> bool:
    """The node is sleeping on a request: its status call times out."""
    try:
        requests.get(f"{url}/api/v1.0/status/slow", timeout=0.3)
    except requests.Timeout:
        return True
    return False


def requests_refused(url: str) -> bool:
    try:
        requests.get(f"{url}/live", timeout=1)
    except requests.ConnectionError:
        return True
    return False


@pytest.mark.slow
def test_the_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path: Path, runs):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    graph = str(sleepy_project(tmp_path))
    killed = runs(graph, env={"TMPDIR": str(tmp)})
    groups = children_of(killed.proc.pid)
    left = run_folders(tmp)
    killed.proc.kill()  # SIGKILL: no cleanup at all
    killed.proc.wait()
    wait_until(lambda: not [g for g in groups if group_alive(g)], "the orphaned nodes to die")
    assert run_folders(tmp) == left and len(left) == 1
    second = runs(graph, env={"TMPDIR": str(tmp)})
    assert left[0] not in run_folders(tmp) and len(run_folders(tmp)) == 1
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(30) == 0
    assert run_folders(tmp) == []


@pytest.mark.slow
def test_predict_through_real_node_processes(iris_dir: Path, capsys):
    argv = ["predict", IRIS, "--data", SAMPLE, "--runtime", "process"]
    assert main([*argv, "--model-uri", f"classifier={iris_dir}"]) == 0
    out = json.loads(capsys.readouterr().out)
    from seldon_graphs import api

    # the generated server image the cluster runs (graphs/iris.yaml, docs/decisions/0006)
    assert out["meta"]["requestPath"] == api.load(IRIS).images()


def test_v2_graphs_are_refused_clearly(tmp_path: Path, capsys):
    graph = tmp_path / "v2.yaml"
    graph.write_text(
        "name: v2\nprotocol: v2\nnodes:\n"
        "  classifier: {server: sklearn, model_uri: gs://b/iris, local_uri: models/iris}\n"
    )
    code = main(["predict", str(graph), "--data", SAMPLE])
    assert (code, capsys.readouterr().err) == (
        1,
        "seldon-graphs: graph 'v2' uses protocol v2; the local runtimes speak the seldon "
        "protocol only (v2 and tensorflow graphs run on a cluster)\n",
    )


def test_local_model_paths_never_reach_the_manifest():
    from seldon_graphs import api

    manifest = api.load(IRIS).manifest_yaml()
    assert "modelUri: s3://models/iris\n" in manifest
    assert "models/iris" not in manifest.replace("s3://models/iris", "")
    assert "local_uri" not in manifest


@pytest.mark.slow
def test_two_runs_started_together_each_serve_their_own_model(tmp_path: Path, runs):
    """Two `run`s in two processes, both wanting the operator's port 9000 for their node."""
    graphs = []
    for name, mul in (("twin-a", 10), ("twin-b", 100)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "Affine.py").write_text((ROOT / "tests/runtime/nodes/Affine.py").read_text())
        graph = folder / "g.yaml"
        graph.write_text(
            f"name: {name}\nnodes:\n"
            f"  m: {{python: Affine.py:Affine, params: {{name: {name}, mul: {mul}}}}}\n"
        )
        graphs.append(str(graph))
    with ThreadPoolExecutor(2) as pool:  # started together: both allocate ports at once
        started = list(pool.map(runs, graphs))
    answers = [
        requests.post(
            f"{run.url}/api/v1.0/predictions", json={"data": {"ndarray": [[1]]}}, timeout=30
        ).json()
        for run in started
    ]
    assert [(a["data"]["ndarray"], a["meta"]["tags"]["last"]) for a in answers] == [
        ([[10.0]], "twin-a"),
        ([[100.0]], "twin-b"),
    ]
