"""A token service for the distribution registry's `auth: token` mode, as Docker Hub and
GHCR run one: GET /token with basic auth answers a JWT (ES256) granting the scopes asked for.

This is a test double of a service we cannot run here; the registry that checks its tokens
(signature against the certificate bundle, issuer, audience, expiry, access) is the real one.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

ISSUER = "seldon-graphs-test-issuer"
SERVICE = "seldon-graphs-test-registry"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(key: ec.EllipticCurvePublicKey) -> str:
    """The key ID distribution looks tokens' `kid` up by (docker/libtrust's format)."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


class TokenIssuer:
    def __init__(self, folder: Path, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.bundle = folder / "token-ca.pem"
        self.bundle.write_bytes(self._certificate().public_bytes(serialization.Encoding.PEM))
        self.asked: list[dict[str, list[str]]] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the request line holds no secret, but nothing needs it

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def config(self) -> str:
        """The registry's `auth:` section."""
        return (
            f"auth:\n  token:\n    realm: {self.realm}\n    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n    rootcertbundle: {self.bundle}\n"
        )

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlparse(request.path).query)
        self.asked.append(query)
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            request.send_response(401)
            request.end_headers()
            return
        token = self._token(query.get("scope", []))
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _token(self, scopes: list[str]) -> str:
        now = int(time.time())
        access = []
        for scope in " ".join(scopes).split():
            kind, name, actions = (
                scope.split(":")[0],
                ":".join(scope.split(":")[1:-1]),
                scope.split(":")[-1],
            )
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        claims = {
            "iss": ISSUER, "sub": self.user, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
            "iat": now, "jti": secrets.token_hex(8), "access": access,
        }  # fmt: skip
        header = {"typ": "JWT", "alg": "ES256", "kid": libtrust_key_id(self.key.public_key())}
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        der = self.key.sign(signing.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def _certificate(self) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
