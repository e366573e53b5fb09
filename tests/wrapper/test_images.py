"""build_images against a fake engine: skipping, progress, failures and kind errors (pushing
meets a real registry: tests/registry/)."""

from __future__ import annotations

import dataclasses
import io
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.errors import ImageNotFound, NotFound

from seldon_graphs.spec import Pos, Role
from seldon_graphs.wrapper.context import ContextPlan, plan_context
from seldon_graphs.wrapper.images import (
    BuildFailed,
    ConsoleProgress,
    KindLoadFailed,
    SmokeFailed,
    build_images,
    printable,
    push_decision,
)

from .conftest import graph_spec, python_node


def _plan() -> ContextPlan:
    node = python_node()
    return plan_context(graph_spec(node), node, Role.MODEL)


class FakeImage:
    def __init__(self, size: int, repo_digests: list[str]) -> None:
        self.attrs = {"Size": size, "RepoDigests": repo_digests}


class FakeContainer:
    def __init__(self, engine: FakeEngine, command: list[str]) -> None:
        self.engine, self.command = engine, command

    def start(self) -> None:
        pass

    def wait(self, timeout: float) -> dict[str, int]:
        return {"StatusCode": 0}

    def logs(self, stdout: bool, stderr: bool) -> bytes:
        return self.engine.smoke_output if stdout else b""

    def remove(self, force: bool) -> None:
        pass


class FakeEngine:
    """Just enough of docker.DockerClient for the build loop's own logic (which build
    options it sends, how it reads the stream, when it pushes): a fake, because those are
    the client's calls, which a real engine does not show back; tests/wrapper/
    test_images_docker.py runs the same loop on the real engine."""

    def __init__(self, stream: list[dict[str, Any]], existing: set[str] | None = None) -> None:
        self.stream, self.existing = stream, set(existing or ())
        self.builds: list[dict[str, Any]] = []
        self.pushes: list[tuple[str, str]] = []
        self.push_stream: list[dict[str, Any]] = [{"status": "Pushed"}]
        self.remote: dict[str, str] = {}  # image -> the registry's manifest digest
        self.repo_digests: list[str] = []
        self.created: list[dict[str, Any]] = []
        self.smoke_output = b'{"ok": true, "lock": ["seldon-core==1.17.1"]}\n'
        self.images = self.api = self.containers = self

    def get(self, image: str) -> FakeImage:
        if image not in self.existing:
            raise ImageNotFound(image)
        return FakeImage(123_000_000, self.repo_digests)

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        kwargs["context"] = kwargs["fileobj"].read()  # the temporary file is gone afterwards
        self.builds.append(kwargs)
        yield from self.stream
        if not any("error" in r for r in self.stream):
            yield {"aux": {"ID": f"sha256:{len(self.builds)}"}}
            self.existing.add(kwargs["tag"] or f"sha256:{len(self.builds)}")

    def create(self, image: str, command: list[str], **kwargs: Any) -> FakeContainer:
        self.created.append({"image": image, "command": command, **kwargs})
        return FakeContainer(self, command)

    def remove(self, image: str, noprune: bool) -> None:
        self.existing.discard(image)

    def get_registry_data(self, image: str) -> Any:
        if image not in self.remote:
            raise NotFound(image)
        return type("RegistryData", (), {"id": self.remote[image]})()

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
    call, labels = engine.builds  # the image untagged, then its labels and the tag on top
    assert (call["tag"], labels["tag"]) == (None, plan.image)
    for options in (call, labels):
        assert options["network_mode"] == "host"
        assert options["use_config_proxy"] is False
        assert options["custom_context"] is True and options["pull"] is False
        assert "buildargs" not in options
    with tarfile.open(fileobj=io.BytesIO(call["context"])) as tar:
        assert "Dockerfile" in tar.getnames()
    (smoke,) = engine.created  # the untagged image, run as its own user, on the build's network
    assert smoke["image"] == "sha256:1" and smoke["network_mode"] == "host"
    assert smoke["command"][:4] == ["python3", "-I", "-c", smoke["command"][3]]
    assert smoke["command"][4:] == ["doubler", "Doubler"] and "user" not in smoke
    assert smoke["environment"] == {
        "PREDICTIVE_UNIT_PARAMETERS": "[]",
        "PREDICTIVE_UNIT_ID": "double",
    }
    with tarfile.open(fileobj=io.BytesIO(labels["context"])) as tar:
        dockerfile = tar.extractfile("Dockerfile").read().decode()  # type: ignore[union-attr]
    assert dockerfile == (
        'FROM sha256:1\nLABEL io.seldon-graphs.lock="seldon-core==1.17.1" '
        'io.seldon-graphs.base.id="unknown"\n'
    )


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


