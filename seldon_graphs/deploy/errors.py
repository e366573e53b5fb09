"""Deploy errors, and the one place where Kubernetes client errors are translated.

    DeployError                 a sentence for the user (`str(err)`), plus an optional hint
    ├── ConfigError             no kubeconfig, unknown context
    ├── UnreachableError        the API server does not answer
    ├── AuthError               401: credentials rejected
    ├── ForbiddenError          403 / access review says no
    ├── OperatorMissingError    the machinelearning.seldon.io API is not served
    ├── RejectedError           422 from the API server or Seldon's webhook (with causes)
    ├── RolloutError            the deployment will not become Available (pods say why)
    └── WaitTimeout             still not Available when --wait ran out

Everything raised from `seldon_graphs.deploy` for a cluster problem is a DeployError; the
commands print it and exit 1. Anything else is a bug and reaches the CLI's internal-error path.
Client errors become DeployErrors in one place: translate.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SeldonGraphsError

KIND_UP = "run `make kind-up` (a local kind cluster with Seldon Core)"


class DeployError(SeldonGraphsError):
    """A problem the user can act on. `hint` is the next step, if we know one."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {self.message}"
        return f"{text}\n  help: {self.hint}" if self.hint else text


class ConfigError(DeployError):
    pass


class UnreachableError(DeployError):
    pass


class AuthError(DeployError):
    pass


class ForbiddenError(DeployError):
    pass


class OperatorMissingError(DeployError):
    def __init__(self) -> None:
        super().__init__(
            "the Seldon Core operator is not installed: run make kind-up",
            "the cluster does not serve machinelearning.seldon.io/v1; install "
            "seldon-core-operator with Helm (scripts/kind-up.sh does it for kind)",
        )


@dataclass(frozen=True)
class Cause:
    """One field error from a 422: `spec.predictors[0].graph[1]: Invalid value: "x": msg`."""

    field: str
    value: str | None
    message: str

    def render(self) -> str:
        value = f' (value "{self.value}")' if self.value is not None else ""
        return f"{self.field}: {self.message}{value}"


class RejectedError(DeployError):
    def __init__(self, message: str, causes: tuple[Cause, ...], hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.causes = causes


class RolloutError(DeployError):
    pass


class WaitTimeout(DeployError):
    pass
