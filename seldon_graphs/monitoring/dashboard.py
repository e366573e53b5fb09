"""Our Grafana dashboard over Seldon's metric names: requests/s, success rate, errors and
latency percentiles per deployment and predictor (the executor's server side), the same per
graph node (the executor's calls to each node), and the feedback reward each node's wrapper
counts.

The metrics and their labels are the Go executor's (`executor/api/metric/`) and the Python
wrapper's (`seldon_core/metrics.py`); the local runtime exports the executor's under the same
names (seldon_graphs/runtime/metrics.py). Status is the label `code`, as the executor writes it:
Seldon's own "Prediction Analytics" dashboard filters on `status`, which the executor never
sets, so its success and error panels stay empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SERVER = "seldon_api_executor_server_requests_seconds"
CLIENT = "seldon_api_executor_client_requests_seconds"
FEEDBACK = "seldon_api_model_feedback_total"
REWARD = "seldon_api_model_feedback_reward_total"

TITLE = "Seldon Core (seldon-graphs)"
UID = "seldon-graphs"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
WINDOW = "1m"

# Template variables: name -> (metric, label). `$namespace` comes from the scrape's relabelling.
VARIABLES = {
    "namespace": (f"{SERVER}_count", "kubernetes_namespace"),
    "deployment": (f"{SERVER}_count", "deployment_name"),
    "predictor": (f"{SERVER}_count", "predictor_name"),
    "node": (f"{CLIENT}_count", "model_name"),
}
SELECT = (
    'kubernetes_namespace=~"$namespace",deployment_name=~"$deployment",predictor_name=~"$predictor"'
)
NODE_SELECT = f'{SELECT},model_name=~"$node"'
BY_PREDICTOR = "deployment_name, predictor_name"
BY_NODE = "deployment_name, predictor_name, model_name"
OK, NOT_OK = 'code=~"2.."', 'code!~"2.."'


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    title: str
    kind: str  # Grafana panel type: stat or timeseries
    unit: str
    queries: tuple[Query, ...]
    description: str = ""


def rate(metric: str, select: str, by: str = "") -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({metric}{{{select}}}[{WINDOW}]))"


def ratio(metric: str, select: str, by: str = "") -> str:
    """The share of calls answered 2xx."""
    return f"{rate(metric, f'{select},{OK}', by)} / {rate(metric, select, by)}"


def quantile(q: float, metric: str, select: str, by: str) -> str:
    return f"histogram_quantile({q}, {rate(f'{metric}_bucket', select, f'le, {by}')})"


def _latency(metric: str, select: str, by: str, legend: str) -> tuple[Query, ...]:
    return tuple(
        Query(quantile(q, metric, select, by), f"p{int(q * 100)} {legend}")
        for q in (0.5, 0.9, 0.99)
    )


PREDICTOR_LEGEND = "{{deployment_name}}/{{predictor_name}}"
NODE_LEGEND = "{{deployment_name}}/{{predictor_name}} {{model_name}}"
COUNT, NODE_COUNT = f"{SERVER}_count", f"{CLIENT}_count"

GLOBAL = (
    Panel("Requests/s", "stat", "reqps", (Query(rate(COUNT, SELECT), "requests/s"),)),
    Panel("Success rate", "stat", "percentunit", (Query(ratio(COUNT, SELECT), "2xx"),),
          "Share of requests the executor answered 2xx"),
    Panel("Errors/s", "stat", "reqps", (Query(rate(COUNT, f"{SELECT},{NOT_OK}"), "errors/s"),),
          "Requests answered with anything but 2xx"),
)  # fmt: skip
PER_PREDICTOR = (
    Panel("Requests/s by deployment and predictor", "timeseries", "reqps",
          (Query(rate(COUNT, SELECT, BY_PREDICTOR), PREDICTOR_LEGEND),)),
    Panel("Success rate by deployment and predictor", "timeseries", "percentunit",
          (Query(ratio(COUNT, SELECT, BY_PREDICTOR), PREDICTOR_LEGEND),)),
    Panel("Latency by deployment and predictor", "timeseries", "s",
          _latency(SERVER, SELECT, BY_PREDICTOR, PREDICTOR_LEGEND)),
    Panel("Errors/s by status code", "timeseries", "reqps",
          (Query(rate(COUNT, f"{SELECT},{NOT_OK}", f"{BY_PREDICTOR}, code"),
                 f"{PREDICTOR_LEGEND} {{{{code}}}}"),)),
)  # fmt: skip
PER_NODE = (
    Panel("Requests/s by graph node", "timeseries", "reqps",
          (Query(rate(NODE_COUNT, NODE_SELECT, BY_NODE), NODE_LEGEND),),
          "The executor's calls to each node"),
    Panel("Success rate by graph node", "timeseries", "percentunit",
          (Query(ratio(NODE_COUNT, NODE_SELECT, BY_NODE), NODE_LEGEND),)),
    Panel("Latency by graph node", "timeseries", "s",
          _latency(CLIENT, NODE_SELECT, BY_NODE, NODE_LEGEND)),
    Panel("Feedback reward by graph node", "timeseries", "none",
          (Query(f"{rate(REWARD, NODE_SELECT, BY_NODE)} / {rate(FEEDBACK, NODE_SELECT, BY_NODE)}",
                 NODE_LEGEND),),
          "Mean reward of the feedback each node's wrapper received (non-zero rewards)"),
)  # fmt: skip
ROWS = (("Overall", GLOBAL), ("By deployment and predictor", PER_PREDICTOR),
        ("By graph node", PER_NODE))  # fmt: skip


def panels() -> list[Panel]:
    return [panel for _, row in ROWS for panel in row]


def _panel_json(panel: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    width, height = (8, 4) if panel.kind == "stat" else (12, 8)
    targets = [
        {"datasource": DATASOURCE, "expr": q.expr, "legendFormat": q.legend,
         "refId": chr(ord("A") + i)}
        for i, q in enumerate(panel.queries)
    ]  # fmt: skip
    return {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": width, "h": height},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": targets,
    }


def _row_json(title: str, row: Sequence[Panel], first_id: int, y: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"id": first_id, "type": "row", "title": title, "collapsed": False, "panels": [],
         "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}}
    ]  # fmt: skip
    x, y = 0, y + 1
    for panel in row:
        made = _panel_json(panel, first_id + len(found), x, y)
        found.append(made)
        x += made["gridPos"]["w"]
        if x >= 24:
            x, y = 0, y + made["gridPos"]["h"]
    return found


def _variable(name: str, metric: str, label: str) -> dict[str, Any]:
    query = f"label_values({metric}, {label})"
    return {
        "name": name, "label": name, "type": "query", "datasource": DATASOURCE,
        "query": query, "definition": query, "refresh": 2, "sort": 1,
        "includeAll": True, "multi": True, "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    }  # fmt: skip


def dashboard() -> dict[str, Any]:
    """The dashboard as Grafana 10 provisions it from a file."""
    found: list[dict[str, Any]] = []
    y = 0
    for title, row in ROWS:
        made = _row_json(title, row, len(found) + 1, y)
        found.extend(made)
        y = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in made)
    return {
        "uid": UID,
        "title": TITLE,
        "tags": ["seldon", "seldon-graphs"],
        "timezone": "browser",
        "schemaVersion": 38,
        "version": 1,
        "editable": False,
        "refresh": "10s",
        "time": {"from": "now-30m", "to": "now"},
        "templating": {"list": [_variable(n, m, lab) for n, (m, lab) in VARIABLES.items()]},
        "annotations": {"list": []},
        "panels": found,
    }
