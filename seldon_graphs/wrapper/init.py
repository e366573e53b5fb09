"""PID 1 of a wrapper container: run the server in its own process group, stop it whole.

Standard library only: copied verbatim into every image as `seldon_graphs_init.py` and run
with `python3 -I` (isolated, so no file in /app can shadow a module it imports).

Why: `docker stop` (and Kubernetes) send SIGTERM to PID 1 only. seldon-core-microservice's
main process runs the REST server (gunicorn), which stops on SIGTERM, but then waits at exit
for its gRPC server process, which never got the signal: the container hung for the whole
grace period and was killed (exit 137). So a stop signal goes to the server's main process
first (gunicorn stops its workers gracefully, while the metrics manager they report to is
still up), and, if the main process is still there STOP_SLICE seconds later, to the whole
process group. REST-only images also set GRPC_WORKERS=0, so there is no gRPC process and
the first signal suffices.

    python3 -I seldon_graphs_init.py seldon-core-microservice entry.Adapter --service-type MODEL
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from types import FrameType

# Not SIGHUP: gunicorn reloads its workers on it; it goes to the main process only.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
STOP_SLICE = 0.5  # seconds the main process gets before the whole group is signalled


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: seldon_graphs_init.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    child = subprocess.Popen(argv, start_new_session=True)
    forwarded: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        forwarded.append(signum)
        child.send_signal(signum)
        raise _Stopping  # out of an untimed wait, into the timed one below

    for signum in STOP_SIGNALS:
        signal.signal(signum, forward)
    signal.signal(signal.SIGHUP, lambda signum, frame: child.send_signal(signum))
    while True:
        try:
            code = child.wait(timeout=STOP_SLICE if forwarded else None)
            break
        except _Stopping:
            continue
        except subprocess.TimeoutExpired:  # stopping, but waiting for its gRPC process
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, forwarded[-1])
    return exit_code(code, forwarded)


class _Stopping(Exception):
    """Raised by the signal handler to end a wait that has no timeout."""


def exit_code(returncode: int, forwarded: list[int]) -> int:
    """0 for a stop we asked for; otherwise the shell's convention (128 + signal)."""
    if returncode < 0:
        return 0 if -returncode in forwarded else 128 - returncode
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
