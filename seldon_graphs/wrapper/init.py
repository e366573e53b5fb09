"""PID 1 of a wrapper container: run the server in its own process group, stop it whole.

Standard library only: copied verbatim into every image as `seldon_graphs_init.py` and run
with `python3 -I` (isolated, so no file in /app can shadow a module it imports).

Why: `docker stop` (and Kubernetes) send SIGTERM to PID 1 only. seldon-core-microservice's
main process runs the REST server (gunicorn), which stops on SIGTERM, but then waits at exit
for its gRPC server process, which never got the signal: the container hangs for the whole
grace period and is killed (exit 137). Here the signal goes to the whole process group, so
every server process stops and the container exits 0 within a second or two.

    python3 -I seldon_graphs_init.py seldon-core-microservice entry.Adapter --service-type MODEL
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: seldon_graphs_init.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    child = subprocess.Popen(argv, start_new_session=True)
    forwarded: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        forwarded.append(signum)
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(child.pid, signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, forward)
    code = child.wait()
    return exit_code(code, forwarded)


def exit_code(returncode: int, forwarded: list[int]) -> int:
    """0 for a stop we asked for; otherwise the shell's convention (128 + signal)."""
    if returncode < 0:
        return 0 if -returncode in forwarded else 128 - returncode
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
