"""Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1, and a TCP proxy in front of
one that drops the Docker engine's first connections.

The registry is the real thing; the proxy only exists to make the network fail on cue, which
a healthy registry on loopback never does.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.helpers import require_tool

START_TIMEOUT = 20.0  # seconds for the registry to say it listens
PORT_ATTEMPTS = 5  # a port taken between choosing and binding: choose again


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def htpasswd(path: Path, user: str, password: str) -> Path:
    """An htpasswd file made by apache2-utils' htpasswd (bcrypt: distribution reads no other)."""
    tool = require_tool("htpasswd")
    line = subprocess.run(
        [tool, "-Bbn", user, password], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    path.write_text(line + "\n")
    return path


@dataclass
class Registry:
    """One docker-registry process serving `root`; `log` keeps everything it printed."""

    root: Path
    auth: tuple[str, str] | None = None
    auth_config: str = ""  # another `auth:` section (a token service's), instead of htpasswd
    port: int = 0
    process: subprocess.Popen[str] | None = None
    log: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Registry:
        """Start on `port` (or on a free one, chosen again if it is taken meanwhile)."""
        for _ in range(PORT_ATTEMPTS):
            port = self.port or free_port()
            if self._serve(port):
                self.port = port
                return self
            if self.port:
                break
        raise RuntimeError("docker-registry did not start:\n" + "\n".join(self.log[-20:]))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def _serve(self, port: int) -> bool:
        config = self._config(port)
        binary = require_tool("docker-registry")
        process = subprocess.Popen(
            [binary, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(process.stdout, lines, self.log), daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                process.kill()
                return False
            if line is None:  # it exited: the port was taken, or the config is wrong
                process.wait(timeout=10)
                return False
            if f"listening on 127.0.0.1:{port}" in line:
                self.process = process
                return True

    def _config(self, port: int) -> Path:
        auth = self.auth_config
        if self.auth:
            users = htpasswd(self.root / "htpasswd", *self.auth)
            auth = f"auth:\n  htpasswd:\n    realm: seldon-graphs-test\n    path: {users}\n"
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: info\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'data'}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n  secret: seldon-graphs-test\n" + auth
        )
        return config


def _pump(stream: IO[str], lines: queue.Queue[str | None], log: list[str]) -> None:
    for line in stream:
        log.append(line.rstrip())
        lines.put(line)
    lines.put(None)


@contextlib.contextmanager
def registry(
    root: Path, auth: tuple[str, str] | None = None, auth_config: str = ""
) -> Iterator[Registry]:
    root.mkdir(parents=True, exist_ok=True)
    served = Registry(root, auth, auth_config).start()
    try:
        yield served
    finally:
        served.stop()
        shutil.rmtree(root / "data", ignore_errors=True)


class DroppingProxy:
    """A TCP proxy on 127.0.0.1 to `target`: the first `drop` connections whose first request
    comes from the Docker engine (User-Agent `docker/`) are closed unanswered, every other
    connection is passed through byte for byte."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.drop = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            first = client.recv(65536)
            if self._should_drop(first):
                return
            with socket.create_connection(self.target, timeout=60) as upstream:
                upstream.sendall(first)
                pipes = [
                    threading.Thread(target=_pipe, args=pair, daemon=True)
                    for pair in ((upstream, client), (client, upstream))
                ]
                for pipe in pipes:
                    pipe.start()
                for pipe in pipes:
                    pipe.join(timeout=300)

    def _should_drop(self, first: bytes) -> bool:
        with self._lock:
            if self.dropped < self.drop and b"user-agent: docker/" in first.lower():
                self.dropped += 1
                return True
        return False


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
