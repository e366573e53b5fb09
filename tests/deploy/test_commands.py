"""The CLI: deploy/status/diff/delete/secret through argparse, exit codes, no tracebacks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import yaml

from seldon_graphs import api
from seldon_graphs.cli import deploy_commands as commands
from seldon_graphs.cli import main
from seldon_graphs.deploy import ImageTarget
from tests.helpers import NO_SHARED, SHARED, project, require_file

from .conftest import sdep
from .fakeapi import FakeCluster, pod, running, waiting

IMG = "seldonio/metadata-generic-node:1.14.0-dev"


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="seldon-graphs", exit_on_error=False)
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def sdep_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(sdep()))
    return path


def k(kubeconfig: Path) -> tuple[str, str]:
    return ("--kubeconfig", str(kubeconfig))


def test_deploy_status_diff_delete_round_trip(
    sdep_file: Path, kubeconfig: Path, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster.operator.available_after = 1
    assert cli("deploy", str(sdep_file), *k(kubeconfig), "--no-build") == 0
    out, err = capsys.readouterr()
    assert "port-forward svc/test-test 8000:8000" in out and "curl -s -X POST" in out
    assert "applied SeldonDeployment models/test" in err

    cluster.pods["models"] = [
        pod(
            "test-test-0-abc",
            "test",
            [
                running("input-transformer", IMG),
                running("model", IMG),
                waiting("output-transformer", IMG, "ContainerCreating"),
                running("seldon-container-engine", "seldonio/seldon-core-executor:1.17.1"),
            ],
        )
    ]
    assert cli("status", str(sdep_file), *k(kubeconfig)) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == "models/test: Available"
    assert (
        "  output-transformer       NOT ready 0/1  ContainerCreating (pod test-test-0-abc)" in out
    )
    assert "  model                    ready 1/1" in out
    assert "  seldon-container-engine  ready 1/1" in out

    assert cli("diff", str(sdep_file), *k(kubeconfig)) == 0
    assert "no differences" in capsys.readouterr().out

    changed = sdep()
    changed["spec"]["predictors"][0]["replicas"] = 3
    sdep_file.write_text(yaml.safe_dump(changed))
    assert cli("diff", str(sdep_file), *k(kubeconfig)) == 1
    out = capsys.readouterr().out
    assert "-    replicas: 1\n+    replicas: 3\n" in out
    assert "managedFields" not in out and "resourceVersion" not in out and "status" not in out

    assert cli("delete", str(sdep_file), *k(kubeconfig)) == 0
    assert "deleted SeldonDeployment models/test" in capsys.readouterr().out
    assert cli("delete", str(sdep_file), *k(kubeconfig)) == 0
    assert "nothing to delete" in capsys.readouterr().out
    assert cli("status", str(sdep_file), *k(kubeconfig)) == 1
    assert "is not deployed" in capsys.readouterr().out


def test_diff_when_not_deployed_shows_everything_added(
    sdep_file: Path, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("diff", str(sdep_file), *k(kubeconfig)) == 1
    out = capsys.readouterr().out
    assert "is not deployed; deploy would create" in out and "+kind: SeldonDeployment" in out


def test_namespace_flag_and_context_default(
    sdep_file: Path, cluster: FakeCluster, tmp_path: Path
) -> None:
    manifest = sdep(namespace=None)
    sdep_file.write_text(yaml.safe_dump(manifest))
    kc = cluster.kubeconfig(tmp_path / "kc", namespace="team-a")
    assert cli("deploy", str(sdep_file), "--kubeconfig", str(kc), "--wait", "0") == 0
    assert ("team-a", "test") in cluster.sdeps
    assert (
        cli("deploy", str(sdep_file), "--kubeconfig", str(kc), "-n", "team-b", "--wait", "0") == 0
    )
    assert ("team-b", "test") in cluster.sdeps


def test_status_not_available_exits_1(
    sdep_file: Path, kubeconfig: Path, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster.operator.available_after = None
    assert cli("deploy", str(sdep_file), *k(kubeconfig), "--wait", "0") == 0
    assert cli("status", str(sdep_file), *k(kubeconfig)) == 1
    assert "models/test: Creating" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (
            lambda c: setattr(c, "crd_installed", False),
            "error: the Seldon Core operator is not installed: run make kind-up",
        ),
        (
            lambda c: c.deny.add("create seldondeployments"),
            "error: forbidden: with context 'kind-seldon' you may not create seldondeployments",
        ),
        (lambda c: setattr(c, "token", "other"), "rejected our credentials"),
    ],
    ids=["crd-missing", "rbac", "unauthorized"],
)
def test_cluster_errors_are_sentences(
    setup: Any,
    expected: str,
    sdep_file: Path,
    kubeconfig: Path,
    cluster: FakeCluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup(cluster)
    assert cli("deploy", str(sdep_file), *k(kubeconfig)) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and "help:" in err


@pytest.mark.parametrize("command", ["status", "diff", "delete"])
def test_other_commands_say_when_seldon_is_missing(
    command: str,
    sdep_file: Path,
    kubeconfig: Path,
    cluster: FakeCluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cluster.crd_installed = False
    assert cli(command, str(sdep_file), *k(kubeconfig)) == 1
    assert "the Seldon Core operator is not installed" in capsys.readouterr().err


def test_no_kubeconfig(
    sdep_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    missing = tmp_path / "nope"
    assert cli("deploy", str(sdep_file), "--kubeconfig", str(missing)) == 1
    err = capsys.readouterr().err
    assert f"error: no kubeconfig found at {missing}" in err and "make kind-up" in err


def test_unknown_context(
    sdep_file: Path, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("status", str(sdep_file), *k(kubeconfig), "--context", "prod") == 1
    assert "there is no context named 'prod'" in capsys.readouterr().err


def test_unreachable(
    sdep_file: Path,
    cluster: FakeCluster,
    tmp_path: Path,
    closed_port: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kc = cluster.kubeconfig(tmp_path / "kc", server=f"http://127.0.0.1:{closed_port}")
    assert cli("status", str(sdep_file), "--kubeconfig", str(kc)) == 1
    assert "cannot reach the Kubernetes API" in capsys.readouterr().err


def test_missing_file(kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("deploy", str(tmp_path / "nope.yaml"), *k(kubeconfig)) == 1
    assert "cannot read" in capsys.readouterr().err


def test_dry_run_server_flag(sdep_file: Path, kubeconfig: Path, cluster: FakeCluster) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    assert cli("deploy", str(sdep_file), *k(kubeconfig), "--dry-run=server") == 0
    assert cluster.sdeps == {}
    assert cluster.requests("PATCH", "seldondeployments")[0].query["dryRun"] == ["All"]


def test_usage_errors_exit_2() -> None:
    from seldon_graphs import cli as main_cli

    with pytest.raises(SystemExit) as exit_:
        main_cli.main(["deploy", "g.yaml", "--dry-run=client"])
    assert exit_.value.code == 2


# --- graph files compiled by seldon_graphs.api ------------------------------------------------

GRAPH = """\
name: test
namespace: models
nodes:
  m: {python: models.py:Model}
  n: {python: models.py:Model}
  c: {python: models.py:Combiner, kind: combiner}
