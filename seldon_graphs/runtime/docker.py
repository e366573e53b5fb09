"""The docker runtime: each node's image (`seldon-graphs build`) as a container on a private
Docker network, our executor in front on the host.

Containers get the operator's environment (process.node_env) and ports, publish their HTTP
port on 127.0.0.1 only, and restart on failure (Docker's own backoff). Server nodes run
Seldon's server image with the local model folder mounted read-only at /mnt/models, as the
storage initializer would leave it. Everything made here carries the label
`io.seldon-graphs.run=<id>` and is removed by `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..spec import GraphSpec, Source
from ..tree import TreeNode
from .errors import RuntimeProblem
from .http_transport import http_executor
from .nodes import NodeSetupError, local_model_uri, node_image
from .ports import Ports
from .process import node_env
from .units import Param, Unit, units_from_tree

MODELS = "/mnt/models"
WATCH_S = 1.0
LABEL = "io.seldon-graphs.run"
START_TIMEOUT_S = 120.0


class DockerUnavailable(RuntimeProblem):
    """No Docker engine to talk to, or a node's image is not built."""


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    image: str
    env: dict[str, str]
    ports: Ports
    volumes: dict[str, dict[str, str]]


def _pings(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health/ping", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def docker_client() -> Any:
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        raise DockerUnavailable(f"no Docker engine reachable ({exc}); start dockerd") from exc
    return client


def plan_containers(
    spec: GraphSpec, root: Unit, model_uris: Mapping[str, str]
) -> list[ContainerPlan]:
    """What each node's container runs: image, operator env, ports, model mount."""
    plans = []
    for index, unit in enumerate(u for u in root.walk() if not u.builtin):
        node = spec.node(unit.name)
        ports = Ports(9000 + index, 9500 + index, 6000 + index)
        params, volumes = unit.parameters, {}
        if node.source == Source.SERVER:
            volumes = {local_model_uri(spec, node, model_uris): {"bind": MODELS, "mode": "ro"}}
            params = (
                *(p for p in params if p.name != "model_uri"),
                Param("model_uri", MODELS, "STRING"),
            )
        image = node_image(spec, node, unit.type)
        env = node_env(spec, unit.name, image, params, ports, node.env)
        env = {k: v for k, v in env.items() if k.startswith(_CONTAINER_ENV) or k in dict(node.env)}
        plans.append(ContainerPlan(unit.name, image, env, ports, volumes))
    return plans


_CONTAINER_ENV = ("PREDICTIVE_UNIT", "PREDICTOR", "SELDON", "GRPC_WORKERS", "PYTHONUNBUFFERED")


class DockerBackend:
    """Nodes as containers; the executor calls their published loopback ports."""

    def __init__(
        self,
        spec: GraphSpec,
        tree: TreeNode,
        model_uris: Mapping[str, str] | None = None,
        *,
        routing_injection: bool = False,
        report: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
    ) -> None:
        self.spec = spec
        self.root = units_from_tree(tree, spec)
        self.plans = plan_containers(spec, self.root, model_uris or {})
        self.ports = {p.name: p.ports for p in self.plans}
        self.run_id = uuid.uuid4().hex[:8]
        self.metrics, self.transport, self.executor = http_executor(
            spec, self.root, {p.name: p.image for p in self.plans}, self._down, routing_injection
        )
        self.client: Any = None
        self.network: Any = None
        self.containers: dict[str, Any] = {}
        self.state: dict[str, str] = {}
        self.restarts: dict[str, int] = {}
        self.report = report
        self._watcher: asyncio.Task[None] | None = None

    def missing_images(self) -> list[str]:
        from docker.errors import ImageNotFound

        client = self.client or docker_client()
        missing = []
        for plan in self.plans:
            try:
                client.images.get(plan.image)
            except ImageNotFound:
                missing.append(plan.image)
        return missing

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.client = await loop.run_in_executor(None, docker_client)
        missing = await loop.run_in_executor(None, self.missing_images)
        if missing:
            raise DockerUnavailable(
                f"images not available locally: {', '.join(missing)}. Build the wrapper "
                f"images with `seldon-graphs build {self.spec.file}`; pull Seldon's server "
                "images (or use --runtime process) for server nodes"
            )
        await loop.run_in_executor(None, self._create)
        await self._wait_ready()
        self._watcher = asyncio.create_task(self._watch())

    def _create(self) -> None:
        labels = {LABEL: self.run_id}
        self.network = self.client.networks.create(
            f"sg-{self.spec.name}-{self.run_id}", driver="bridge", labels=labels
        )
        for plan in self.plans:
            http = f"{plan.ports.http}/tcp"
            container = self.client.containers.run(
                plan.image,
                detach=True,
                name=f"sg-{self.spec.name}-{plan.name}-{self.run_id}",
                hostname=plan.name,
                network=self.network.name,
                environment=plan.env,
                ports={http: ("127.0.0.1", None)},
                volumes=plan.volumes,
                labels=labels,
                restart_policy={"Name": "on-failure", "MaximumRetryCount": 10},
            )
            self.containers[plan.name] = container
            container.reload()
            self._follow_port(plan.name, container)
            self.state[plan.name] = "starting"

    def _follow_port(self, name: str, container: Any) -> None:
        """Point the transport at the container's published port (a restart may move it)."""
        http = f"{self.ports[name].http}/tcp"
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(http) or []
        url = f"http://127.0.0.1:{bindings[0]['HostPort']}" if bindings else ""
        if url and url != self.transport.endpoints.get(name):
            self.transport.set_endpoint(name, url)

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
            for name, url in self.transport.endpoints.items():
                while time.monotonic() < deadline:
                    try:
                        async with session.get(url + "/health/ping") as resp:
                            if resp.status == 200:
                                self.state[name] = "ready"
                                break
                    except (aiohttp.ClientError, TimeoutError):
                        pass
                    await asyncio.sleep(0.2)
        late = [n for n, s in self.state.items() if s != "ready"]
        if late:
            logs = {n: self._logs(n) for n in late}
            await self.close()
            raise DockerUnavailable(
                "\n".join(f"node {n!r} did not start; last log lines:\n{logs[n]}" for n in late)
            )

    def _logs(self, name: str) -> str:
        from docker.errors import DockerException

        try:
            text = self.containers[name].logs(tail=20).decode("utf-8", "replace")
        except DockerException as exc:
            return f"    (no logs: {exc})"
        return "\n".join(f"    {line}" for line in text.splitlines())

    def _down(self, name: str) -> str | None:
        state = self.state.get(name)
        if state == "ready":
            return None
        return f"node {name!r} {state}" if state else f"node {name!r} is not running"

    async def problems(self) -> list[str]:
        return [reason for name in self.containers if (reason := self._down(name))]

    async def _watch(self) -> None:
        """Report a container that stops or restarts (Docker restarts it, with backoff);
        it is down until /health/ping answers again."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(WATCH_S)
            for text in await loop.run_in_executor(None, self._poll):
                self.report(text)

    def _poll(self) -> list[str]:
        from docker.errors import DockerException

        reports = []
        for name, container in self.containers.items():
            try:
                container.reload()
            except DockerException as exc:
                self.state[name] = f"is unknown to Docker ({exc})"
                continue
            restarts = int(container.attrs.get("RestartCount", 0))
            exit_code = container.attrs.get("State", {}).get("ExitCode")
            if container.status != "running" or restarts > self.restarts.get(name, 0):
                # once Docker has restarted it, the exit code shown is the new run's
                how = (
                    f"exited with code {exit_code}"
                    if container.status != "running"
                    else f"crashed and was restarted by Docker (restart {restarts})"
                )
                if self.state.get(name) == "ready":
                    reports.append(
                        f"seldon-graphs: node {name!r} {how}. Last log lines:\n{self._logs(name)}"
                    )
                self.restarts[name] = restarts
                self.state[name] = f"{how}; waiting for it to answer again"
            elif self.state.get(name) != "ready":
                self._follow_port(name, container)
                if _pings(self.transport.endpoints[name]):
                    self.state[name] = "ready"
        return reports

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        await self.transport.close()
        if self.client is None:
            return
        await asyncio.get_running_loop().run_in_executor(None, self._remove)

    def _remove(self) -> None:
        for container in self.containers.values():
            with contextlib.suppress(Exception):  # already gone
                container.remove(force=True)
        self.containers.clear()
        if self.network is not None:
            with contextlib.suppress(Exception):
                self.network.remove()
            self.network = None


__all__ = ["DockerBackend", "DockerUnavailable", "NodeSetupError", "plan_containers"]