@pytest.mark.parametrize(
    ("remote", "local", "force", "action"),
    [
        (None, [], False, "push"),  # a new tag
        (None, ["sha256:a"], True, "push"),
        ("sha256:a", ["sha256:a"], False, "skip"),  # this very image is there already
        ("sha256:a", ["sha256:b", "sha256:a"], False, "skip"),
        ("sha256:a", ["sha256:b"], False, "keep"),  # another image under the same tag
        ("sha256:a", [], False, "keep"),  # never pushed from here: cannot be shown to be ours
        ("sha256:a", ["sha256:b"], True, "push"),
        ("sha256:a", [], True, "push"),
    ],
)
def test_push_decision(remote: str | None, local: list[str], force: bool, action: str) -> None:
    assert push_decision(remote, local, force) == action


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mERROR\x1b[0m: no", "ERROR: no"),
        ("\x1b]0;title\x07text", "text"),
        ("a\rb", "a\\x0db"),
        ("bell\x07 and nul\x00", "bell\\x07 and nul\\x00"),
        ("tab\tand ünïcode", "tab\tand ünïcode"),
        ("\x9b31m C1", "\\x9b31m C1"),
    ],
)
def test_printable_strips_escapes_and_shows_control_characters(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_failed_build_log_tail_has_no_terminal_escapes() -> None:
    plan = _plan()
    stream = [
        {"stream": "Step 2/3 : RUN pip install\n"},
        {"stream": "\x1b[1;31merror\x1b[0m: resolution-impossible\r\x1b[2Kspoofed\n"},
        {"error": "The command returned a non-zero code: 1\x1b[0m"},
    ]
    with pytest.raises(BuildFailed) as failure:
        build_images([plan], client=FakeEngine(stream, existing={plan.base_image}))
    text = failure.value.render()
    assert "\x1b" not in text and "\r" not in text
    # a carriage return ends a line (it cannot rewrite the one before)
    assert "  | error: resolution-impossible\n  | spoofed" in text


def test_smoke_failure_names_the_node_and_its_line() -> None:
    node = dataclasses.replace(python_node(), pos=Pos(7, 3))
    plan = plan_context(graph_spec(node), node, Role.MODEL)
    engine = FakeEngine(OK_STREAM, existing={plan.base_image})
    engine.smoke_output = b'{"ok": false, "error": "TypeError: bad\\u001b[2J", "hint": "h"}\n'
    with pytest.raises(SmokeFailed) as failure:
        build_images([plan], client=engine)
    assert failure.value.render() == (
        "error: graph.yaml:7:3: node double: the image builds but the server would not "
        "start: TypeError: bad\nhelp: h"
    )
    assert plan.image not in engine.existing  # no tag for an image that fails to start


def test_a_construct_failure_of_a_node_with_cluster_only_inputs_is_a_printed_warning() -> None:
    from seldon_graphs.spec import SecretEnv

    node = python_node(secret_env=(SecretEnv("DB_PASSWORD", "db", "password"),))
    plan = plan_context(graph_spec(node), node, Role.MODEL)
    engine = FakeEngine(OK_STREAM, existing={plan.base_image})
    engine.smoke_output = (
        b'{"ok": false, "stage": "construct", "error": "KeyError: \'DB_PASSWORD\'", '
        b'"hint": "", "lock": ["seldon-core==1.17.1"]}\n'
    )
    out = io.StringIO()
    (result,) = build_images([plan], client=engine, progress=ConsoleProgress(out))
    assert result.built and plan.image in engine.existing
    assert out.getvalue().splitlines()[-1] == (
        "warning: graph.yaml:1:1: node double: its class could not be built here (KeyError: "
        "'DB_PASSWORD'); it uses DB_PASSWORD, which only the cluster provides, so the image "
        "is kept: check the node's log after deploying"
    )
    engine.smoke_output = engine.smoke_output.replace(b"construct", b"load")
    engine.existing.discard(plan.image)
    with pytest.raises(SmokeFailed):  # a loading problem is the node's, secrets or not
        build_images([plan], client=engine)
