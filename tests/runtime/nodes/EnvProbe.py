"""Answers the environment the runtime gave the node, and its constructor parameters."""

import os

KEYS = (
    "PREDICTIVE_UNIT_ID",
    "PREDICTIVE_UNIT_IMAGE",
    "PREDICTIVE_UNIT_PARAMETERS",
    "PREDICTIVE_UNIT_HTTP_SERVICE_PORT",
    "PREDICTOR_ID",
    "PREDICTOR_LABELS",
    "SELDON_DEPLOYMENT_ID",
)


class EnvProbe:
    def __init__(self, answer=0, flag=False):
        self.params = {"answer": answer, "flag": flag}

    def predict(self, X, names):
        env = {k: os.environ.get(k) for k in KEYS}
        try:
            import sg_probe_pkg

            env["package"] = sg_probe_pkg.VALUE
        except ImportError:
            env["package"] = None
        return {"env": env, "params": self.params}
