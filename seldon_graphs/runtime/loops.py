"""The event loop the executor and the local ingress run on: uvloop (libuv) by default,
asyncio's own selector loop with `SELDON_GRAPHS_LOOP=asyncio`.

uvloop because issue 14's profile put a quarter of the executor's CPU per request in
asyncio's selector loop; docs/performance.md has the figures. The asyncio loop stays a
setting (and every runtime is tested on both): it is the reference the behaviour is pinned
against, and the way out should a platform have no uvloop wheel.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .errors import RuntimeProblem

LOOP_ENV = "SELDON_GRAPHS_LOOP"
LOOPS = ("uvloop", "asyncio")
DEFAULT_LOOP = "uvloop"

T = TypeVar("T")


class LoopChoiceError(RuntimeProblem):
    """SELDON_GRAPHS_LOOP names no loop we have."""


def loop_name(name: str | None = None) -> str:
    """`name`, else SELDON_GRAPHS_LOOP, else the default; checked against LOOPS."""
    chosen = name or os.environ.get(LOOP_ENV, "").strip().lower() or DEFAULT_LOOP
    if chosen not in LOOPS:
        raise LoopChoiceError(
            f"{LOOP_ENV}={chosen!r} is not an event loop seldon-graphs runs on "
            f"(one of: {', '.join(LOOPS)})"
        )
    return chosen


def loop_factory(name: str | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes a fresh loop of the chosen kind (`loop_name`)."""
    if loop_name(name) == "asyncio":
        return asyncio.new_event_loop
    import uvloop  # only when a server runs: the CLI's other commands never pay its import

    return uvloop.new_event_loop


def new_loop(name: str | None = None) -> asyncio.AbstractEventLoop:
    return loop_factory(name)()


def run(main: Callable[[], Coroutine[Any, Any, T]], name: str | None = None) -> T:
    """`asyncio.run(main())` on the chosen loop (Python 3.11's asyncio.run takes no factory).
    The choice is checked before `main` is called: a bad one leaves nothing made."""
    factory = loop_factory(name)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main())


__all__ = ["LOOPS", "LOOP_ENV", "LoopChoiceError", "loop_name", "new_loop", "run"]
