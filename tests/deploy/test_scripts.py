"""scripts/kind-up.sh and kind-down.sh, run with stub kind/kubectl/helm/docker on PATH.

No cluster can run here, so the stubs record what the scripts would run; this checks the
tool checks, idempotency (a second run reuses the cluster), the pinned versions, and every
failing step (STUB_FAIL makes the stub call starting with it fail with STUB_FAIL_RC).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import require_file

ROOT = Path(__file__).resolve().parents[2]
UP, DOWN = ROOT / "scripts" / "kind-up.sh", ROOT / "scripts" / "kind-down.sh"
BASH = "/bin/bash"

# Appended to every stub after it logs the call.
FAIL_HOOK = """
if [[ -n ${STUB_FAIL:-} && "${0##*/} $*" == "$STUB_FAIL"* ]]; then
  echo "${0##*/}: stub failure" >&2; exit "${STUB_FAIL_RC:-1}"
fi
"""
KIND_STUB = (
    """#!/bin/bash
echo "kind $*" >> "$STUB_LOG"
"""
    + FAIL_HOOK
    + """
state="$STUB_STATE"
case "$1 $2" in
  "get clusters") [[ -f $state ]] && while read -r l; do echo "$l"; done < "$state"; exit 0 ;;
  "create cluster") echo "$4" >> "$state" ;;
  "delete cluster")
    keep=(); while read -r l; do [[ $l != "$4" ]] && keep+=("$l"); done < "$state"
    : > "$state"; for l in "${keep[@]}"; do echo "$l" >> "$state"; done ;;
  "version ") echo "kind v0.20.0 go1.20.4 linux/amd64" ;;
esac
exit 0
"""
)
LOG_STUB = (
    """#!/bin/bash
echo "{name} $*" >> "$STUB_LOG"
"""
    + FAIL_HOOK.replace("{", "{{").replace("}", "}}")
    + """
[[ "{name} $1" == "docker info" ]] && exit "${{DOCKER_INFO_RC:-0}}"
exit 0
"""
)


def stubs(tmp_path: Path, tools: tuple[str, ...] = ("kind", "kubectl", "helm", "docker")) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        path = bin_dir / tool
        path.write_text(KIND_STUB if tool == "kind" else LOG_STUB.format(name=tool))
        path.chmod(0o755)
    return bin_dir


def run(
    script: Path, tmp_path: Path, bin_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": str(bin_dir),
        "STUB_LOG": str(tmp_path / "log"),
        "STUB_STATE": str(tmp_path / "clusters"),
        "HOME": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [BASH, str(script), *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def log(tmp_path: Path) -> list[str]:
    path = tmp_path / "log"
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture(autouse=True)
def _bash() -> None:
    require_file(Path(BASH), "the kind scripts are bash scripts")


def test_missing_kind_is_named_with_how_to_install(tmp_path: Path) -> None:
    result = run(UP, tmp_path, stubs(tmp_path, ("kubectl", "helm", "docker")))
    assert result.returncode == 1
    assert "kind-up: error: missing tool(s): kind\n" in result.stderr
    assert "kind: install from https://kind.sigs.k8s.io/docs/user/quick-start/" in result.stderr
    assert "helm:" not in result.stderr
    assert log(tmp_path) == []  # nothing ran before the check


def test_every_missing_tool_is_named(tmp_path: Path) -> None:
    result = run(UP, tmp_path, tmp_path / "empty")
    assert result.returncode == 1
    assert "missing tool(s): kind kubectl helm docker" in result.stderr
    for tool in ("kind", "kubectl", "helm", "docker"):
        assert f"\n  {tool}: install from " in result.stderr


def test_docker_daemon_down(tmp_path: Path) -> None:
    result = run(UP, tmp_path, stubs(tmp_path), DOCKER_INFO_RC="1")
    assert result.returncode == 1
    assert "docker is installed but its daemon is not answering" in result.stderr


def test_kind_up_twice_reuses_the_cluster(tmp_path: Path) -> None:
    bin_dir = stubs(tmp_path)
    first = run(UP, tmp_path, bin_dir)
    assert first.returncode == 0, first.stderr
    second = run(UP, tmp_path, bin_dir)
    assert second.returncode == 0, second.stderr
    assert "kind cluster 'seldon' exists: reusing it" in second.stdout
    calls = log(tmp_path)
    creates = [c for c in calls if c.startswith("kind create cluster")]
    assert creates == [
        f"kind create cluster --name seldon --config {UP.parent}/kind/cluster.yaml --wait 120s"
    ]
    installs = [c for c in calls if c.startswith("helm upgrade --install seldon-core ")]
    assert len(installs) == 2  # this kubectl stub forgets the release stamp (see the next test)
    assert (
        "seldon-core-operator --repo https://storage.googleapis.com/seldon-charts "
        "--version 1.17.1 --namespace seldon-system" in installs[0]
    )
    assert "seldon-core-operator.values.yaml" in installs[0] and "istio" not in installs[0]
    assert not any("seldon-core-analytics" in c for c in calls)
    assert "kubectl --context kind-seldon port-forward" not in first.stdout
    assert "make deploy GRAPH=" in first.stdout


# kubectl that remembers the one annotation kind-up writes on seldon-system, and reads it back.
KUBECTL_REMEMBERS = """#!/bin/bash
echo "kubectl $*" >> "$STUB_LOG"
if [[ "$*" == *"annotate namespace seldon-system"* ]]; then
  printf '%s' "${@: -1}" > "$STUB_STATE.annotation"
