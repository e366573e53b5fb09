"""Prometheus metrics under the Go executor's names, so Seldon's Grafana dashboard reads a
local run as it reads a cluster (`executor/api/metric/`).

    seldon_api_executor_server_requests_seconds{deployment_name, predictor_name,
        predictor_version, service, method, code}
    seldon_api_executor_client_requests_seconds{... service, model_name, model_image,
        model_version, method, code}

Each executor owns a private registry (several graphs can run in one test process).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .units import Unit

SERVER = "seldon_api_executor_server_requests_seconds"
CLIENT = "seldon_api_executor_client_requests_seconds"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # Go's DefBuckets
BASE_LABELS = ("deployment_name", "predictor_name", "predictor_version", "service")
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class Deployment:
    """Who is being measured: the labels every series carries."""

    name: str
    predictor: str = "default"
    version: str = ""


class ExecutorMetrics:
    def __init__(self, deployment: Deployment, images: Mapping[str, str] | None = None) -> None:
        self.deployment = deployment
        self.images = dict(images or {})
        self.registry = CollectorRegistry(auto_describe=True)
        self._children: dict[tuple[object, ...], Histogram] = {}  # labelled series, reused
        self.server = Histogram(
            SERVER,
            "A histogram of latencies for executor server",
            (*BASE_LABELS, "method", "code"),
            registry=self.registry,
            buckets=BUCKETS,
        )
        self.client = Histogram(
            CLIENT,
            "A histogram of latencies for client calls from executor",
            (*BASE_LABELS, "model_name", "model_image", "model_version", "method", "code"),
            registry=self.registry,
            buckets=BUCKETS,
        )

    def _base(self, service: str) -> tuple[str, str, str, str]:
        d = self.deployment
        return d.name, d.predictor, d.version, service

    def observe_server(self, service: str, method: str, code: int, seconds: float) -> None:
        key = (service, method, code)
        child = self._children.get(key)
        if child is None:
            child = self.server.labels(*self._base(service), method.lower(), str(code))
            self._children[key] = child
        child.observe(seconds)

    def observe_client(self, unit: Unit, method: str, path: str, code: int, seconds: float) -> None:
        key = (unit.name, method, path, code)
        child = self._children.get(key)
        if child is None:
            image, version = split_image(self.images.get(unit.name, ""))
            labels = (*self._base(path), unit.name, image, version, method.lower(), str(code))
            child = self.client.labels(*labels)
            self._children[key] = child
        child.observe(seconds)

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))


def split_image(ref: str) -> tuple[str, str]:
    """Image name and tag (a registry port is not a tag)."""
    name, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return ref, ""
    return name, tag
