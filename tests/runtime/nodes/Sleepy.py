"""Sleeps as many seconds as the request's first number, then answers what the executor
forwarded to it: the Seldon-Puid header and a custom header (read from Flask's request)."""

import time

import numpy as np


class Sleepy:
    def predict(self, X, names):
        time.sleep(float(np.asarray(X).flat[0]))
        from flask import request

        return {
            "puid": request.headers.get("Seldon-Puid"),
            "custom": request.headers.get("X-Trace"),
        }
