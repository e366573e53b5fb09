"""`models push`: upload each server node's `local_uri` to its `model_uri` with rclone.

rclone, not boto3: it is the tool Seldon 1.17.1's storage initializer runs, so pushing with
the environment the secret gives the init container also proves that secret can download.
`rclone copy --checksum` skips objects whose size and MD5 (the ETag of a single-part upload)
already match, so pushing again uploads only what changed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..spec import GraphSpec
from .errors import DeployError
from .initializers import initializer_env, remote_of

# What rclone may inherit from our environment: nothing that configures S3 (AWS_CA_BUNDLE,
# set on some machines, breaks every S3 call of rclone 1.60), only where to find things.
_INHERITED = ("PATH", "HOME", "TMPDIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
_STATS = re.compile(r"[\d.]+ \S*B / [\d.]+ \S*B, \d+%, ")
_NOISE = ("Config file", "not found - using defaults")
# One progress line a second while a big model uploads. rclone's own limits bound the run:
# its defaults (3 retries x 10 low-level retries with back-off) spend minutes on a wrong
# endpoint; these spend about two seconds and still ride out a dropped connection.
PROGRESS = (
    "--stats=1s",
    "--stats-one-line",
    "--contimeout=15s",
    "--timeout=5m",
    "--retries=2",
    "--low-level-retries=3",
)


@dataclass(frozen=True)
class Upload:
    node: str
    source: Path
    dest: str


@dataclass(frozen=True)
class Pushed:
    node: str
    copied: int


def uploads(spec: GraphSpec) -> tuple[list[Upload], list[str]]:
    """What to upload, and the server nodes left out (with why)."""
    todo: list[Upload] = []
    left: list[str] = []
    for node in spec.nodes:
        if node.server is None or not node.model_uri:
            continue
        if not node.local_uri:
            left.append(f"{node.name}: no local_uri, nothing to upload")
        elif remote_of(node.model_uri) is None:
            left.append(f"{node.name}: {node.model_uri} is not object storage")
        else:
            todo.append(Upload(node.name, spec.root / node.local_uri, node.model_uri))
    return todo, left


def rclone_env(
    secret: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The init container's rclone environment, plus PATH/HOME/proxies to run it here."""
    env = os.environ if environ is None else environ
    return {**{k: env[k] for k in _INHERITED if k in env}, **initializer_env(secret)}


def push(upload: Upload, env: Mapping[str, str], say: Callable[[str], None]) -> Pushed:
    """Copy one model folder; raise DeployError with rclone's own words if it fails."""
    if not upload.source.exists():
        raise DeployError(
            f"{upload.node}: local_uri {upload.source} does not exist",
            "train or copy the model there first (for income: make models/income/lr/model.joblib)",
        )
    command = [_rclone(), "copy", "--checksum", *PROGRESS, str(upload.source), upload.dest]
    lines: list[str] = []
    copied = 0
    with subprocess.Popen(
        command,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None  # stderr=PIPE
        for raw in proc.stderr:
            line = raw.rstrip()
            if not line or _noise(line):
                continue
            lines.append(line)
            copied += ": Copied (" in line
            if shown := progress_line(line):
                say(f"{upload.node}: {shown}")
    if proc.returncode != 0:
        said = "\n".join(f"  | {ln}" for ln in lines[-10:])
        raise DeployError(
            f"{upload.node}: rclone could not copy {upload.source} to {upload.dest} "
            f"(exit {proc.returncode}):\n{said}",
            "check the credentials (the same KEY=VALUE input as `seldon-graphs secret create`) "
            "and the endpoint",
        )
    return Pushed(upload.node, copied)


def progress_line(line: str) -> str | None:
    """What to show of one rclone log line: a copied file, or the one-line stats
    (`  9.996 MiB / 286.102 MiB, 3%, 0 B/s, ETA -`); None for the rest."""
    message = line.split("INFO  : ", 1)[-1].strip()
    if ": Copied (" in message or _STATS.match(message):
        return message
    return None


def _rclone() -> str:
    found = shutil.which("rclone")
    if found is None:
        raise DeployError(
            "rclone is not installed (models push runs the storage initializer's own tool)",
            "install it: `apt-get install rclone` (Debian/Ubuntu) or see https://rclone.org/install/",
        )
    return found


def _noise(line: str) -> bool:
    return all(part in line for part in _NOISE)
