"""A Unix socket between the Docker SDK and the real engine that a test can cut.

The engine going away (dockerd restarting) cannot be done to the engine every test shares;
to the client, a cut link is the same thing: its connections are reset and new ones are
closed at once. Every byte that passes is the real engine's."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading

ENGINE = "/var/run/docker.sock"


class EngineLink:
    def __init__(self, upstream: str = ENGINE) -> None:
        self.folder = tempfile.mkdtemp(prefix="sg-link-")  # short: a socket path fits 107 bytes
        self.path = os.path.join(self.folder, "docker.sock")
        self.upstream = upstream
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(self.path)
        self.listener.listen(64)
        self.broken = threading.Event()
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="engine-link").start()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.broken.is_set():
                client.close()
                continue
            engine = socket.socket(socket.AF_UNIX)
            engine.connect(self.upstream)
            with self.lock:
                self.open += [client, engine]
            for source, sink in ((client, engine), (engine, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def cut(self) -> None:
        self.broken.set()
        with self.lock:
            sockets, self.open = self.open, []
        for sock in sockets:
            _close(sock)

    def mend(self) -> None:
        self.broken.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass  # cut, or the other side closed
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
