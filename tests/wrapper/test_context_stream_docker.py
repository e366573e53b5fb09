"""A large data file streamed into an image with a real Docker engine, and one changed after
planning refused before anything is built. Skips without an engine (fails in CI), as the
other image tests do.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.spec import PythonRef, Role
from seldon_graphs.wrapper.context import (
    DATA_DIR,
    ContextPlan,
    FileRef,
    plan_context,
)
from seldon_graphs.wrapper.images import BuildFailed, build_images
from tests.helpers import configured

from .conftest import graph_spec, python_node
from .test_images_docker import BASE, REGISTRY, REPO, _engine, _remove_images

pytestmark = pytest.mark.docker

MIB = 1 << 20
DOUBLER = REPO / "tests" / "wrapper" / "fixtures" / "project" / "models" / "doubler.py"


@pytest.fixture(scope="module")
def client() -> Any:
    engine = _engine()
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), "--tag", BASE], check=True)
    return engine


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "model.py").write_text(DOUBLER.read_text())
    (tmp_path / "note.txt").write_text("streamed\n")  # the Doubler reads it when constructed
    (tmp_path / "data").mkdir()
    with (tmp_path / "data" / "weights.bin").open("wb") as out:
        for _ in range(50):
            out.write(os.urandom(MIB))  # random: nothing compresses or dedups it away
    yield tmp_path


def _plan(root: Path) -> ContextPlan:
    node = python_node(
        "stream", python=PythonRef("model.py", "Doubler"), files=("data", "note.txt")
    )
    runtime = configured(graph_spec(node), base_image=BASE).runtime
    return plan_context(
        graph_spec(node, root=root, registry=REGISTRY, runtime=runtime), node, Role.MODEL
    )


def test_a_50_mb_file_lands_in_the_image_intact(client: Any, project: Path) -> None:
    plan = _plan(project)
    ref = plan.files[f"{DATA_DIR}/data/weights.bin"]
    assert isinstance(ref, FileRef) and ref.size == 50 * MIB
    try:
        (result,) = build_images([plan], client=client)
        inside = client.containers.run(
            plan.image, ["sha256sum", "/app/data/weights.bin"], remove=True
        ).decode()
    finally:
        _remove_images(client, [plan.image])
    assert result.built
    expected = hashlib.sha256((project / "data" / "weights.bin").read_bytes()).hexdigest()
    assert ref.sha256 == expected
    assert inside.split() == [expected, "/app/data/weights.bin"]


@pytest.mark.parametrize("change", ["rewritten, same size", "appended to"])
def test_a_file_changed_after_planning_is_not_built(
    client: Any, project: Path, change: str
) -> None:
    from docker.errors import ImageNotFound

    plan = _plan(project)
    weights = project / "data" / "weights.bin"
    with weights.open("r+b" if change.startswith("rewritten") else "ab") as out:
        out.write(b"changed")
    version = re.search(r'image\.version="([0-9a-f]{12})"', plan.dockerfile)
    assert version is not None
    made_here = {"label": f"org.opencontainers.image.version={version.group(1)}"}
    try:
        with pytest.raises(BuildFailed) as failure:
            build_images([plan], client=client)
        with pytest.raises(ImageNotFound):
            client.images.get(plan.image)
    finally:
        _remove_images(client, [plan.image])
    rendered = failure.value.render()
    assert rendered.startswith(
        f"error: building node stream ({plan.image}) failed: `{weights}` changed after its "
        f"build context was planned (planned: {50 * MIB} bytes, sha256 "
    )
    assert re.search(r"; now: (sha256 [0-9a-f]{12}|more than 52428800 bytes)\)\n", rendered)
    assert rendered.endswith(
        "help: build again when the file no longer changes: its new content gets a new tag"
    )
    # Refused before the engine got anything: no image, not even an untagged one, was made.
    assert client.images.list(all=True, filters=made_here) == []
