"""Node ports as the operator numbers them (http 9000+i, grpc 9500+i, metrics 6000+i, i the
node's pre-order index), reserved for the whole run: each port is bound here, on the bind
address, and kept bound until the run ends. A taken port is replaced by one from the OS.

Checking a port free and letting the node bind it seconds later let two graphs started
together pick the same port, and one graph's executor then called the other graph's node.
Now the HTTP and metrics sockets are listening here and handed to the node's gunicorn as
inherited file descriptors (`fd://N`), so no other process can take them, before the start or
between a crash and the restart. The gRPC port (gRPC is off locally) is only held.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

HTTP_BASE, GRPC_BASE, METRICS_BASE = 9000, 9500, 6000
BACKLOG = 2048  # gunicorn's default


@dataclass(frozen=True)
class Ports:
    http: int
    grpc: int
    metrics: int


OPERATOR_BASES = Ports(HTTP_BASE, GRPC_BASE, METRICS_BASE)


def _bound(host: str, port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # SO_REUSEADDR allows a port in TIME_WAIT, never one another socket holds (no REUSEPORT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        return None
    return sock


class PortAllocator:
    """Binds distinct ports, preferring the operator's numbers, and holds them until close()."""

    def __init__(self, host: str = "127.0.0.1", bases: Ports = OPERATOR_BASES) -> None:
        self.host = host
        self.bases = bases
        self.sockets: dict[int, socket.socket] = {}
        self.moved: dict[int, int] = {}  # preferred port that was taken -> the port used

    def one(self, preferred: int, listen: bool) -> int:
        sock = None if preferred in self.sockets else _bound(self.host, preferred)
        if sock is None:
            sock = _bound(self.host, 0)
            if sock is None:
                raise OSError(f"no free port on {self.host}")
        port = int(sock.getsockname()[1])
        if port != preferred:
            self.moved[preferred] = port
        if listen:
            sock.listen(BACKLOG)
        self.sockets[port] = sock
        return port

    def node(self, index: int) -> Ports:
        b = self.bases
        return Ports(
            self.one(b.http + index, listen=True),
            self.one(b.grpc + index, listen=False),
            self.one(b.metrics + index, listen=True),
        )

    def fds(self, ports: Ports) -> dict[int, int]:
        """Port -> file descriptor of a node's listening sockets (its HTTP and metrics)."""
        return {port: self.sockets[port].fileno() for port in (ports.http, ports.metrics)}

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()
