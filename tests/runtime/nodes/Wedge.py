"""Reproduces the wedge of a SIGKILLed gunicorn worker: asked to (a request whose first
number is -1), the worker takes seldon-core's shared metrics lock and is SIGKILLed holding it.
The lock lives in the multiprocessing Manager, so it stays held: the next worker answers
/health/ping but hangs on every call that records metrics (predictions, /health/status)."""

import gc
import os
import signal

import numpy as np


class Wedge:
    def predict(self, X, names):
        if float(np.asarray(X).flat[0]) == -1:
            from seldon_core.metrics import SeldonMetrics

            metrics = next(o for o in gc.get_objects() if isinstance(o, SeldonMetrics))
            metrics._lock.acquire()
            os.kill(os.getpid(), signal.SIGKILL)
        return {"pid": os.getpid()}
