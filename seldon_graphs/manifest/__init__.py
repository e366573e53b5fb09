"""check-manifest: lint a SeldonDeployment the way the cluster will judge it, and beyond.

Order: `crd` (the CRD's openAPIV3Schema, as the API server applies it) -> `webhook` (a port of
Seldon's validating webhook, Seldon's messages) -> `rules` (what Seldon accepts but breaks
later) -> `check` (all three, positions in the source); the CLI is `cli/manifest_commands.py`.
"""

from __future__ import annotations

from .check import check_object, check_text
from .crd import CrdError, load_crd_schema
from .finding import Finding, webhook_error

__all__ = [
    "CrdError",
    "Finding",
    "check_object",
    "check_text",
    "load_crd_schema",
    "webhook_error",
]
