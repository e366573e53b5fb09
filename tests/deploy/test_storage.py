"""Model storage for real: Debian's rclone (the tool Seldon 1.17.1's storage initializer runs)
against moto's S3 server on 127.0.0.1.

`models push` uploads, then rclone runs with exactly the environment the init container
gets (the image's ENV plus the Secret `secret create` stored, decoded from the fake API
server) and the init container's arguments (`copy <modelUri> <folder>`). moto accepts any
credentials, so the failing cases are the ones that fail against any S3 server: the
walkthrough's kfserving-format secret (rclone finds no remote) and a missing bucket.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from seldon_graphs import api
from seldon_graphs.cli import main as cli
from seldon_graphs.deploy import DeployOptions, RolloutError, deploy, load_target
from seldon_graphs.deploy.initializers import initializer_env
from seldon_graphs.deploy.push import progress_line, rclone_env
from tests.helpers import project as make_project
from tests.helpers import require_tool

from .conftest import FakeClock
from .fakeapi import FakeCluster, pod, waiting

GRAPH = """\
name: income
namespace: models
nodes:
  features: {{python: models.py:Model}}
  lr: {{server: sklearn, model_uri: {lr}, local_uri: trained/lr, secret: minio}}
  gb: {{server: sklearn, model_uri: s3://models/income/gb, local_uri: trained/gb, secret: minio}}
  vote: {{stock: mean-combiner}}
flow: features -> [lr, gb] -> vote
"""
KEY, SECRET = "minio", "minio123-do-not-print"


@pytest.fixture
def s3() -> Iterator[str]:
    """moto's S3 server on a free 127.0.0.1 port; yields host:port (no scheme, as the
    walkthrough's AWS_ENDPOINT_URL is often written; USE_SSL=false supplies http)."""
    require_tool("rclone")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path)
    for name, data in (("lr", b"lr-model-v1"), ("gb", b"gb-model-v1")):
        (root / "trained" / name).mkdir(parents=True)
        (root / "trained" / name / "model.joblib").write_bytes(data)
    (root / "graph.yaml").write_text(GRAPH.format(lr="s3://models/income/lr"))
    return root


def creds(tmp_path: Path, endpoint: str) -> Path:
    """The walkthrough's four variables, as `secret create --from-file` and push take them."""
    env = tmp_path / "minio.env"
    env.write_text(
        f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n"
        f"AWS_ENDPOINT_URL={endpoint}\nUSE_SSL=false\n"
    )
    return env


def objects(endpoint: str) -> dict[str, tuple[str, Any]]:
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        verify=False,
    )
    listed = client.list_objects_v2(Bucket="models").get("Contents", [])
    return {o["Key"]: (o["ETag"], o["LastModified"]) for o in listed}


