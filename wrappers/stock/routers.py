"""Stock routers: a random A/B split and an epsilon-greedy bandit learning from feedback.

Plain Seldon-contract classes (`route(X, names) -> int`, `send_feedback(...)`), standalone
(seldon_core only): this file is copied as is into wrapper images. State lives in memory,
per process: run routers with one gunicorn worker (Seldon's default) so feedback reaches
the process that routes.
"""

from __future__ import annotations

import math
import random
import threading
from typing import Any


def _check_seed(seed: int | None) -> random.Random:
    return random.Random(None if seed is None else int(seed))


class ABRouter:
    """Child 0 with probability `ratio_a`, else child 1 (`stock: ab-router`)."""

    def __init__(self, ratio_a: float = 0.5, seed: int | None = None) -> None:
        ratio = float(ratio_a)
        if not 0.0 <= ratio <= 1.0 or math.isnan(ratio):
            raise ValueError(f"ab-router: ratio_a {ratio_a!r} must be between 0 and 1")
        self.ratio_a = ratio
        self._rng = _check_seed(seed)
        self._lock = threading.Lock()

    def route(self, X: Any, feature_names: Any) -> int:
        with self._lock:
            return 0 if self._rng.random() < self.ratio_a else 1


class EpsilonGreedy:
    """Multi-armed bandit (`stock: epsilon-greedy`).

    With probability `epsilon` a random branch (exploration), otherwise the branch with the
    best mean reward so far (ties: the lowest index). `send_feedback` with a reward updates
    the mean of the branch this router chose for that request (Seldon passes it as
    `routing`). Metrics expose each branch's mean reward and count as gauges.
    """

    def __init__(self, n_branches: int, epsilon: float = 0.1, seed: int | None = None) -> None:
        n = int(n_branches)
        if n < 1:
            raise ValueError(f"epsilon-greedy: n_branches {n_branches!r} must be at least 1")
        eps = float(epsilon)
        if not 0.0 <= eps <= 1.0 or math.isnan(eps):
            raise ValueError(f"epsilon-greedy: epsilon {epsilon!r} must be between 0 and 1")
        self.n_branches = n
        self.epsilon = eps
        self.counts = [0] * n
        self.values = [0.0] * n
        self._rng = _check_seed(seed)
        self._lock = threading.Lock()

    @property
    def best_branch(self) -> int:
        return max(range(self.n_branches), key=lambda b: (self.values[b], -b))

    def route(self, X: Any, feature_names: Any) -> int:
        with self._lock:
            if self._rng.random() < self.epsilon:
                return self._rng.randrange(self.n_branches)
            return self.best_branch

    def send_feedback(
        self, features: Any, feature_names: Any, reward: float, truth: Any, routing: Any = None
    ) -> list[Any]:
        if routing is None or reward is None:
            return []  # feedback that this router did not route: nothing to learn
        branch = int(routing)
        if not 0 <= branch < self.n_branches:
            raise ValueError(
                f"epsilon-greedy: feedback for branch {branch}, but n_branches is {self.n_branches}"
            )
        with self._lock:
            self.counts[branch] += 1
            self.values[branch] += (float(reward) - self.values[branch]) / self.counts[branch]
        return []

    def metrics(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                metric
                for b in range(self.n_branches)
                for metric in (
                    {
                        "type": "GAUGE",
                        "key": "branch_value",
                        "value": self.values[b],
                        "tags": {"branch": str(b)},
                    },
                    {
                        "type": "GAUGE",
                        "key": "branch_count",
                        "value": self.counts[b],
                        "tags": {"branch": str(b)},
                    },
                )
            ]
