"""build_images against a fake engine: skipping, progress, failures, push and kind errors."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.errors import ImageNotFound

from seldon_graphs.images import (
    BuildFailed,
    ConsoleProgress,
    KindLoadFailed,
    PushFailed,
    build_images,
)
from seldon_graphs.spec import Role
from seldon_graphs.wrapper.context import ContextPlan, plan_context

from .conftest import graph_spec, python_node


def _plan() -> ContextPlan:
    node = python_node()
    return plan_context(graph_spec(node), node, Role.MODEL)


class FakeImage:
    def __init__(self, size: int) -> None:
        self.attrs = {"Size": size}


class FakeEngine:
    """Just enough of docker.DockerClient: images.get, api.build, api.push."""

    def __init__(self, stream: list[dict[str, Any]], existing: set[str] | None = None) -> None:
        self.stream, self.existing = stream, set(existing or ())
        self.builds: list[dict[str, Any]] = []
        self.pushes: list[tuple[str, str]] = []
        self.push_stream: list[dict[str, Any]] = [{"status": "Pushed"}]
        self.images, self.api = self, self

    def get(self, image: str) -> FakeImage:
        if image not in self.existing:
            raise ImageNotFound(image)
        return FakeImage(123_000_000)

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.builds.append(kwargs)
        yield from self.stream
        if not any("error" in r for r in self.stream):
            self.existing.add(kwargs["tag"])

    def push(self, repository: str, tag: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.pushes.append((repository, tag))
        yield from self.push_stream


OK_STREAM = [
    {"stream": "Step 1/3 : FROM seldon-graphs/base:bookworm\n"},
    {"stream": " ---> abc\n"},
    {"stream": "Step 2/3 : RUN pip install\n"},
    {"stream": "Collecting seldon-core==1.17.1\n"},
    {"stream": "Step 3/3 : CMD [...]\n"},
    {"stream": "Successfully built abc\n"},
]


def test_missing_image_is_built_with_host_network_and_no_proxy_args() -> None:
    plan = _plan()
    engine = FakeEngine(OK_STREAM, existing={plan.base_image})
    (result,) = build_images([plan], client=engine)
    assert result.built and result.size == 123_000_000
    (call,) = engine.builds
    assert call["tag"] == plan.image
    assert call["network_mode"] == "host"
    assert call["use_config_proxy"] is False
    assert call["custom_context"] is True and call["pull"] is False
    assert "buildargs" not in call
    with tarfile.open(fileobj=call["fileobj"]) as tar:
        assert "Dockerfile" in tar.getnames()


def test_existing_tag_builds_nothing() -> None:
    plan = _plan()
    engine = FakeEngine(OK_STREAM, existing={plan.image})
    (result,) = build_images([plan], client=engine)
    assert not result.built
    assert engine.builds == []


def test_failure_names_the_step_and_shows_its_log_tail() -> None:
    plan = _plan()
    stream = [
        {"stream": "Step 1/3 : FROM seldon-graphs/base:bookworm\n"},
        {"stream": "Step 2/3 : RUN pip install --requirement /opt/venv/requirements.txt\n"},
        *({"stream": f"line {i}\n"} for i in range(40)),
        {"stream": "ERROR: No matching distribution found for nope==1\n"},
        {"error": "The command '/bin/sh -c pip install' returned a non-zero code: 1"},
    ]
    engine = FakeEngine(stream, existing={plan.base_image})
    with pytest.raises(BuildFailed) as failure:
        build_images([plan], client=engine)
    error = failure.value
    assert error.step.startswith("Step 2/3 : RUN pip install")
    assert len(error.log) == 25 and error.log[-1].startswith("ERROR: No matching")
    text = error.render()
    assert "failing step: Step 2/3" in text
    assert "| ERROR: No matching distribution found for nope==1" in text
    assert "line 15" not in text and "line 16" in text  # only the tail


def test_missing_base_image_failure_says_how_to_make_one() -> None:
    plan = _plan()
    stream = [
        {"stream": "Step 1/3 : FROM python:3.11-slim\n"},
        {"error": 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup failed'},
    ]
    with pytest.raises(BuildFailed) as failure:
        build_images([plan], client=FakeEngine(stream))
    assert "scripts/build_base_image.sh" in failure.value.render()


def test_progress_is_compact(capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan()
    out = io.StringIO()
    build_images([plan], client=FakeEngine(OK_STREAM), progress=ConsoleProgress(out))
    lines = out.getvalue().splitlines()
    assert lines[0] == f"[double] building {plan.image}"
    assert [line.split(" : ")[0] for line in lines[1:4]] == [
        "[double] Step 1/3",
        "[double] Step 2/3",
        "[double] Step 3/3",
    ]
    assert lines[-1].startswith("[double] built in ") and "123 MB" in lines[-1]
    assert not any("Collecting" in line for line in lines)  # output only with verbose


def test_push_pushes_the_content_tag() -> None:
    plan = _plan()
    engine = FakeEngine(OK_STREAM, existing={plan.image})
    (result,) = build_images([plan], client=engine, push=True)
    assert result.pushed
    assert engine.pushes == [(plan.repository, plan.tag)]


def test_push_failure_is_reported() -> None:
    plan = _plan()
    engine = FakeEngine(OK_STREAM, existing={plan.image})
    engine.push_stream = [{"error": "denied: requested access to the resource is denied"}]
    with pytest.raises(PushFailed, match="denied") as failure:
        build_images([plan], client=engine, push=True)
    assert "docker login" in failure.value.render()


def test_kind_load_without_kind_fails_before_building(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    engine = FakeEngine(OK_STREAM)
    with pytest.raises(KindLoadFailed, match="needs the `kind` command"):
        build_images([_plan()], client=engine, kind_cluster="seldon")
    assert engine.builds == []


def _fake_kind(folder: Path, code: int) -> None:
    kind = folder / "kind"
    kind.write_text(
        f'#!/bin/sh\necho "$@" >> "{folder}/calls"\necho "no cluster" >&2\nexit {code}\n'
    )
    kind.chmod(kind.stat().st_mode | stat.S_IEXEC)


def test_kind_load_runs_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_kind(tmp_path, 0)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    plan = _plan()
    (result,) = build_images(
        [plan], client=FakeEngine(OK_STREAM, existing={plan.image}), kind_cluster="seldon"
    )
    assert result.loaded_into == "seldon"
    assert (tmp_path / "calls").read_text() == f"load docker-image {plan.image} --name seldon\n"


def test_kind_load_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_kind(tmp_path, 1)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    plan = _plan()
    with pytest.raises(KindLoadFailed, match="no cluster"):
        build_images([plan], client=FakeEngine(OK_STREAM, existing={plan.image}), kind_cluster="x")
