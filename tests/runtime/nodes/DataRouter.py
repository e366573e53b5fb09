"""A router whose route is the request's first number: one graph, every routing case."""

import numpy as np


class DataRouter:
    def route(self, X, names):
        return int(np.asarray(X).flat[0])
