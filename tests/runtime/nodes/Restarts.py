"""Serves normally unless `mode` (or, when it exists, the `mode_file`, read at each start)
says otherwise: "hang" never answers (stuck in its constructor), "exit" exits at once with
code 3, its last log line ending in a byte that is not UTF-8. Tests write the file to change
what the next (re)start does.

Only a serving node misbehaves: `build` constructs every class once inside the new image
(the smoke run, which sets no PREDICTIVE_UNIT_SERVICE_PORT) and would refuse to tag an
image whose class hangs or exits there, so the tests could not build it."""

import os
import time
from pathlib import Path


class Restarts:
    def __init__(self, mode="", mode_file=""):
        if "PREDICTIVE_UNIT_SERVICE_PORT" not in os.environ:
            mode = ""
        elif mode_file and os.path.exists(mode_file):
            mode = Path(mode_file).read_text().strip()
        if mode == "exit":
            os.write(2, b"Restarts: exiting with code 3 \xff\n")  # not UTF-8: logs decode it anyway
            os._exit(3)
        while mode == "hang":
            time.sleep(3600)
        self.pid = os.getpid()

    def predict(self, X, names):
        return {"pid": self.pid}
