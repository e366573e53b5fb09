"""The registry HTTP API (v2, the CNCF distribution API), asked directly: is it there, do our
credentials work, and which digest does a tag hold.

    access = connect("127.0.0.1:5000", credentials, insecure=True)   # pings /v2/
    access.manifest_digest("team/income-label", "0123abcd4567")      # "sha256:..." or None

`connect` answers before any build starts, the way the Docker engine will talk to the
registry: HTTPS first; plain HTTP only for a registry the engine treats as insecure
(`insecure-registries`, and 127.0.0.0/8 by default). Basic and Bearer-token challenges are
both answered. Every failure is a RegistryError naming the registry and the fix; the 5xx
answers and dropped connections are marked transient and tried again a few times.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from .credentials import DOCKER_HUB, Credentials
from .errors import RegistryError

TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
ATTEMPTS = 3  # for 5xx answers and dropped connections
BACKOFF = 0.5  # seconds, doubled after each failed attempt
_HUB_ENDPOINT = "registry-1.docker.io"
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
_SSL = re.compile(r"\[SSL(?:: [A-Z_]+)?\] ([^(]+)")
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def endpoint(host: str) -> str:
    return _HUB_ENDPOINT if host == DOCKER_HUB else host


def engine_insecure(registry_config: Mapping[str, Any], host: str) -> bool:
    """Whether the Docker engine talks plain HTTP to `host` (its `RegistryConfig` from
    `docker info`): a listed index says so itself; else any address of the host inside
    InsecureRegistryCIDRs (127.0.0.0/8 by default) makes it insecure, as in the engine."""
    index = (registry_config.get("IndexConfigs") or {}).get(host)
    if isinstance(index, dict):
        return not index.get("Secure", True)
    networks = [
        ipaddress.ip_network(cidr, strict=False)
        for cidr in registry_config.get("InsecureRegistryCIDRs") or []
    ]
    return any(address in net for address in _addresses(host) for net in networks)


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    try:
        return [ipaddress.ip_address(name)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@dataclass
class Access:
    """A registry that answered, with the scheme and credentials that worked."""

    host: str
    scheme: str
    credentials: Credentials | None
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    insecure_tls: bool = False  # HTTPS without verifying, as the engine does when insecure
    _headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def base(self) -> str:
        return f"{self.scheme}://{endpoint(self.host)}"

    def ping(self) -> None:
        """GET /v2/ with the credentials: RegistryError unless the registry lets us in."""
        self._authorized("GET", "/v2/", {})

    def manifest_digest(self, repository: str, tag: str) -> str | None:
        """The digest the registry serves for `repository:tag` (no host), None if no such tag."""
        answer = self._authorized(
            "HEAD", f"/v2/{repository}/manifests/{tag}", {"Accept": MANIFEST_TYPES}, missing=True
        )
        if answer is None:
            return None
        digest = answer.headers.get("Docker-Content-Digest")
        if not digest:
            raise RegistryError(
                f"registry {self.host} answered no Docker-Content-Digest for {repository}:{tag}",
                "is it a Docker distribution (v2) registry?",
            )
        return str(digest)

    def speaks_http(self) -> bool:
        """Whether a registry answers GET /v2/ here at all (any status but a 400, which is
        what a TLS server says to plain HTTP)."""
        try:
            answer = self.session.get(self.base + "/v2/", timeout=TIMEOUT)
        except requests.RequestException:
            return False
        return "Docker-Distribution-Api-Version" in answer.headers or answer.status_code in (
            200,
            401,
        )

    def _authorized(
        self, method: str, path: str, headers: dict[str, str], missing: bool = False
    ) -> requests.Response | None:
        answer = self._send(method, path, headers)
        if answer.status_code == 401:
            self._answer_challenge(answer)
            answer = self._send(method, path, headers)
            if answer.status_code == 401:
                raise self._refused()
        if missing and answer.status_code == 404:
            return None
        if answer.status_code == 404 and path == "/v2/":
            raise RegistryError(
                f"{self.base}/v2/ is not a container registry (404)",
                "check the registry setting: it is host[:port]/path of a Docker registry",
            )
        if answer.status_code >= 400:
            raise RegistryError(
                f"registry {self.host} answered {method} {path} with {answer.status_code}",
                "try again later, or check the registry's own log",
                transient=answer.status_code >= 500,
            )
        return answer

    def _send(self, method: str, path: str, headers: dict[str, str]) -> requests.Response:
        """One request, tried again on 5xx answers and dropped connections."""
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = self.session.request(
                    method,
                    self.base + path,
                    headers={**headers, **self._headers},
                    timeout=TIMEOUT,
                    verify=self.scheme == "https" and not self.insecure_tls,
                    allow_redirects=True,
                )
            except requests.exceptions.SSLError as exc:
                raise TlsFailed(
                    f"the TLS handshake with {self.host} failed: {_reason(exc)}"
                ) from None
            except requests.ConnectionError as exc:
                if attempt == ATTEMPTS:
                    raise unreachable(self.host, exc) from None
            else:
                if answer.status_code < 500 or attempt == ATTEMPTS:
                    return answer
            self.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _answer_challenge(self, answer: requests.Response) -> None:
        scheme, params = parse_challenge(answer.headers.get("WWW-Authenticate", ""))
        if self.credentials is None and scheme != "bearer":
            raise needs_credentials(self.host)
        if scheme == "basic":
            assert self.credentials is not None
            self._headers = {"Authorization": "Basic " + self.credentials.auth()}
        elif scheme == "bearer":
            self._headers = {"Authorization": "Bearer " + self._token(params)}
        else:
            raise RegistryError(
                f"registry {self.host} asks for {scheme or 'an unknown'} authentication, "
                "which seldon-graphs cannot answer",
                "use a registry with Basic or token (Bearer) authentication",
            )

    def _token(self, params: Mapping[str, str]) -> str:
        realm = params.get("realm")
        if not realm:
            raise RegistryError(f"registry {self.host} sent a Bearer challenge without a realm")
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        auth = (self.credentials.username, self.credentials.password) if self.credentials else None
        try:
            answer = self.session.get(realm, params=query, auth=auth, timeout=TIMEOUT)
        except requests.ConnectionError as exc:
            raise unreachable(realm, exc) from None
        if answer.status_code == 401:
            raise self._refused() if self.credentials else needs_credentials(self.host)
        if answer.status_code >= 400:
            raise RegistryError(
                f"the token service {realm} of registry {self.host} answered {answer.status_code}",
                transient=answer.status_code >= 500,
            )
        body = answer.json()
        return str(body.get("token") or body.get("access_token") or "")

    def _refused(self) -> RegistryError:
        if self.credentials is None:
            return needs_credentials(self.host)
        return RegistryError(
            f"registry {self.host} refused the credentials from {self.credentials.source} "
            "(wrong user name or password, or no access)",
            f"log in again (`docker login {self.host}`) or fix --registry-auth-file",
        )


class TlsFailed(RegistryError):
    """HTTPS failed at the handshake: a plain-HTTP registry, or a certificate not trusted."""


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="...",service="..."` -> ("bearer", {...})."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE.findall(rest))


def needs_credentials(host: str) -> RegistryError:
    return RegistryError(
        f"registry {host} needs credentials, and none are configured for it",
        f"log in with `docker login {host}` (it writes ~/.docker/config.json), or pass "
        "--registry-auth-file FILE (same format)",
    )


def unreachable(host: str, exc: Exception) -> RegistryError:
    setting = "--registry, SELDON_GRAPHS_REGISTRY, seldon-graphs.toml or `registry:`"
    hint = (
        f"an image name without a registry host means Docker Hub: set one ({setting}), "
        "e.g. --registry registry.example.com/team"
        if host == DOCKER_HUB
        else f"start it, or check the registry setting ({setting})"
    )
    return RegistryError(f"no registry answers at {host}: {_reason(exc)}", hint, transient=True)


def _reason(exc: Exception) -> str:
    text = str(exc)
    if ssl := _SSL.search(text):
        return ssl.group(1).strip()
    for marker in ("Connection refused", "Name or service not known", "timed out", "reset"):
        if marker.lower() in text.lower():
            return marker.lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def connect(
    host: str,
    credentials: Credentials | None,
    insecure: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> Access:
    """Ping `host` as the engine will talk to it; the Access that worked, or RegistryError."""
    access = Access(host, "https", credentials, sleep=sleep, insecure_tls=insecure)
    try:
        access.ping()
        return access
    except TlsFailed as err:
        handshake = err
    plain = Access(host, "http", credentials, sleep=sleep)
    if not plain.speaks_http():
        raise RegistryError(
            handshake.message,
            f"trust the registry's certificate: put its CA in /etc/docker/certs.d/{host}/ca.crt "
            "and in the system's CA store",
        )
    if insecure:
        plain.ping()
        return plain
    raise RegistryError(
        f"registry {host} answers plain HTTP, but the Docker engine talks HTTPS to it",
        f'serve the registry with TLS, or add "{host}" to "insecure-registries" in '
        "/etc/docker/daemon.json and restart dockerd (127.0.0.0/8 is insecure by default)",
    )
