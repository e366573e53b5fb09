"""The compiler asks for the base image's ID through settings; the facade installs the
engine (seldon_graphs.engine) there, so the compiler's modules import no engine client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seldon_graphs import api, engine, settings


@pytest.fixture
def restored() -> Iterator[None]:
    yield
    settings.use_engine(api._engine_image_id)


def test_importing_the_facade_installs_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    assert api.MANIFEST_FILE  # imported: the hook is in place
    assert settings._image_ids is api._engine_image_id
    asked: list[str] = []

    def stand_in(ref: str) -> str:
        asked.append(ref)
        return "sha256:1"

    monkeypatch.setattr(engine, "image_id", stand_in)
    assert settings._image_ids("base:1") == "sha256:1"
    assert asked == ["base:1"]


def test_base_image_id_asks_the_installed_engine_once_per_image(restored: None) -> None:
    asked: list[str] = []

    def stand_in(ref: str) -> str:
        asked.append(ref)
        return f"sha256:{len(ref)}"

    settings.use_engine(stand_in)
    assert settings.base_image_id("base:1") == "sha256:6"
    assert settings.base_image_id("base:1") == "sha256:6"
    assert settings.base_image_id("other:22") == "sha256:8"
    assert asked == ["base:1", "other:22"]


def test_without_an_engine_reachable_the_id_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert engine.image_id("anything:1") == ""