elif [[ "$*" == *"get namespace seldon-system"* && -f "$STUB_STATE.annotation" ]]; then
  value=$(<"$STUB_STATE.annotation"); printf '%s' "${value#*=}"
fi
exit 0
"""


def test_rerun_does_not_upgrade_the_operator_again(tmp_path: Path) -> None:
    """Each `helm upgrade` regenerates Seldon's webhook CA: a rerun with nothing changed skips it;
    a new chart version or new values upgrade."""
    bin_dir = stubs(tmp_path)
    (bin_dir / "kubectl").write_text(KUBECTL_REMEMBERS)

    def installs() -> int:
        return sum(c.startswith("helm upgrade --install seldon-core ") for c in log(tmp_path))

    assert run(UP, tmp_path, bin_dir).returncode == 0
    assert installs() == 1
    second = run(UP, tmp_path, bin_dir)
    assert second.returncode == 0, second.stderr
    assert installs() == 1
    assert "helm: seldon-core 1.17.1 already installed with these values: not upgraded" in (
        second.stdout
    )
    assert run(UP, tmp_path, bin_dir, SELDON_VERSION="1.17.0").returncode == 0
    assert installs() == 2
    assert run(UP, tmp_path, bin_dir, "--ingress", "istio", SELDON_VERSION="1.17.0").returncode == 0
    assert installs() == 3  # other values


def test_istio_ingress_and_monitoring(tmp_path: Path) -> None:
    result = run(
        UP, tmp_path, stubs(tmp_path), "--ingress", "istio", "--monitoring", "--name", "demo"
    )
    assert result.returncode == 0, result.stderr
    calls = log(tmp_path)
    assert any(c.startswith("kind create cluster --name demo") for c in calls)
    assert any(
        "istiod istiod --repo https://istio-release.storage.googleapis.com/charts "
        "--version 1.19.3" in c
        for c in calls
    )
    seldon = next(c for c in calls if c.startswith("helm upgrade --install seldon-core "))
    assert (
        "seldon-core-operator.istio.values.yaml" in seldon and "--kube-context kind-demo" in seldon
    )
    assert not any("seldon-core-analytics" in c for c in calls)  # our manifests instead
    assert any(c.endswith("deploy/monitoring/monitoring.yaml") for c in calls)
    assert "http://localhost:8080/seldon/<namespace>/<name>/api/v1.0/predictions" in result.stdout
    assert "port-forward svc/grafana 3000:3000" in result.stdout


def test_bsl_versions_are_named(tmp_path: Path) -> None:
    result = run(UP, tmp_path, stubs(tmp_path), SELDON_VERSION="1.18.2")
    assert "Business Source License 1.1" in result.stdout


def test_bad_arguments(tmp_path: Path) -> None:
    assert run(UP, tmp_path, stubs(tmp_path), "--bogus").returncode == 2
    bad = run(UP, tmp_path, stubs(tmp_path), "--ingress", "nginx")
    assert bad.returncode == 1 and "INGRESS must be none or istio" in bad.stderr


def test_kind_down_twice(tmp_path: Path) -> None:
    bin_dir = stubs(tmp_path)
    assert run(UP, tmp_path, bin_dir).returncode == 0
    first = run(DOWN, tmp_path, bin_dir)
    second = run(DOWN, tmp_path, bin_dir)
    assert first.returncode == second.returncode == 0
    assert "nothing to delete" in second.stdout
    assert [c for c in log(tmp_path) if c.startswith("kind delete")] == [
        "kind delete cluster --name seldon"
    ]


def test_kind_down_without_kind(tmp_path: Path) -> None:
    result = run(DOWN, tmp_path, tmp_path / "empty")
    assert result.returncode == 1 and "missing tool: kind" in result.stderr


def test_node_image_is_pinned_by_digest() -> None:
    config = yaml.safe_load((ROOT / "scripts" / "kind" / "cluster.yaml").read_text())
    (node,) = config["nodes"]
    assert node["image"].startswith("kindest/node:v1.27.3@sha256:")
    values = yaml.safe_load(
        (ROOT / "scripts" / "kind" / "seldon-core-operator.values.yaml").read_text()
    )
    assert values["istio"]["enabled"] is False and values["ambassador"]["enabled"] is False


UP_STEPS = [
    ("kind create cluster", "creating kind cluster 'seldon' from {kind}/cluster.yaml"),
    (
        "helm upgrade --install seldon-core ",
        "helm: seldon-core (seldon-core-operator 1.17.1) in seldon-system",
    ),
    ("kubectl --context kind-seldon wait ", "waiting for the SeldonDeployment CRD"),
    (
        "kubectl --context kind-seldon -n seldon-system rollout ",
        "waiting for the operator (seldon-controller-manager)",
    ),
]
ISTIO_STEPS = [
    ("helm upgrade --install istio-base ", "helm: istio-base (base 1.19.3) in istio-system"),
    ("helm upgrade --install istiod ", "helm: istiod (istiod 1.19.3) in istio-system"),
    (
        "helm upgrade --install istio-ingressgateway ",
        "helm: istio-ingressgateway (gateway 1.19.3) in istio-system",
    ),
    ("kubectl --context kind-seldon apply ", "applying the Seldon gateway"),
    (
        "kubectl --context kind-seldon apply --server-side --field-manager=kind-up",
        "applying Prometheus and Grafana (deploy/monitoring/monitoring.yaml)",
    ),
]


@pytest.mark.parametrize(
    ("call", "step", "flags"),
    [(c, s, ()) for c, s in UP_STEPS]
    + [(c, s, ("--ingress", "istio", "--monitoring")) for c, s in ISTIO_STEPS],
    ids=[c.strip() for c, _ in UP_STEPS + ISTIO_STEPS],
)
def test_kind_up_stops_at_a_failing_step_and_names_it(
    tmp_path: Path, call: str, step: str, flags: tuple[str, ...]
) -> None:
    result = run(UP, tmp_path, stubs(tmp_path), *flags, STUB_FAIL=call, STUB_FAIL_RC="7")
    assert result.returncode == 7
    step = step.format(kind=UP.parent / "kind")
    assert result.stderr.splitlines()[-2:] == [
        f"{call.split()[0]}: stub failure",
        f"kind-up: error: {step} failed (exit 7); fix the cause above and run kind-up again "
        "(safe to rerun)",
    ]
    calls = log(tmp_path)
    assert calls[-1].startswith(call)  # nothing ran after the failing step
    assert "ready:" not in result.stdout


def test_kind_up_cluster_that_does_not_answer(tmp_path: Path) -> None:
    call = "kubectl --context kind-seldon cluster-info"
    result = run(UP, tmp_path, stubs(tmp_path), STUB_FAIL=call)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "kind-up: error: the cluster 'seldon' exists but does not answer; "
        "try: scripts/kind-down.sh && scripts/kind-up.sh"
    )
    assert log(tmp_path)[-1] == call


def test_kind_down_when_kind_cannot_list_clusters(tmp_path: Path) -> None:
    result = run(DOWN, tmp_path, stubs(tmp_path), STUB_FAIL="kind get clusters")
    assert result.returncode == 1
    assert result.stderr == (
        "kind-down: error: cannot list the kind clusters (is the docker daemon running?):\n"
        "kind: stub failure\n"
    )
    assert not any(c.startswith("kind delete") for c in log(tmp_path))


def test_kind_down_when_the_delete_fails(tmp_path: Path) -> None:
    bin_dir = stubs(tmp_path)
    assert run(UP, tmp_path, bin_dir).returncode == 0
    result = run(DOWN, tmp_path, bin_dir, STUB_FAIL="kind delete cluster", STUB_FAIL_RC="5")
    assert result.returncode == 5
    assert result.stderr == (
        "kind: stub failure\n"
        "kind-down: error: deleting the kind cluster seldon failed (exit 5); see above\n"
    )
    assert "nothing to delete" not in result.stdout
