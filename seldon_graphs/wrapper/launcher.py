"""What a node runs: `seldon-core-microservice`, with two costs of its REST server removed.

Standard library and seldon_core only: copied verbatim into every image as
`seldon_graphs_launch.py` (the image's command runs it in place of
`seldon-core-microservice`, same arguments) and imported by the process runtime's generated
launch module, so a node serves the same way on a laptop and in a cluster.

Everything else is seldon-core's own: the Flask app (`wrapper.get_rest_microservice`), its
request decoding, `seldon_methods`, JSON encoding and error bodies, gunicorn, the metrics
server and its Manager. So the answers are byte for byte the stock ones. What changes:

- **No metrics round trips for calls that record none.** `SeldonMetrics.update` takes the
  multiprocessing Manager's lock twice and reads and rewrites the worker's entry: six round
  trips to the Manager process on every call, even with nothing to record (about half a
  stock node's CPU). A call without custom metrics leaves the shared data as it was, so it
  now skips them; `/prometheus` shows the same names and values. Calls that record metrics,
  and `/health/status`, still go through the lock: the liveness probe keeps finding a node
  whose lock was left held by a killed worker.
- **Keep-alive.** gunicorn's sync worker closes every connection after one answer, so each
  call from the executor paid a TCP connection. Connections are now kept for
  `GUNICORN_KEEPALIVE` seconds (2), waiting in gunicorn's gthread poller. With one thread
  (stock's default) a request is handled on the worker's main thread, one at a time as the
  sync worker does (gunicorn's timeout still ends one that runs too long); with more
  (`GUNICORN_THREADS`/`--threads`) the worker is gunicorn's gthread, as stock picks it. So
  user code is never called from more threads than stock would use. Each answer leaves in
  one TCP segment.

`SELDON_GRAPHS_LAUNCHER=stock` leaves seldon-core exactly as it is (a benchmark's baseline).

    python3 seldon_graphs_launch.py entry.Adapter --service-type MODEL [other flags]
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

MODE_ENV = "SELDON_GRAPHS_LAUNCHER"
STOCK = "stock"


def quick_metrics(base: type) -> type:
    """A SeldonMetrics that skips the Manager when a call has no metrics to record."""
    from seldon_core.metrics import HEALTH_METRIC_METHOD_TAG

    class QuickMetrics(base):  # type: ignore[misc]
        def update(self, custom_metrics: list[dict[str, Any]], method: str) -> None:
            if custom_metrics or method == HEALTH_METRIC_METHOD_TAG:
                super().update(custom_metrics, method)

    return QuickMetrics


def inline_worker() -> str:
    """gunicorn's gthread worker whose one thread is its main thread: a request is handled
    where its connection became readable, no thread pool hand-off. Keep-alive connections wait
    in the poller as in gthread; requests are served one at a time, as by the sync worker
    (which also means gunicorn's timeout ends a request that runs too long, as in stock)."""
    from concurrent import futures

    from gunicorn.workers.gthread import ThreadWorker

    class InlineWorker(ThreadWorker):  # type: ignore[misc]
        def run(self) -> None:
            # gunicorn's signal wake-up pipe, in the poller: a stop signal ends the wait for
            # connections at once (gthread waits out its 1 s poll: a slower docker stop).
            self.poller.register(self.PIPE[0], selectors.EVENT_READ, self.drain)
            super().run()

        def drain(self, pipe: int) -> None:
            with contextlib.suppress(OSError):
                os.read(pipe, 4096)

        def enqueue_req(self, conn: Any) -> None:
            conn.init()
            done: futures.Future[tuple[bool, Any]] = futures.Future()
            done.conn = conn  # type: ignore[attr-defined]  # what finish_request reads
            done.set_result(corked(conn.sock, lambda: self.handle(conn)))
            self.finish_request(done)
            self.notify()

    # gunicorn takes a worker class by its dotted name only (it calls str methods on it)
    globals()["InlineWorker"] = InlineWorker
    return f"{__name__}.InlineWorker"


def corked(sock: socket.socket, handle: Callable[[], T]) -> T:
    """Run `handle` with the socket corked: gunicorn writes an answer's head and body in two
    sends, and on a kept-alive connection Nagle's algorithm holds the second until the client
    acknowledges the first (delayed ACKs: milliseconds per call). Corked, the answer leaves
    in one segment when `handle` is done."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    try:
        return handle()
    finally:
        with contextlib.suppress(OSError):  # closed meanwhile: nothing left to send
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)


def keep_alive(application: type) -> None:
    """Serve the REST app with a keep-alive worker: the inline one for one thread (stock's
    default), gunicorn's gthread (what stock itself picks) for more."""
    load_config = getattr(application, "load_config")  # noqa: B009 (mypy: a plain `type`)

    def with_keep_alive(self: Any) -> None:
        load_config(self)
        self.cfg.set("worker_class", inline_worker() if self.cfg.threads == 1 else "gthread")

    setattr(application, "load_config", with_keep_alive)  # noqa: B010


def install() -> bool:
    """Apply both changes to seldon_core in this process; False when asked for stock."""
    if os.environ.get(MODE_ENV, "") == STOCK:
        return False
    from seldon_core import gunicorn_utils, microservice

    microservice.SeldonMetrics = quick_metrics(microservice.SeldonMetrics)
    keep_alive(gunicorn_utils.UserModelApplication)
    return True


def main(argv: list[str]) -> int:
    install()
    from seldon_core.microservice import main as microservice_main

    sys.argv = ["seldon-core-microservice", *argv]
    microservice_main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
