"""Credentials never reach an image: built with a real Docker engine and looked inside.

A project whose `files` folder holds credential-like files (by name, by folder, by link
target, by content) and an ignored file is built through the CLI; the image's /app is then
listed and searched from a container. Skips without an engine (fails in CI), as the other
image tests do.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURE_PROJECT
from .test_images_docker import BASE, REGISTRY, REPO, _engine, _remove_images

pytestmark = pytest.mark.docker

SECRET = "hunter2-do-not-ship"
PEM_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{SECRET}\n-----END RSA PRIVATE KEY-----\n"
LEFT_OUT = {
    "models/data/.env.production": f"TOKEN={SECRET}\n",
    "models/data/.aws/credentials": f"[default]\naws_secret_access_key={SECRET}\n",
    "models/data/kubeconfig": f"token: {SECRET}\n",
    "models/data/tls/server.pem": PEM_KEY,
    "models/data/id_ed25519": SECRET,
}
SILENT = {
    "models/data/.git/config": f"[remote] url = https://x:{SECRET}@github.com/a/b\n",
    "models/data/scratch/notes.txt": f"{SECRET}\n",  # excluded by the ignore file
}
KEPT = {"models/data/config.json": '{"model_type": "bert"}\n', "models/data/a.txt": "a\n"}
GRAPH = """\
name: creds
nodes:
  m:
    python: models/doubler.py:Doubler
    files: [models/data, models/note.txt]  # Doubler reads note.txt when it starts
flow: m
"""


def test_credentials_in_a_files_folder_never_reach_the_image(tmp_path: Path) -> None:
    client = _engine()
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    project = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, project)
    for rel, text in {**LEFT_OUT, **SILENT, **KEPT}.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    (project / ".env.local").write_text(f"TOKEN={SECRET}\n")
    (project / "models/data/harmless.txt").symlink_to("../../.env.local")
    (project / ".seldon-graphs-ignore").write_text("models/data/scratch/\n")
    (project / "creds.yaml").write_text(GRAPH)
    build = ("build", str(project / "creds.yaml"), "--base-image", BASE, "--registry", REGISTRY)
    proc = subprocess.run(
        [sys.executable, "-m", "seldon_graphs.cli", *build],
        capture_output=True,
        text=True,
        check=False,
    )
    image = proc.stdout.strip().splitlines()[-1].split("\t")[-1] if proc.returncode == 0 else ""
    try:
        assert proc.returncode == 0, proc.stderr
        warned = sorted(
            line.split("`")[1] for line in proc.stderr.splitlines() if "warning:" in line
        )
        assert warned == sorted([*LEFT_OUT, "models/data/harmless.txt"])
        assert SECRET not in proc.stderr + proc.stdout
        listing = client.containers.run(image, ["find", "/app", "-type", "f"], remove=True)
        assert sorted(listing.decode().split()) == [
            "/app/data/a.txt",
            "/app/data/config.json",
            "/app/doubler.py",
            "/app/note.txt",
            "/app/requirements.txt",
            "/app/seldon_graphs_adapter.py",
            "/app/seldon_graphs_entry.py",
            "/app/seldon_graphs_init.py",
            "/app/seldon_graphs_launch.py",
        ]
        found = client.containers.run(
            image, ["sh", "-c", f"grep -rl {SECRET} /app /opt/venv || true"], remove=True
        )
        assert found == b""
    finally:
        if image:
            _remove_images(client, [image])


def test_the_base_image_id_is_asked_of_the_engine_as_the_sdk_would() -> None:
    """compile resolves the base image's ID over the engine's socket without the SDK."""
    from seldon_graphs import settings

    client = _engine()
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    settings.base_image_id.cache_clear()
    try:
        assert settings.base_image_id(BASE) == client.images.get(BASE).id
        assert settings.base_image_id("seldon-graphs/no-such-image:1") == ""
    finally:
        settings.base_image_id.cache_clear()