def push(graph: Path, env: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli(["models", "push", str(graph), "--from-file", str(env)])
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    return code, out, err


def stored_secret(cluster: FakeCluster, kubeconfig: Path, env: Path) -> dict[str, str]:
    """What `secret create` put in the cluster, decoded: the init container's envFrom."""
    argv = ["secret", "create", "minio", "-n", "models", "--from-file", str(env)]
    assert cli([*argv, "--kubeconfig", str(kubeconfig)]) == 0
    data = cluster.secrets[("models", "minio")]["data"]
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def initializer(
    secret: dict[str, str], model_uri: str, dest: Path
) -> subprocess.CompletedProcess[str]:
    """The init container: `rclone copy <modelUri> /mnt/models`, the secret as environment."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(dest.parent),
        **initializer_env(secret),
    }
    rclone = require_tool("rclone")
    return subprocess.run(
        [rclone, "copy", model_uri, str(dest)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_push_is_idempotent_and_uploads_only_changes(
    s3: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env, graph = creds(tmp_path, s3), project / "graph.yaml"
    code, out, err = push(graph, env, capsys)
    assert code == 0, err
    assert out.splitlines() == [
        f"lr: {project}/trained/lr -> s3://models/income/lr (1 file(s) uploaded)",
        f"gb: {project}/trained/gb -> s3://models/income/gb (1 file(s) uploaded)",
    ]
    assert "lr: model.joblib: Copied (new)" in err
    first = objects(s3)
    assert sorted(first) == ["income/gb/model.joblib", "income/lr/model.joblib"]

    code, out, _ = push(graph, env, capsys)  # nothing changed: nothing uploaded
    assert code == 0 and out.count("(unchanged)") == 2
    assert objects(s3) == first

    (project / "trained" / "gb" / "model.joblib").write_bytes(b"gb-model-v2")
    code, out, err = push(graph, env, capsys)
    assert code == 0 and "gb: model.joblib: Copied (replaced existing)" in err
    assert "lr: " in out and "(unchanged)" in out.splitlines()[0]
    after = objects(s3)
    assert after["income/lr/model.joblib"] == first["income/lr/model.joblib"]
    assert after["income/gb/model.joblib"][0] != first["income/gb/model.joblib"][0]


def test_the_secret_we_create_downloads_with_the_initializers_rclone(
    s3: str,
    project: Path,
    tmp_path: Path,
    cluster: FakeCluster,
    kubeconfig: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = creds(tmp_path, s3)
    assert push(project / "graph.yaml", env, capsys)[0] == 0
    secret = stored_secret(cluster, kubeconfig, env)
    assert secret["RCLONE_CONFIG_S3_ENDPOINT"] == f"http://{s3}"
    done = initializer(secret, "s3://models/income/lr", tmp_path / "mnt-models")
    assert done.returncode == 0, done.stderr
    copied = tmp_path / "mnt-models" / "model.joblib"
    assert copied.read_bytes() == b"lr-model-v1"
    assert SECRET not in done.stderr


def test_the_walkthroughs_kfserving_secret_fails_with_rcloness_message(
    s3: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = creds(tmp_path, s3)
    assert push(project / "graph.yaml", env, capsys)[0] == 0
    walkthrough = {
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_ENDPOINT_URL": f"http://{s3}",
        "USE_SSL": "false",
    }
    done = initializer(walkthrough, "s3://models/income/lr", tmp_path / "mnt-models")
    assert done.returncode == 1
    assert "didn't find section in config file" in done.stderr


def test_a_failed_download_reaches_the_deploy_diagnosis(
    s3: str,
    project: Path,
    tmp_path: Path,
    cluster: FakeCluster,
    kubeconfig: Path,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The secret is right (preflight passes) but the model was never pushed to this
    bucket: rclone fails in the init container, and deploy shows its words and the fix."""
    graph = project / "graph.yaml"
    graph.write_text(GRAPH.format(lr="s3://nobucket/income/lr"))
    cluster.namespaces["models"] = cluster.namespaces["default"]
    secret = stored_secret(cluster, kubeconfig, creds(tmp_path, s3))
    done = initializer(secret, "s3://nobucket/income/lr", tmp_path / "mnt-models")
    assert done.returncode != 0
    rclone_said = done.stderr.strip().splitlines()[-1]
    name = "income-default-0-lr-abc"
    cluster.operator.available_after = None
    cluster.pods["models"] = [
        pod(
            name,
            "income",
            [waiting("lr", "seldonio/sklearnserver:1.17.1", "PodInitializing")],
            phase="Pending",
            init=[
                waiting(
                    "lr-model-initializer", "rclone", "CrashLoopBackOff", exit_code=done.returncode
                )
            ],
        )
    ]
    cluster.logs[("models", name, "lr-model-initializer", False)] = done.stderr
    text = rollout_error(graph, kubeconfig, clock)
    assert "init container lr-model-initializer keeps crashing" in text
    assert f"| {rclone_said}" in text
    assert "seldon-graphs models push GRAPH" in text


def rollout_error(graph: Path, kubeconfig: Path, clock: FakeClock) -> str:
    """`deploy` of `graph` into namespace models, which must fail: its diagnosis."""
    from seldon_graphs.deploy import connect

    target = load_target(str(graph), api.load).placed(None, "models")
    with pytest.raises(RolloutError) as err:
        deploy(
            connect(kubeconfig=str(kubeconfig)),
            target,
            DeployOptions(wait=30),
            lambda t, d: None,
            print,
            clock,
        )
    return str(err.value)


def test_rclone_env_drops_this_machines_s3_settings() -> None:
    environ = {"PATH": "/bin", "HOME": "/h", "AWS_CA_BUNDLE": "/etc/ca.pem", "AWS_PROFILE": "x"}
    env = rclone_env({"RCLONE_CONFIG_S3_TYPE": "s3"}, environ)
    assert env == {
        "PATH": "/bin",
        "HOME": "/h",
        "RCLONE_CONFIG_GS_TYPE": "google cloud storage",
        "RCLONE_CONFIG_GS_ANONYMOUS": "true",
        "RCLONE_VERBOSE": "1",
        "RCLONE_CONFIG_S3_TYPE": "s3",
    }


def test_push_failures_are_one_readable_error(
    s3: str,
    project: Path,
    tmp_path: Path,
    closed_port: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    graph = project / "graph.yaml"
    code, _, err = push(graph, creds(tmp_path, f"127.0.0.1:{closed_port}"), capsys)
    assert code == 1 and "Traceback" not in err
    assert "error: lr: rclone could not copy" in err and "connection refused" in err
    assert "help: check the credentials" in err

    (project / "trained" / "lr" / "model.joblib").unlink()
    (project / "trained" / "lr").rmdir()
    code, _, err = push(graph, creds(tmp_path, s3), capsys)
    assert code == 1 and f"error: lr: local_uri {project}/trained/lr does not exist" in err


def test_push_needs_both_credentials(
    s3: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "half.env"
    env.write_text(f"AWS_SECRET_ACCESS_KEY={SECRET}\n")
    code, _, err = push(project / "graph.yaml", env, capsys)
    assert code == 1 and "error: the AWS-style input lacks AWS_ACCESS_KEY_ID" in err


def test_push_says_which_nodes_it_leaves_out(
    s3: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = project / "graph.yaml"
    text = GRAPH.format(lr="pvc://claim/lr").replace(", local_uri: trained/gb", "")
    graph.write_text(text)
    code, _, err = push(graph, creds(tmp_path, s3), capsys)
    assert code == 1
    assert "skipped lr: pvc://claim/lr is not object storage" in err
    assert "skipped gb: no local_uri, nothing to upload" in err
    assert "error: income has no server node with both local_uri and model_uri" in err


def test_push_reports_graph_errors_at_their_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = project / "graph.yaml"
    graph.write_text(GRAPH.format(lr="s3://models/income/lr").replace("[lr, gb]", "[lr, gx]"))
    code, _, err = push(graph, creds(tmp_path, "127.0.0.1:1"), capsys)
    assert code == 1 and "graph.yaml:8:" in err and "`gx`" in err


@pytest.mark.parametrize(
    ("line", "shown"),
    [  # rclone 1.60.1's own lines, copied from a 286 MiB upload to moto
        ("2026/11/29 04:25:58 INFO  : model.joblib: Copied (new)", "model.joblib: Copied (new)"),
        (
            "2026/11/29 04:26:00 INFO  :    20.000 MiB / 286.102 MiB, 7%, 10.693 MiB/s, ETA 24s",
            "20.000 MiB / 286.102 MiB, 7%, 10.693 MiB/s, ETA 24s",
        ),
        (
            "2026/11/29 04:25:59 INFO  :     6 B / 6 B, 100%, 0 B/s, ETA -",
            "6 B / 6 B, 100%, 0 B/s, ETA -",
        ),
        ('2026/11/29 04:25:58 INFO  : S3 bucket models path big: Bucket "models" created', None),
        ("2026/11/29 04:25:58 NOTICE: something else", None),
    ],
)
def test_progress_lines(line: str, shown: str | None) -> None:
    assert progress_line(line) == shown
