"""Monitoring for a kind cluster on Kubernetes 1.27 (`make kind-up MONITORING=1`), in the
order the pieces build on each other:

    scrape      Prometheus' configuration: Seldon's pods job (executor and node metrics
                ports), the kubelets and cAdvisor; the same jobs with static targets for a
                Prometheus outside the cluster
    dashboard   our Grafana dashboard over Seldon's metric names
    manifests   the Kubernetes objects (v1, apps/v1, rbac/v1 only) holding both
    __main__    writes them to deploy/monitoring/ (`python -m seldon_graphs.monitoring`)
"""

from __future__ import annotations

from .dashboard import panels
from .manifests import NAMESPACE, manifest_yaml, objects
from .scrape import PodPort, prometheus_config

__all__ = ["NAMESPACE", "PodPort", "manifest_yaml", "objects", "panels", "prometheus_config"]
