"""Fixtures shared across test folders."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask.testing import FlaskClient
    from seldon_core.metrics import SeldonMetrics


@pytest.fixture(scope="session")
def seldon_metrics() -> Iterator[SeldonMetrics]:
    """One SeldonMetrics for the session: each one starts a multiprocessing Manager."""
    from seldon_core.metrics import SeldonMetrics

    metrics = SeldonMetrics()
    yield metrics
    metrics._manager.shutdown()


@pytest.fixture
def serve(seldon_metrics: SeldonMetrics) -> Callable[[Any], FlaskClient]:
    """Wrap a user object in seldon_core's own REST app and return a Flask test client."""
    from seldon_core.wrapper import get_rest_microservice

    def make(user_object: Any) -> FlaskClient:
        app = get_rest_microservice(user_object, seldon_metrics)
        app.testing = True
        client: FlaskClient = app.test_client()
        return client

    return make


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
