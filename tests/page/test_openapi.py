"""schemathesis against /openapi.json on a running graph: every answer has a status, a
Content-Type and a body the description allows (so no undeclared 5xx), and none hangs.

Bounded: a few examples per operation, 10 s per request, 127.0.0.1 only. The executor's own
errors are JSON sent as text/plain (as Go sends them), which schemathesis does not parse:
`executor_errors_are_seldon_status` checks those bodies against the description's Status.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from ..helpers import in_ci

OPENAPI = Path(__file__).resolve().parents[2] / "seldon_graphs" / "runtime" / "openapi.json"
STATUS_SCHEMA = json.loads(OPENAPI.read_text())["components"]["schemas"]["Status"]
REQUEST_SECONDS = 10.0


# Loaded from the file kept in the repo (the server serves the same bytes: test_routes.py);
# one pytest case per operation. schemathesis' own pytest integration is not used: it does
# not run under pytest 9.
SCHEMA = schemathesis.openapi.from_path(str(OPENAPI))
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}


def executor_errors_are_seldon_status(ctx: Any, response: Any, case: Any) -> bool | None:
    """An error sent as text/plain (not the router's `404 page not found`): the executor's
    own or a node's passed through, both Seldon's Status as JSON (every node here is a Python
    wrapper node), as Go's respondWithError writes them."""
    kind = response.headers.get("content-type", [""])[0]
    if (
        response.status_code < 400
        or not kind.startswith("text/plain")
        or response.status_code == 404
    ):
        return None
    jsonschema.validate(json.loads(response.content), STATUS_SCHEMA)
    return True


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_executor_answers_as_described(label: str, demo_url: str) -> None:
    @given(case=OPERATIONS[label].as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=in_ci(),  # a red CI build reproduces from its log
        phases=[Phase.explicit, Phase.generate],
    )
    def call(case: Any) -> None:
        case.call_and_validate(
            base_url=demo_url,
            timeout=REQUEST_SECONDS,
            checks=[
                checks.status_code_conformance,
                checks.content_type_conformance,
                checks.response_headers_conformance,
                checks.response_schema_conformance,
            ],
            additional_checks=[executor_errors_are_seldon_status],
        )

    call()
