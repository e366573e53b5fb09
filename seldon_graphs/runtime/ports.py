"""Node ports as the operator numbers them (http 9000+i, grpc 9500+i, metrics 6000+i, i the
node's pre-order index), each checked free on the bind address; a taken one is replaced by
a free port from the OS."""

from __future__ import annotations

import socket
from dataclasses import dataclass

HTTP_BASE, GRPC_BASE, METRICS_BASE = 9000, 9500, 6000


@dataclass(frozen=True)
class Ports:
    http: int
    grpc: int
    metrics: int


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class PortAllocator:
    """Hands out distinct free ports, preferring the operator's numbers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.taken: set[int] = set()

    def one(self, preferred: int) -> int:
        port = preferred
        while port in self.taken or not is_free(port, self.host):
            port = free_port(self.host)
        self.taken.add(port)
        return port

    def node(self, index: int) -> Ports:
        return Ports(
            self.one(HTTP_BASE + index), self.one(GRPC_BASE + index), self.one(METRICS_BASE + index)
        )