flow: "[m, n] -> c"
"""


def test_graph_errors_print_the_compilers_diagnostics(
    tmp_path: Path, kubeconfig: Path, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = project(tmp_path) / "bad.yaml"
    graph.write_text(GRAPH.replace("[m, n]", "[m, nn]"))
    # through cli.main: the loader raises GraphError, which main prints and maps to exit 1
    assert main(["deploy", str(graph), *k(kubeconfig)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:7:12: error: undefined node `nn` in flow" in err
    assert cluster.requests("PATCH") == []  # nothing reached the cluster


def test_graph_file_compiles_and_deploys(
    tmp_path: Path, kubeconfig: Path, cluster: FakeCluster
) -> None:
    graph = project(tmp_path) / "g.yaml"
    graph.write_text(GRAPH)
    built: list[Any] = []
    args = argparse.Namespace(
        graph=str(graph),
        context=None,
        kubeconfig=str(kubeconfig),
        namespace=None,
        ingress=None,
        wait=0.0,
        dry_run=None,
        no_build=False,
    )
    assert commands.cmd_deploy(args, images=lambda t, d: built.append((t, d))) == 0
    ((target, dest),) = built
    assert dest == ImageTarget(kind_cluster="seldon", push=False)
    assert sorted(c.node for c in target.graph.contexts) == ["c", "m", "n"]
    compiled = api.load(graph).manifest()  # the real compiler, run independently
    assert cluster.sdeps[("models", "test")]["spec"] == compiled["spec"]
    (applied,) = cluster.requests("PATCH", "seldondeployments/test$")
    assert applied.body["spec"] == compiled["spec"]
    root = compiled["spec"]["predictors"][0]["graph"]
    assert (root["name"], [c["name"] for c in root["children"]]) == ("c", ["m", "n"])


# --- secrets -----------------------------------------------------------------------------------


def test_secret_from_env_never_prints_values(
    kubeconfig: Path,
    cluster: FakeCluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "minio")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "minio123-very-secret")
    assert (
        cli(
            "secret",
            "create",
            "minio",
            "--from-env",
            "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY",
            *k(kubeconfig),
            "-n",
            "models",
        )
        == 0
    )
    out, err = capsys.readouterr()
    keys = ["ACCESS_KEY_ID", "ENV_AUTH", "PROVIDER", "SECRET_ACCESS_KEY", "TYPE"]
    listed = ", ".join(f"RCLONE_CONFIG_S3_{key}" for key in keys)
    assert f"applied secret models/minio with keys {listed} (values not shown)" in out
    assert "minio123" not in out + err
    stored = cluster.secrets[("models", "minio")]
    assert stored["data"]["RCLONE_CONFIG_S3_SECRET_ACCESS_KEY"] == "bWluaW8xMjMtdmVyeS1zZWNyZXQ="
    (apply,) = cluster.requests("PATCH", "secrets/minio")
    assert apply.query["fieldManager"] == ["seldon-graphs"]


def test_secret_missing_env_var(
    kubeconfig: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    assert cli("secret", "create", "s", "--from-env", "NOT_SET_ANYWHERE", *k(kubeconfig)) == 1
    assert "environment variable(s) not set: NOT_SET_ANYWHERE" in capsys.readouterr().err


def test_secret_from_file_replaces_the_walkthroughs_base64(
    tmp_path: Path,
    kubeconfig: Path,
    cluster: FakeCluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = tmp_path / "minio.env"
    env.write_text(
        "# MinIO in Kubeflow\nAWS_ACCESS_KEY_ID=minio\nexport AWS_SECRET_ACCESS_KEY="
        "'minio123'\nAWS_ENDPOINT_URL=\"http://minio-service.kubeflow.svc:9000\"\n"
        "USE_SSL=false\n"
    )
    assert (
        cli(
            "secret",
            "create",
            "seldon-init-container-secret",
            "--from-file",
            str(env),
            "--keep-aws-keys",
            *k(kubeconfig),
        )
        == 0
    )
    stored = cluster.secrets[("default", "seldon-init-container-secret")]
    out, err = capsys.readouterr()
    assert "minio123" not in out + err
    walkthrough = require_file(SHARED / "walkthrough" / "ch5-minio-secret.yaml", NO_SHARED)
    # the same bytes the reader base64-encoded by hand, and the rclone keys beside them
    by_hand = yaml.safe_load(walkthrough.read_text())["data"]
    assert {key: stored["data"][key] for key in by_hand} == by_hand
    assert stored["data"]["RCLONE_CONFIG_S3_ENDPOINT"] == by_hand["AWS_ENDPOINT_URL"]


def test_secret_file_errors_never_echo_the_line(
    tmp_path: Path, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "bad.env"
    env.write_text("A=1\nhunter2\n")
    assert cli("secret", "create", "s", "--from-file", str(env), *k(kubeconfig)) == 1
    err = capsys.readouterr().err
    assert "bad.env:2: expected KEY=VALUE" in err and "hunter2" not in err


def test_secret_dry_run(
    kubeconfig: Path,
    cluster: FakeCluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TOKEN", "x")
    assert (
        cli("secret", "create", "s", "--from-env", "TOKEN", *k(kubeconfig), "--dry-run=server") == 0
    )
    assert cluster.secrets == {} and "would apply (dry run)" in capsys.readouterr().out
    assert (
        cli(
            "secret",
            "create",
            "s",
            "--from-env",
            "TOKEN",
            *k(kubeconfig),
            "-n",
            "new",
            "--dry-run=server",
        )
        == 0
    )
    assert "new" not in cluster.namespaces
    assert "would create namespace new" in capsys.readouterr().out


def test_a_context_that_fails_while_deploying_is_an_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A project file that changes while deploy plans its image (ContextError from the
    planner) is reported like every other problem: exit 1, the reason, nothing deployed."""
    from seldon_graphs.cli.deploy_commands import _guarded
    from seldon_graphs.wrapper.findings import ContextError

    def plans(args: object) -> int:
        raise ContextError("node m: `data/big.bin` changed while it was read")

    assert _guarded(plans)(argparse.Namespace()) == 1
    assert capsys.readouterr().err == (
        "seldon-graphs: error: node m: `data/big.bin` changed while it was read; "
        "nothing was deployed\n"
    )
