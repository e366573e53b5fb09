"""Read the Docker engine's push stream: progress per layer, the pushed digest, and which
failures are worth trying again.

The engine sends one record per layer event (`Preparing`, `Waiting`, `Pushing` with
progressDetail, `Pushed`, `Layer already exists`, `Mounted from ...`, `Retrying in N
seconds`), then `aux: {Tag, Digest, Size}`, or an `error` record.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import RegistryError

ATTEMPTS = 3  # whole pushes, for transient failures (the engine retries each layer itself)
BACKOFF = 1.0  # seconds before the second attempt, doubled after each
# What the engine says when the registry or the network failed, not our request.
_TRANSIENT = re.compile(
    r"\b5\d\d\b|connection reset|connection refused|broken pipe|\bEOF\b|i/o timeout|"
    r"timeout|TLS handshake|too many requests|\b429\b|request canceled|no route to host",
    re.IGNORECASE,
)
_SHOWN_FROM = 1_000_000  # bytes: smaller layers get their "pushed" line only
_PERMANENT = re.compile(r"denied|unauthori[sz]ed|authentication required|forbidden", re.I)

Say = Callable[[str], None]
T = TypeVar("T")


@dataclass
class PushReport:
    """What one push did: the manifest digest, and each layer's fate."""

    digest: str = ""
    pushed: list[str] = field(default_factory=list)  # layer IDs uploaded
    present: list[str] = field(default_factory=list)  # already in the registry: skipped

    def summary(self) -> str:
        return (
            f"{len(self.pushed)} layer(s) pushed, {len(self.present)} already in the "
            "registry (skipped)"
        )


def transient(message: str) -> bool:
    return bool(_TRANSIENT.search(message)) and not _PERMANENT.search(message)


def follow_push(
    records: Iterable[Mapping[str, Any]], image: str, say: Say, step: Say
) -> PushReport:
    """Consume one push stream: `say` gets a line per finished layer, `step` transient
    progress; RegistryError (transient or not) on an error record."""
    report = PushReport()
    totals: dict[str, int] = {}
    shown: dict[str, int] = {}
    for record in records:
        if "error" in record or "errorDetail" in record:
            raise _failed(image, record)
        layer, status = str(record.get("id", "")), str(record.get("status", ""))
        detail = record.get("progressDetail") or {}
        if digest := (record.get("aux") or {}).get("Digest"):
            report.digest = str(digest)
        elif status == "Pushing" and detail.get("total"):
            totals[layer] = int(detail["total"])
            if totals[layer] < _SHOWN_FROM:
                continue
            # `current` counts compressed bytes sent, `total` the layer's size: it can pass 100
            percent = min(100, int(100 * int(detail.get("current", 0)) / totals[layer]))
            if percent // 25 > shown.get(layer, -1):  # a line per quarter, not per packet
                shown[layer] = percent // 25
                step(f"layer {layer}: pushing, {percent}% of {_size(totals[layer])}")
        elif status == "Pushed":
            report.pushed.append(layer)
            say(
                f"layer {layer}: pushed" + (f" ({_size(totals[layer])})" if layer in totals else "")
            )
        elif status == "Layer already exists" or status.startswith("Mounted from"):
            report.present.append(layer)
            say(f"layer {layer}: already in the registry, skipped")
        elif status.startswith("Retrying in"):
            step(f"layer {layer}: the engine retries the upload ({status.lower()})")
    if not report.digest:
        raise RegistryError(f"pushing {image}: the engine reported no digest", transient=True)
    return report


def _failed(image: str, record: Mapping[str, Any]) -> RegistryError:
    detail = record.get("errorDetail") or {}
    message = str(record.get("error") or detail.get("message") or "unknown error").strip()
    again = transient(message)
    hint = (
        "the registry or the network failed; try again later"
        if again
        else "check the credentials (`docker login`, --registry-auth-file) and that this "
        "account may push to the repository"
    )
    return RegistryError(f"pushing {image} failed: {message}", hint, transient=again)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def retried(
    action: Callable[[], T],
    what: str,
    say: Say,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`action()`, tried again after a transient RegistryError, at most `attempts` times."""
    delay = backoff
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except RegistryError as err:
            if not err.transient or attempt == attempts:
                if err.transient:
                    err.message += f" (tried {attempts} times)"
                raise
            say(f"{what}: {err.message}; trying again in {delay:g}s ({attempt}/{attempts})")
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable: the last attempt returns or raises")
