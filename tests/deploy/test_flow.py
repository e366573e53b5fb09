"""deploy(): success and every failure, driven through the real client against fakeapi."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.deploy import (
    DeployOptions,
    ForbiddenError,
    ImageTarget,
    Kube,
    OperatorMissingError,
    RejectedError,
    RolloutError,
    Target,
    WaitTimeout,
    connect,
    deploy,
)
from seldon_graphs.deploy.errors import AuthError, DeployError, UnreachableError
from seldon_graphs.spec import Pos

from .conftest import FakeClock, sdep
from .fakeapi import FakeCluster, event, pod, running, seldon_webhook, unschedulable, waiting

IMG = "seldonio/metadata-generic-node:1.14.0-dev"


@dataclass
class FakeNode:
    name: str
    pos: Pos


@dataclass
class FakeSpec:
    nodes: list[FakeNode]
    registry: str | None = None

    def node(self, name: str) -> FakeNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


@dataclass
class FakeGraph:
    """Stands in for seldon_graphs.api.Graph: what deploy reads from it."""

    spec: FakeSpec


@dataclass
class Images:
    calls: list[tuple[Target, ImageTarget]] = field(default_factory=list)

    def __call__(self, target: Target, dest: ImageTarget) -> None:
        self.calls.append((target, dest))


def graph_target(manifest: dict[str, Any] | None = None) -> Target:
    spec = FakeSpec(
        [
            FakeNode("output-transformer", Pos(4, 3)),
            FakeNode("model", Pos(6, 3)),
            FakeNode("input-transformer", Pos(5, 3)),
        ]
    )
    return Target(Path("graphs/test.yaml"), manifest or sdep(), FakeGraph(spec))


def run(
    kube: Kube, target: Target, clock: FakeClock, images: Images | None = None, **options: Any
) -> tuple[Any, list[str], list[str]]:
    said: list[str] = []
    progress: list[str] = []
    endpoint = deploy(
        kube,
        target,
        DeployOptions(**{"wait": 60, **options}),
        images or Images(),
        said.append,
        lambda p: progress.append(p.render()),
        clock,
    )
    return endpoint, said, progress


def test_deploy_applies_waits_and_prints_endpoint(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.operator.available_after = 4  # Creating for a few polls
    images = Images()
    endpoint, said, progress = run(kube, graph_target(), clock, images)
    # images built for the kind cluster named by the context, before the apply
    assert [d for _, d in images.calls] == [ImageTarget(kind_cluster="seldon", push=False)]
    assert "models" in cluster.namespaces and ("models", "test") in cluster.sdeps
    (apply,) = cluster.requests("PATCH", "seldondeployments/test$")
    assert apply.headers["content-type"] == "application/apply-patch+yaml"
    assert apply.query["fieldManager"] == ["seldon-graphs"]
    assert apply.query["force"][0].lower() == "true"
    assert "dryRun" not in apply.query
    assert endpoint.url == "http://localhost:8000/api/v1.0/predictions"
    text = endpoint.render()
    assert "kubectl --context kind-seldon -n models port-forward svc/test-test 8000:8000" in text
    assert "curl -s -X POST http://localhost:8000/api/v1.0/predictions" in text
    assert any("created namespace models" in s for s in said)
    assert progress[0] == "[   0s] Creating: 0/0 pods ready"
    assert len(progress) == 2 and clock.now == 4


def test_images_come_after_every_cheap_check(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    order: list[str] = []
    cluster_seen = cluster.seen

    def images(target: Target, dest: ImageTarget) -> None:
        order.append("images")
        assert any(s.path.endswith("selfsubjectaccessreviews") for s in cluster_seen)
        assert not cluster.requests("PATCH")

    deploy(kube, graph_target(), DeployOptions(wait=0), images, order.append, clock=clock)
    assert order[0] == "images"


def test_ingress_endpoint(kube: Kube, clock: FakeClock) -> None:
    endpoint, _, _ = run(kube, graph_target(), clock, ingress="http://localhost:8080")
    assert endpoint.url == "http://localhost:8080/seldon/models/test/api/v1.0/predictions"
    assert "port-forward" not in endpoint.render()


def test_plain_manifest_skips_images_and_no_wait_returns_at_once(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    images = Images()
    target = Target(Path("sdep.yaml"), sdep())
    endpoint, _, _ = run(kube, target, clock, images, wait=0)
    assert images.calls == [] and endpoint is not None
    # one GET: the client drops the body of the 201 an apply-create answers; no polling
    assert len(cluster.requests("GET", "seldondeployments/test$")) == 1


def test_no_build_skips_images(kube: Kube, clock: FakeClock) -> None:
    images = Images()
    run(kube, graph_target(), clock, images, build=False)
    assert images.calls == []


def test_push_when_not_kind(cluster: FakeCluster, tmp_path: Path, clock: FakeClock) -> None:
    kube = connect(kubeconfig=str(cluster.kubeconfig(tmp_path / "kc", context="prod")))
    images = Images()
    run(kube, graph_target(), clock, images)
    assert images.calls[0][1] == ImageTarget(kind_cluster=None, push=True)


def test_reapply_waits_for_the_new_generation(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    run(kube, graph_target(), clock)
    changed = sdep()
    changed["spec"]["predictors"][0]["replicas"] = 2
    run(kube, graph_target(changed), clock)
    stored = cluster.sdeps[("models", "test")]
    assert stored["metadata"]["generation"] == 2
    assert "observedGeneration" not in stored["status"]  # as the real operator: never written


# --- failures before anything slow -----------------------------------------------------------


def _no_images(target: Target, dest: ImageTarget) -> None:
    raise AssertionError("the image step must not run when a cheap check fails")


def test_operator_missing(kube: Kube, cluster: FakeCluster) -> None:
    cluster.crd_installed = False
    with pytest.raises(OperatorMissingError) as err:
        deploy(kube, graph_target(), DeployOptions(), _no_images, print)
    assert str(err.value) == "the Seldon Core operator is not installed: run make kind-up"


def test_forbidden_is_named_before_building(kube: Kube, cluster: FakeCluster) -> None:
    cluster.deny = {"patch seldondeployments", "create namespaces"}
    with pytest.raises(ForbiddenError) as err:
        deploy(kube, graph_target(), DeployOptions(), _no_images, print)
    text = str(err.value)
    assert "patch seldondeployments.machinelearning.seldon.io in namespace models" in text
    assert "create namespaces" in text and "kind-seldon" in text


@pytest.mark.parametrize("denied", ["create namespaces", "patch namespaces"])
def test_new_namespace_needs_create_and_patch(
    kube: Kube, cluster: FakeCluster, denied: str
) -> None:
    """deploy creates the namespace by server-side apply: a PATCH, authorized as both."""
    cluster.deny = {denied}
    with pytest.raises(ForbiddenError) as err:
        deploy(kube, graph_target(), DeployOptions(), _no_images, print)
    assert str(err.value) == f"forbidden: with context 'kind-seldon' you may not {denied}"


def test_forbidden_namespace_read_is_not_fatal(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.deny = {"get namespaces"}
    cluster.namespaces["models"] = cluster.namespaces["default"]
    endpoint, said, _ = run(kube, graph_target(), clock)
    assert len(cluster.requests("GET", "/api/v1/namespaces/models$")) == 1  # refused: 403
    assert cluster.requests("PATCH", "/api/v1/namespaces/models$") == []  # not re-created
    assert said == [
        "applied SeldonDeployment models/test (server-side apply, field manager seldon-graphs)",
        "waiting up to 60s for models/test to become Available",
        "models/test is Available",
    ]
    assert ("models", "test") in cluster.sdeps and endpoint.service == "test-test"


def test_unauthorized(cluster: FakeCluster, tmp_path: Path) -> None:
    kube = connect(kubeconfig=str(cluster.kubeconfig(tmp_path / "kc")))
    cluster.token = "rotated"
    with pytest.raises(AuthError, match="rejected our credentials"):
        deploy(kube, graph_target(), DeployOptions(), _no_images, print)


def test_connection_refused(cluster: FakeCluster, tmp_path: Path, closed_port: int) -> None:
    path = cluster.kubeconfig(tmp_path / "kc", server=f"http://127.0.0.1:{closed_port}")
    kube = connect(kubeconfig=str(path))
    with pytest.raises(UnreachableError) as err:
        deploy(kube, graph_target(), DeployOptions(), _no_images, print)
    assert f"cannot reach the Kubernetes API at http://127.0.0.1:{closed_port}" in str(err.value)
    assert "Connection refused" in str(err.value)
    assert "make kind-up" in (err.value.hint or "")


def test_missing_secret_is_reported_before_building(kube: Kube, cluster: FakeCluster) -> None:
    manifest = sdep()
    manifest["spec"]["predictors"][0]["graph"]["envSecretRefName"] = "minio"
    cluster.namespaces["models"] = cluster.namespaces["default"]
    with pytest.raises(DeployError) as err:
        deploy(kube, graph_target(manifest), DeployOptions(), _no_images, print)
    assert "secret(s) 'minio' in namespace 'models'" in str(err.value)
    assert "seldon-graphs secret create minio" in (err.value.hint or "")


def test_present_secret_passes(kube: Kube, cluster: FakeCluster, clock: FakeClock) -> None:
    manifest = sdep()
    manifest["spec"]["predictors"][0]["graph"]["envSecretRefName"] = "minio"
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.secrets[("models", "minio")] = {"metadata": {"name": "minio"}, "data": {}}
    endpoint, said, _ = run(kube, graph_target(manifest), clock)
    assert len(cluster.requests("GET", "/api/v1/namespaces/models/secrets/minio$")) == 1
    applied = cluster.sdeps[("models", "test")]["spec"]["predictors"][0]["graph"]
    assert applied["envSecretRefName"] == "minio"
    assert said[-1] == "models/test is Available" and endpoint.service == "test-test"


# --- rejections ------------------------------------------------------------------------------


def test_webhook_rejection_maps_to_graph_lines(kube: Kube, cluster: FakeCluster) -> None:
    cluster.webhook = seldon_webhook
    manifest = sdep()
    containers = manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    containers[:] = [c for c in containers if c["name"] != "model"]
    with pytest.raises(RejectedError) as err:
        deploy(kube, graph_target(manifest), DeployOptions(), Images(), print)
    text = str(err.value)
    assert (
        "graphs/test.yaml:6:3: error: node 'model': Can't find container for Predictive Unit"
        in text
    )
    assert "spec.predictors[0].graph[0][0]" in text
    assert [c.field for c in err.value.causes] == ["spec.predictors[0].graph[0][0]"]


def test_shared_invalid_example_is_rejected_with_seldons_message(
    kube: Kube,
    cluster: FakeCluster,
) -> None:
    from .conftest import load_example

    cluster.webhook = seldon_webhook
    manifest = load_example("invalid/testing__resources__bad_name_mismatch.json")
    manifest["metadata"]["namespace"] = "default"
    manifest["apiVersion"] = "machinelearning.seldon.io/v1"
    with pytest.raises(RejectedError) as err:
        deploy(kube, Target(Path("bad.json"), manifest), DeployOptions(), Images(), print)
    assert "bad.json: error: node 'complex-model_bad_name': Can't find container" in str(err.value)


# --- rollout failures --------------------------------------------------------------------------


def test_image_pull_backoff_names_the_image(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.operator.available_after = None
    cluster.pods["models"] = [
        pod(
            "test-test-0-model-abc",
            "test",
            [
                running("input-transformer", IMG),
                waiting(
                    "model",
                    "registry.local/model:3f2a",
                    "ImagePullBackOff",
                    'Back-off pulling image "registry.local/model:3f2a"',
                ),
            ],
        )
    ]
    with pytest.raises(RolloutError) as err:
        run(kube, graph_target(), clock)
    text = str(err.value)
    assert (
        "container model: cannot pull image 'registry.local/model:3f2a' (ImagePullBackOff)" in text
    )
    assert "kind load docker-image registry.local/model:3f2a" in text
    assert clock.now == 0  # fatal: no waiting for the deadline


def test_err_image_pull_alone_is_retried_then_reported(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.operator.available_after = None
    cluster.pods["models"] = [
        pod("p", "test", [waiting("model", "x/y:1", "ErrImagePull", "i/o timeout")])
    ]
    with pytest.raises(WaitTimeout, match="cannot pull image 'x/y:1' \\(ErrImagePull\\)"):
        run(kube, graph_target(), clock, wait=6)
    assert clock.now == 6


def test_crash_loop_shows_last_log_lines(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.operator.available_after = None
    name = "test-test-0-model-abc"
    cluster.pods["models"] = [
        pod(
            name,
            "test",
            [
                waiting(
                    "model",
                    IMG,
                    "CrashLoopBackOff",
                    "back-off 40s restarting",
                    exit_code=1,
                    restarts=3,
                )
            ],
        )
    ]
    log = "".join(f"line {i}\n" for i in range(50)) + "ModuleNotFoundError: No module named 'x'\n"
    cluster.logs[("models", name, "model", True)] = log
    with pytest.raises(RolloutError) as err:
        run(kube, graph_target(), clock)
    text = str(err.value)
    assert "container model keeps crashing (CrashLoopBackOff): last exit code 1 (Error)" in text
    assert "| ModuleNotFoundError: No module named 'x'" in text
    assert "| line 31" in text and "| line 30\n" not in text  # the last 20 lines only


def test_init_container_crash(kube: Kube, cluster: FakeCluster, clock: FakeClock) -> None:
    cluster.operator.available_after = None
    name = "test-test-0-model-abc"
    cluster.pods["models"] = [
        pod(
            name,
            "test",
            [waiting("model", IMG, "PodInitializing")],
            phase="Pending",
            init=[waiting("model-model-initializer", "rclone", "CrashLoopBackOff", exit_code=1)],
        )
    ]
    cluster.logs[("models", name, "model-model-initializer", False)] = "NoCredentialProviders\n"
    with pytest.raises(RolloutError) as err:
        run(kube, graph_target(), clock)
    assert "init container model-model-initializer keeps crashing" in str(err.value)
    assert "| NoCredentialProviders" in str(err.value)


def test_missing_secret_in_pod(kube: Kube, cluster: FakeCluster, clock: FakeClock) -> None:
    cluster.operator.available_after = None
    cluster.pods["models"] = [
        pod(
            "p",
            "test",
            [waiting("model", IMG, "CreateContainerConfigError", 'secret "minio" not found')],
        )
    ]
    with pytest.raises(
        RolloutError, match='CreateContainerConfigError: secret "minio" not found'
    ) as err:
        run(kube, graph_target(), clock)
    assert "seldon-graphs secret create" in str(err.value)


def test_pending_reports_the_scheduler_reason_at_timeout(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.operator.available_after = None
    msg = "0/1 nodes are available: 1 Insufficient cpu."
    cluster.pods["models"] = [unschedulable("test-test-0-model-abc", "test", msg)]
    with pytest.raises(WaitTimeout) as err:
        run(kube, graph_target(), clock, wait=30)
    assert "is not Available after 30s (state: Creating)" in str(err.value)
    assert f"pod test-test-0-model-abc: Unschedulable: {msg}" in str(err.value)
    assert clock.now == 30 and max(clock.sleeps) <= 2


def test_pending_reason_from_events(kube: Kube, cluster: FakeCluster, clock: FakeClock) -> None:
    cluster.operator.available_after = None
    p = unschedulable("p1", "test", "")
    p["status"]["conditions"] = []
    cluster.pods["models"] = [p]
    cluster.events["models"] = [
        event("models", "p1", "Scheduled", "ignored"),
        event("models", "p1", "FailedScheduling", "0/1 nodes are available: 1 node(s) had taint"),
    ]
    with pytest.raises(WaitTimeout, match="FailedScheduling: 0/1 nodes are available: 1 node"):
        run(kube, graph_target(), clock, wait=5)


def test_never_available_times_out(kube: Kube, cluster: FakeCluster, clock: FakeClock) -> None:
    cluster.operator.available_after = None
    cluster.pods["models"] = [pod("p", "test", [waiting("model", IMG, "ContainerCreating")])]
    with pytest.raises(WaitTimeout) as err:
        run(kube, graph_target(), clock, wait=10)
    assert "pod p, container model: ContainerCreating" in str(err.value)


def test_no_pods_at_timeout_points_at_the_operator(
    kube: Kube, cluster: FakeCluster, clock: FakeClock
) -> None:
    cluster.operator.available_after = None
    with pytest.raises(WaitTimeout) as err:
        run(kube, graph_target(), clock, wait=10)
    assert "no pods were created" in str(err.value)
    assert "seldon-system" in (err.value.hint or "")


def test_operator_failed_state(kube: Kube, cluster: FakeCluster, clock: FakeClock) -> None:
    cluster.operator.failed = "engine not separate and no pu with localhost service"
    with pytest.raises(RolloutError) as err:
        run(kube, graph_target(), clock)
    assert str(err.value) == (
        "the Seldon operator has marked models/test Failed for 30s: "
        "engine not separate and no pu with localhost service"
    )
    assert clock.now == 30.0  # not on the first Failed: the operator retries (Seldon #2044)


def test_transient_failed_is_waited_out(kube: Kube, cluster: FakeCluster, clock: FakeClock) -> None:
    """The operator writes Failed on any reconcile error, then Available on the next pass."""
    cluster.operator.failed = "Operation cannot be fulfilled: the object has been modified"

    def recover(seconds: float) -> None:
        FakeClock.sleep(clock, seconds)
        if clock.now >= 20:
            cluster.operator.failed = None

    clock.sleep = recover  # type: ignore[method-assign]
    _, said, progress = run(kube, graph_target(), clock)
    assert said[-1] == "models/test is Available"
    assert any("the operator reports: Operation cannot be fulfilled" in p for p in progress)


# --- dry run -----------------------------------------------------------------------------------


def test_dry_run_server_changes_nothing(kube: Kube, cluster: FakeCluster) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    said: list[str] = []
    assert (
        deploy(kube, graph_target(), DeployOptions(dry_run=True), _no_images, said.append) is None
    )
    (apply,) = cluster.requests("PATCH", "seldondeployments")
    assert apply.query["dryRun"] == ["All"]
    assert cluster.sdeps == {}
    assert "accept" in said[-1]


def test_dry_run_rejection(kube: Kube, cluster: FakeCluster) -> None:
    cluster.namespaces["models"] = cluster.namespaces["default"]
    cluster.webhook = lambda obj: [("spec", "", "Graph contains no predictors")]
    with pytest.raises(RejectedError, match="Graph contains no predictors"):
        deploy(kube, graph_target(), DeployOptions(dry_run=True), _no_images, print)


def test_dry_run_without_namespace(kube: Kube, cluster: FakeCluster) -> None:
    said: list[str] = []
    deploy(kube, graph_target(), DeployOptions(dry_run=True), _no_images, said.append)
    assert "models" not in cluster.namespaces
    assert "would be created" in said[-1]
