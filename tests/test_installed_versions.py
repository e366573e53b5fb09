"""generated_servers.installed reads a distribution's version from its .dist-info folder's
name; importlib.metadata is the oracle, over every distribution installed here."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

from seldon_graphs import generated_servers
from seldon_graphs.generated_servers import installed

DISTRIBUTIONS = sorted({d.metadata["Name"] for d in metadata.distributions()})


def test_every_installed_distribution_has_the_version_importlib_metadata_gives() -> None:
    assert len(DISTRIBUTIONS) > 50  # the project's venv: seldon-core, scikit-learn, ...
    differ = {
        name: (installed(name), metadata.version(name))
        for name in DISTRIBUTIONS
        if installed(name) != metadata.version(name)
    }
    assert differ == {}


@pytest.mark.parametrize("spelling", ["scikit-learn", "Scikit_Learn", "scikit.learn"])
def test_any_spelling_of_a_name_finds_it(spelling: str) -> None:
    assert installed(spelling) == metadata.version("scikit-learn")


def test_a_distribution_not_installed_is_none() -> None:
    assert installed("no-such-distribution-here") is None


def test_the_first_entry_on_sys_path_wins_and_an_egg_info_defers_to_importlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "demo_pkg-2.0.dist-info").mkdir(parents=True)
    (second / "demo_pkg-1.0.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    assert generated_servers._dist_info_version("demo-pkg") == "2.0"
    (first / "demo_pkg-2.0.dist-info").rmdir()
    (first / "demo_pkg.egg-info").mkdir()
    assert generated_servers._dist_info_version("demo-pkg") is None  # importlib decides
