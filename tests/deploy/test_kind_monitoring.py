"""`make kind-up MONITORING=1`: our own Prometheus and Grafana (deploy/monitoring/), applied
with kubectl, Grafana's admin password only in a Secret kind-up makes (random, reused), and
the commands to reach both printed at the end. Run with the stub tools of test_scripts.py
(no cluster can run here); the manifests themselves are dry-run on a real API server in
tests/test_monitoring_controlplane.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seldon_graphs.monitoring import objects

from .test_scripts import FAIL_HOOK, ROOT, UP, log, run, stubs

K = "kubectl --context kind-seldon"
GET_SECRET = f"{K} -n seldon-monitoring get secret grafana-admin"
APPLY = f"{K} apply --server-side --field-manager=kind-up -f "

# kubectl that finds nothing for a call starting with STUB_ABSENT (exit 1, as `get` of a
# missing object), and keeps the env file a Secret is created from (read through /dev/fd).
KUBECTL_KEEPS_SECRET = (
    """#!/bin/bash
echo "kubectl $*" >> "$STUB_LOG"
[[ -n ${STUB_ABSENT:-} && "kubectl $*" == "$STUB_ABSENT"* ]] && exit 1
"""
    + FAIL_HOOK
    + """
for arg in "$@"; do
  if [[ $arg == --from-env-file=* ]]; then  # bash alone: PATH holds only the stubs
    while IFS= read -r line; do echo "$line"; done <"${arg#*=}" >"$STUB_STATE.secret"
  fi
done
exit 0
"""
)


def kind_up(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str, list[str]]:
    bin_dir = stubs(tmp_path)
    (bin_dir / "kubectl").write_text(KUBECTL_KEEPS_SECRET)
    result = run(UP, tmp_path, bin_dir, *args, **env)
    return result.returncode, result.stdout, result.stderr, log(tmp_path)


def test_first_run_creates_the_password_then_applies_and_waits(tmp_path: Path) -> None:
    code, out, err, calls = kind_up(tmp_path, "--monitoring", STUB_ABSENT=GET_SECRET)
    assert code == 0, err
    mine = [c for c in calls if "seldon-monitoring" in c or "monitoring.yaml" in c]
    applied = mine[3].removeprefix(APPLY)
    assert mine == [
        GET_SECRET,
        f"{K} get namespace seldon-monitoring",
        mine[2],
        APPLY + applied,
        f"{K} -n seldon-monitoring rollout status deployment/prometheus --timeout=300s",
        f"{K} -n seldon-monitoring rollout status deployment/grafana --timeout=300s",
    ]
    assert mine[2].startswith(f"{K} -n seldon-monitoring create secret generic grafana-admin ")
    assert "--from-env-file=/dev/fd/" in mine[2]
    assert Path(applied).resolve() == ROOT / "deploy" / "monitoring" / "monitoring.yaml"
    assert list(yaml.safe_load_all(Path(applied).read_text())) == objects()
    assert not any(c.startswith("helm") and "analytics" in c for c in calls)
    assert "Grafana credentials: creating secret seldon-monitoring/grafana-admin" in out


def test_the_secret_holds_the_keys_grafana_reads_and_no_argument_holds_the_password(
    tmp_path: Path,
) -> None:
    code, _, err, calls = kind_up(tmp_path, "--monitoring", STUB_ABSENT=GET_SECRET)
    assert code == 0, err
    lines = (tmp_path / "clusters.secret").read_text().splitlines()
    keys = dict(line.split("=", 1) for line in lines)
    assert sorted(keys) == ["admin-password", "admin-user"]
    assert keys["admin-user"] == "seldon-graphs" and len(keys["admin-password"]) == 32
    assert not [c for c in calls if keys["admin-password"] in c]
    grafana = next(o for o in objects() if o["metadata"]["name"] == "grafana")
    (container,) = grafana["spec"]["template"]["spec"]["containers"]
    refs = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
    assert refs == set(keys)


def test_rerun_reuses_the_password(tmp_path: Path) -> None:
    code, out, err, calls = kind_up(tmp_path, MONITORING="1")
    assert code == 0, err
    assert not any("create secret" in c for c in calls)
    assert "Grafana credentials: reusing secret seldon-monitoring/grafana-admin" in out
    assert sum(c.startswith(APPLY) for c in calls) == 1


def test_it_prints_how_to_reach_grafana_and_prometheus(tmp_path: Path) -> None:
    code, out, err, _ = kind_up(tmp_path, "--monitoring", "--name", "demo")
    assert code == 0, err
    k = "kubectl --context kind-demo -n seldon-monitoring"
    assert out.splitlines()[-5:] == [
        f"    Grafana:    {k} port-forward svc/grafana 3000:3000 &",
        '                http://localhost:3000, user seldon-graphs, dashboard "Seldon Core '
        '(seldon-graphs)"',
        f"                password: {k} get secret grafana-admin -o "
        "jsonpath='{.data.admin-password}' | base64 -d",
        f"    Prometheus: {k} port-forward svc/prometheus 9090:9090 &",
        "                http://localhost:9090/targets (what is scraped), docs/monitoring.md",
    ]
    services = {o["metadata"]["name"]: o for o in objects() if o["kind"] == "Service"}
    assert [p["port"] for p in services["grafana"]["spec"]["ports"]] == [3000]
    assert [p["port"] for p in services["prometheus"]["spec"]["ports"]] == [9090]


def test_monitoring_is_off_by_default(tmp_path: Path) -> None:
    code, out, err, calls = kind_up(tmp_path)
    assert code == 0, err
    assert not [c for c in calls if "monitoring" in c]
    assert "Grafana" not in out and "Prometheus" not in out


STEPS = [
    (f"{K} -n seldon-monitoring create secret", "Grafana credentials: creating secret "
     "seldon-monitoring/grafana-admin (random password)"),
    (APPLY, "applying Prometheus and Grafana (deploy/monitoring/monitoring.yaml)"),
    (f"{K} -n seldon-monitoring rollout status deployment/prometheus",
     "waiting for prometheus in seldon-monitoring"),
    (f"{K} -n seldon-monitoring rollout status deployment/grafana",
     "waiting for grafana in seldon-monitoring"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "step"), STEPS, ids=["secret", "apply", "prometheus", "grafana"])
def test_a_failing_monitoring_step_stops_kind_up_and_is_named(
    tmp_path: Path, call: str, step: str
) -> None:
    bin_dir = stubs(tmp_path)
    (bin_dir / "kubectl").write_text(KUBECTL_KEEPS_SECRET)
    result = run(
        UP, tmp_path, bin_dir, "--monitoring",
        STUB_ABSENT=GET_SECRET, STUB_FAIL=call, STUB_FAIL_RC="6",
    )  # fmt: skip
    assert result.returncode == 6
    assert result.stderr.splitlines()[-2:] == [
        "kubectl: stub failure",
        f"kind-up: error: {step} failed (exit 6); fix the cause above and run kind-up again "
        "(safe to rerun)",
    ]
    assert log(tmp_path)[-1].startswith(call)  # nothing ran after the failing step
    assert "ready:" not in result.stdout and "Grafana:" not in result.stdout
