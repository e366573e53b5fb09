"""The docker runtime: each node's image (`seldon-graphs build`) as a container on a private
Docker network, our executor in front on the host.

Containers get the operator's environment (process.node_env) and ports, and publish their HTTP
port on 127.0.0.1 only. They are supervised like the process runtime's nodes
(supervision.py): one that stops (a crash, `docker kill`, `docker stop`), stops answering, or
does not answer in time after a start is reported and started again, with the same back-off
(Docker's own restart policy is not used: it ignores `docker kill`); one removed
(`docker rm -f`) is made again from its plan, as Kubernetes makes a deleted pod again; while
the engine does not answer, the nodes are judged by their health checks alone.
Server nodes run Seldon's server image (or their generated one: `server_image: generated`)
with the local model folder mounted read-only at /mnt/models, as the storage initializer
would leave it. Everything made here carries the label `io.seldon-graphs.run=<id>` and is
removed by `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import engine
from ..spec import GraphSpec
from ..tree import TreeNode
from .errors import RuntimeProblem
from .http1 import Client
from .http_transport import http_executor
from .nodes import NodeSetupError, local_model_uri, node_image
from .ports import Ports
from .process import node_env
from .supervision import DEFAULT_POLICY, Backoff, Liveness, Policy, probe, reason_down
from .units import Param, Unit, units_from_tree

MODELS = "/mnt/models"
WATCH_S = 0.5
LABEL = "io.seldon-graphs.run"
REMOVED = "removed"  # a container Docker no longer knows


class DockerUnavailable(RuntimeProblem):
    """No Docker engine to talk to, or a node's image is not built."""


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    image: str
    env: dict[str, str]
    ports: Ports
    volumes: dict[str, dict[str, str]]


@dataclass
class Supervised:
    """What the watcher knows about one container."""

    backoff: Backoff
    state: str = "starting"  # starting | ready | down | stopped
    problem: str = ""
    restarts: int = 0
    started: float = field(default_factory=time.monotonic)
    restart_at: float = 0.0
    next_probe: float = 0.0
    liveness: Liveness | None = None

    def reason_down(self, name: str) -> str | None:
        return reason_down(name, self.state, self.restarts, self.problem)


def docker_client() -> Any:
    try:
        return engine.client()
    except engine.Unreachable as exc:
        raise DockerUnavailable(f"{exc}; {engine.HINT}") from exc


def plan_containers(
    spec: GraphSpec, root: Unit, model_uris: Mapping[str, str]
) -> list[ContainerPlan]:
    """What each node's container runs: image, operator env, ports, model mount."""
    plans = []
    for index, unit in enumerate(u for u in root.walk() if not u.builtin):
        node = spec.node(unit.name)
        ports = Ports(9000 + index, 9500 + index, 6000 + index)
        params, volumes = unit.parameters, {}
        if node.server is not None:
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


def _engine_errors() -> tuple[type[Exception], ...]:
    """What the SDK raises when the engine cannot be asked: its own errors, and a refused or
    reset connection, which it passes on from requests unwrapped."""
    from docker.errors import DockerException
    from requests import RequestException

    return (DockerException, RequestException)


