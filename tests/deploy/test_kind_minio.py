"""`make kind-up MINIO=1`: MinIO from the pinned official chart, with root credentials that
exist only in a Secret (random, created once, reused), never in a file, an argument or the log.
Run with the stub tools of test_scripts.py (no cluster can run here)."""

from __future__ import annotations

from pathlib import Path

import yaml

from .test_scripts import ROOT, UP, log, run, stubs

GET_SECRET = "kubectl --context kind-seldon -n minio-system get secret minio-root"


def test_minio_first_run_creates_the_secret_then_installs_the_chart(tmp_path: Path) -> None:
    result = run(UP, tmp_path, stubs(tmp_path), "--minio", STUB_FAIL=GET_SECRET)
    assert result.returncode == 0, result.stderr
    calls = log(tmp_path)
    create = next(c for c in calls if "create secret generic minio-root" in c)
    assert create.startswith("kubectl --context kind-seldon -n minio-system create secret")
    assert "--from-env-file=/dev/fd/" in create and "rootPassword" not in create
    helm = next(c for c in calls if c.startswith("helm upgrade --install minio "))
    assert "--repo https://charts.min.io/ --version 5.4.0 --namespace minio-system" in helm
    assert calls.index(create) < calls.index(helm)
    assert "MinIO credentials: creating secret minio-system/minio-root" in result.stdout
    assert "seldon-graphs models push graphs/income.yaml" in result.stdout
    assert "secret create minio -n models" in result.stdout


def test_minio_rerun_reuses_the_secret(tmp_path: Path) -> None:
    result = run(UP, tmp_path, stubs(tmp_path), MINIO="1")
    assert result.returncode == 0, result.stderr
    assert not any("create secret" in c for c in log(tmp_path))
    assert "MinIO credentials: reusing secret minio-system/minio-root" in result.stdout


def test_minio_is_off_by_default(tmp_path: Path) -> None:
    result = run(UP, tmp_path, stubs(tmp_path))
    assert result.returncode == 0, result.stderr
    assert not any("minio" in c for c in log(tmp_path)) and "MinIO" not in result.stdout


def test_minio_chart_failure_names_the_step(tmp_path: Path) -> None:
    result = run(
        UP, tmp_path, stubs(tmp_path), "--minio", STUB_FAIL="helm upgrade --install minio "
    )
    assert result.returncode == 1
    assert "helm: minio (minio 5.4.0) in minio-system failed (exit 1)" in result.stderr


def test_minio_values_hold_no_credentials() -> None:
    values = yaml.safe_load((ROOT / "scripts" / "kind" / "minio.values.yaml").read_text())
    assert values["existingSecret"] == "minio-root"
    assert not {"rootUser", "rootPassword", "users"} & set(values)
    assert [b["name"] for b in values["buckets"]] == ["models", "mlflow"]
