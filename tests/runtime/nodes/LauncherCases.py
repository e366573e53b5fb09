"""Classes the launcher is compared on with stock seldon-core-microservice: every role, tags,
custom metrics of each kind (returned by `metrics()`, at run time, from a raw method), errors,
feedback, and a barrier that shows whether two calls ever overlap."""

import threading

import numpy as np
from seldon_core.flask_utils import SeldonMicroserviceException
from seldon_core.metrics import create_counter, create_gauge, create_timer
from seldon_core.user_model import SeldonResponse


class Metered:
    """Metrics only for the call that asked (so health probes, whose timing differs between
    two processes, record none)."""

    def __init__(self):
        self.pending = []

    def predict(self, X, names, meta=None):
        first = float(np.asarray(X, dtype=float).flat[0])
        if first == -1:
            raise SeldonMicroserviceException("bad input", status_code=400, reason="BAD")
        if first == -2:
            raise ValueError("the model broke")
        self.pending = [
            create_counter("calls", 1),
            create_gauge("first", first),
            create_timer("took_ms", 12.5),
            {"type": "COUNTER", "key": "tagged", "value": 2, "tags": {"size": str(len(names))}},
        ]
        return np.asarray(X, dtype=float) * 2

    def metrics(self):
        out, self.pending = self.pending, []
        return out

    def tags(self):
        return {"metered": "yes", "n": 1}

    def send_feedback(self, features, feature_names, reward, truth, routing=None):
        return [[reward]]


class RuntimeMetrics:
    def predict(self, X, names, meta=None):
        metrics = [create_counter("runtime_calls", 1), create_gauge("runtime_meta", len(meta))]
        return SeldonResponse(np.asarray(X) + 1, {"runtime": "tag"}, metrics)


class RawMetrics:
    def predict_raw(self, request):
        return {
            "jsonData": {"echo": request.get("jsonData")},
            "meta": {"metrics": [{"type": "GAUGE", "key": "raw_gauge", "value": 3}]},
        }


class Plain:
    def predict(self, X, names, meta=None):
        return {"seen": np.asarray(X).tolist(), "names": list(names)}


class Transformer:
    def transform_input(self, X, names, meta=None):
        return np.asarray(X) - 1

    def transform_output(self, X, names, meta=None):
        return np.asarray(X) * 10


class Router:
    def route(self, X, names):
        return int(np.asarray(X).flat[0]) % 2


class Combiner:
    def aggregate(self, Xs, names):
        return np.sum([np.asarray(x, dtype=float) for x in Xs], axis=0)


class Overlap:
    """Two calls pass the barrier only if they run at the same time; otherwise each waits out
    its timeout and fails (one thread at a time)."""

    barrier = threading.Barrier(2, timeout=2)

    def predict(self, X, names, meta=None):
        self.barrier.wait()
        return X