def _gone(status: str, exit_code: int | None) -> str:
    """Why a container that is not running went down, for the report and /ready."""
    if status == REMOVED:
        return "was removed from Docker"
    if status in ("exited", "dead") and exit_code is not None:
        return f"exited with code {exit_code}"
    return f"is {status}"  # paused


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
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.spec = spec
        self.root = units_from_tree(tree, spec)
        self.plans = plan_containers(spec, self.root, model_uris or {})
        self._plans = {p.name: p for p in self.plans}
        self.run_id = uuid.uuid4().hex[:8]
        self.metrics, self.transport, self.executor = http_executor(
            spec, self.root, {p.name: p.image for p in self.plans}, self._down, routing_injection
        )
        self.policy = policy
        self.client: Any = None
        self.network: Any = None
        self.containers: dict[str, Any] = {}
        self.nodes = {p.name: Supervised(Backoff(policy.backoff)) for p in self.plans}
        self.report = report
        self.probes = Client()
        self.engine_problem: str | None = None  # why the engine last did not answer
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
                f"images (and generated server images) with `seldon-graphs build "
                f"{self.spec.file}`; pull Seldon's server images (or use --runtime process) "
                "for other server nodes"
            )
        await loop.run_in_executor(None, self._create)
        await self._wait_ready()
        self._watcher = asyncio.create_task(self._watch())

    def _create(self) -> None:
        self.network = self.client.networks.create(
            f"sg-{self.spec.name}-{self.run_id}", driver="bridge", labels={LABEL: self.run_id}
        )
        for plan in self.plans:
            self._run(plan)

    def _run(self, plan: ContainerPlan) -> None:
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
            labels={LABEL: self.run_id},
        )
        self.containers[plan.name] = container
        self.nodes[plan.name].started = time.monotonic()
        container.reload()
        self._follow_port(plan.name, container)

    def _follow_port(self, name: str, container: Any) -> None:
        """Point the transport at the container's published port (a restart may move it)."""
        http = f"{self._plans[name].ports.http}/tcp"
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(http) or []
        url = f"http://127.0.0.1:{bindings[0]['HostPort']}" if bindings else ""
        if url and url != self.transport.endpoints.get(name):
            self.transport.set_endpoint(name, url)

    async def _wait_ready(self) -> None:
        """Every container answers /health/ping, or start fails naming those that did not
        (exited, or no answer within the start timeout) with their last log lines."""
        deadline = time.monotonic() + self.policy.start_timeout
        while time.monotonic() < deadline:
            await self._tick()
            if all(n.state != "starting" for n in self.nodes.values()):
                break
            await asyncio.sleep(WATCH_S)
        for node in self.nodes.values():
            if node.state == "starting":
                node.problem = self._late()
        late = {name: n for name, n in self.nodes.items() if n.state != "ready"}
        if late:
            logs = {name: self._logs(name) for name in late}
            await self.close()
            raise DockerUnavailable(
                "\n".join(
                    f"node {name!r} did not start ({n.problem}); last log lines:\n{logs[name]}"
                    for name, n in late.items()
                )
            )

    def _late(self) -> str:
        return f"did not answer within {self.policy.start_timeout:g}s of its start"

    def _logs(self, name: str) -> str:
        try:
            text = self.containers[name].logs(tail=20).decode("utf-8", "replace")
        except _engine_errors() as exc:
            return f"    (no logs: {exc})"
        return "\n".join(f"    {line}" for line in text.splitlines())

    def _down(self, name: str) -> str | None:
        node = self.nodes.get(name)
        return node.reason_down(name) if node else f"node {name!r} is not running"

    async def problems(self) -> list[str]:
        return [reason for name in self.containers if (reason := self._down(name))]

    async def _watch(self) -> None:
        """Supervise every container until close()."""
        while True:
            await asyncio.sleep(WATCH_S)
            await self._tick()
            for name, node in self.nodes.items():
                if node.state == "down" and time.monotonic() >= node.restart_at:
                    await self._restart(name)

    async def _tick(self) -> None:
        """One look at every container: exited ones go down, starting ones that answer are
        ready, ready ones are probed."""
        loop = asyncio.get_running_loop()
        statuses, unanswered = await loop.run_in_executor(None, self._statuses)
        self._engine_answers(unanswered)
        await asyncio.gather(*(self._check(name, *statuses[name]) for name in self.containers))

    def _statuses(self) -> tuple[dict[str, tuple[str, int | None]], str | None]:
        """Each container's status and exit code, and why the engine did not answer (then
        every container counts as running: its health checks decide, as in Kubernetes when
        a node's container runtime restarts)."""
        from docker.errors import NotFound

        out: dict[str, tuple[str, int | None]] = {}
        for name, container in self.containers.items():
            try:
                container.reload()
            except NotFound:
                out[name] = (REMOVED, None)
                continue
            except _engine_errors() as exc:
                return dict.fromkeys(self.containers, ("running", None)), str(exc)
            out[name] = (container.status, container.attrs.get("State", {}).get("ExitCode"))
            if container.status == "running":
                self._follow_port(name, container)
        return out, None

    def _engine_answers(self, problem: str | None) -> None:
        """Reported once when the engine stops answering, and once when it is back."""
        if problem is not None and self.engine_problem is None:
            self.report(
                f"seldon-graphs: the Docker engine does not answer ({problem}); nodes are "
                "watched through their health checks until it does"
            )
        elif problem is None and self.engine_problem is not None:
            self.report("seldon-graphs: the Docker engine answers again")
        self.engine_problem = problem

    async def _check(self, name: str, status: str, exit_code: int | None) -> None:
        node = self.nodes[name]
        if node.state in ("down", "stopped"):
            return
        if status != "running":
            await self._went_down(name, _gone(status, exit_code))
        elif node.state == "starting":
            await self._check_starting(name, node)
        elif node.liveness is not None and time.monotonic() >= node.next_probe:
            await self._check_serving(name, node, node.liveness)

    async def _check_starting(self, name: str, node: Supervised) -> None:
        """Ready once /health/ping answers; down if it does not within the start timeout."""
        address, timeout = self.transport.address(name), self.policy.probe_timeout
        if await probe(self.probes, address, "/health/ping", timeout, None) is None:
            node.state = "ready"
            node.next_probe = time.monotonic() + self.policy.probe_interval
            node.liveness = Liveness(
                self.policy, lambda: self.transport.activity(name), self.transport.timeout
            )
        elif time.monotonic() - node.started > self.policy.start_timeout:
            await self._went_down(name, self._late())

    async def _check_serving(self, name: str, node: Supervised, liveness: Liveness) -> None:
        node.next_probe = time.monotonic() + self.policy.probe_interval
        address, timeout = self.transport.address(name), self.policy.probe_timeout
        problem = await probe(self.probes, address, "/health/status", timeout, None)
        if liveness.record(problem):
            await self._went_down(name, liveness.verdict(problem or ""))

    async def _went_down(self, name: str, problem: str) -> None:
        """Mark the node down, stop what is left of it, report it, schedule its restart."""
        node = self.nodes[name]
        node.state, node.problem = "down", problem
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._kill, name)
        if self._watcher is None:
            return  # in start(), which fails with it: nothing is restarted
        node.restarts += 1
        delay = node.backoff.next(time.monotonic() - node.started)
        node.restart_at = time.monotonic() + delay
        logs = await loop.run_in_executor(None, self._logs, name)
        self.report(
            f"seldon-graphs: node {name!r} {problem}; restarting in {delay:g}s. "
            f"Last log lines:\n{logs}"
        )

    def _kill(self, name: str) -> None:
        with contextlib.suppress(*_engine_errors()):  # gone already, or no engine to ask
            self.containers[name].kill()

    async def _restart(self, name: str) -> None:
        node = self.nodes[name]
        node.state, node.started = "starting", time.monotonic()
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._start_again, name)
        except _engine_errors() as exc:
            node.state, node.problem = "down", f"could not be started again ({exc})"
            node.restart_at = time.monotonic() + node.backoff.next(0.0)

    def _start_again(self, name: str) -> None:
        from docker.errors import NotFound

        container = self.containers[name]
        try:
            container.reload()
        except NotFound:  # removed (`docker rm -f`): made again from its plan, as a pod is
            self._run(self._plans[name])
            return
        container.start()  # its own failures (a network gone: also a 404) are reported

    def kill(self) -> None:
        """Stop now: the containers are removed by close(), which follows."""
        for node in self.nodes.values():
            node.state = "stopped"
        if self._watcher is not None:
            self._watcher.cancel()

    async def close(self) -> None:
        self.kill()
        if self._watcher is not None:
            await asyncio.gather(self._watcher, return_exceptions=True)
        self.probes.close()
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
