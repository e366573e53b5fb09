"""Hypothesis profiles and shared fixtures for the property tests.

The default profile keeps every property to a few seconds. For a deeper local run:

    HYPOTHESIS_PROFILE=deep .venv/bin/pytest tests/property
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import CRD_FILE, NO_SHARED, REPO, require_file

__all__ = ["REPO", "crd_schema", "examples"]

_SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("default", deadline=None, suppress_health_check=_SLOW_DATA)
settings.register_profile(
    "deep", max_examples=2000, deadline=None, suppress_health_check=_SLOW_DATA
)
# CI: derandomized, so a red build is reproducible from its log.
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=_SLOW_DATA)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples(n: int) -> int:
    """`n` examples normally; the profile's (larger) count under a deep run."""
    return max(n, settings().max_examples) if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else n


@pytest.fixture(scope="session")
def crd_schema() -> dict[str, Any]:
    from seldon_graphs.manifest import load_crd_schema

    return CrdSchema(load_crd_schema(require_file(CRD_FILE, NO_SHARED)))


class CrdSchema(dict[str, Any]):
    """The CRD's openAPIV3Schema, with a short repr for hypothesis' failure reports."""

    def __repr__(self) -> str:
        return f"<openAPIV3Schema of {CRD_FILE.name}>"
