"""Holds a request whose first number is 1 until its `gate` file exists (at most a minute),
so a test knows a request is in the node for as long as it needs; others answer at once."""

import os
import time

import numpy as np


class Gate:
    def __init__(self, gate=""):
        self.gate = gate

    def predict(self, X, names):
        deadline = time.monotonic() + 60
        while float(np.asarray(X).flat[0]) == 1 and not os.path.exists(self.gate):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.gate} never appeared")
            time.sleep(0.01)
        return X
