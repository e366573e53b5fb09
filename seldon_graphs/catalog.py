"""What Seldon Core v1 knows by name: prepackaged servers, executor built-ins, protocols,
the containers and annotations the operator reserves, and its 63-character name rule.

One place for the names the compiler (spec, check), check-manifest (walk, webhook, rules),
the runtimes and servers_catalog share. Reference: ../shared/reference/seldon_v1.md §2.
"""

from __future__ import annotations

UNKNOWN_IMPLEMENTATION = "UNKNOWN_IMPLEMENTATION"

# Graph-file spelling -> Seldon implementation name.
SERVERS: dict[str, str] = {
    "sklearn": "SKLEARN_SERVER",
    "xgboost": "XGBOOST_SERVER",
    "mlflow": "MLFLOW_SERVER",
    "tensorflow": "TENSORFLOW_SERVER",
    "triton": "TRITON_SERVER",
    "huggingface": "HUGGINGFACE_SERVER",
    "tempo": "TEMPO_SERVER",
}
# Prepackaged servers: which protocols have an image (reference §2.5).
SERVER_PROTOCOLS: dict[str, tuple[str, ...]] = {
    "SKLEARN_SERVER": ("seldon", "v2"),
    "XGBOOST_SERVER": ("seldon", "v2"),
    "MLFLOW_SERVER": ("seldon", "v2"),
    "TENSORFLOW_SERVER": ("seldon", "tensorflow"),
    "TRITON_SERVER": ("v2",),
    "HUGGINGFACE_SERVER": ("v2",),
    "TEMPO_SERVER": ("v2",),
}
# The keys of `predictor_servers` in the seldon-config ConfigMap as the Helm chart installs it.
DEFAULT_SERVERS = frozenset(SERVER_PROTOCOLS)
# Servers the webhook refuses under the tensorflow protocol.
NO_TENSORFLOW = frozenset(
    {"SKLEARN_SERVER", "XGBOOST_SERVER", "MLFLOW_SERVER", "HUGGINGFACE_SERVER"}
)

# Graph-file spelling -> implementations the executor runs itself, with no container.
BUILTINS: dict[str, str] = {
    "random-abtest": "RANDOM_ABTEST",
    # Java-engine leftovers the Go executor does not implement; accepted with a warning.
    "average-combiner": "AVERAGE_COMBINER",
    "simple-model": "SIMPLE_MODEL",
    "simple-router": "SIMPLE_ROUTER",
}
EXECUTOR_BUILTINS = frozenset(BUILTINS.values())
UNIMPLEMENTED_BUILTINS = ("AVERAGE_COMBINER", "SIMPLE_MODEL", "SIMPLE_ROUTER")

# Servers with an image for the v2 protocol only.
V2_ONLY = frozenset(impl for impl, protocols in SERVER_PROTOCOLS.items() if protocols == ("v2",))

# PredictiveUnit types and methods as the CRD spells them.
UNIT_TYPES = ("MODEL", "ROUTER", "COMBINER", "TRANSFORMER", "OUTPUT_TRANSFORMER", "UNKNOWN_TYPE")
UNIT_METHODS = ("TRANSFORM_INPUT", "TRANSFORM_OUTPUT", "ROUTE", "AGGREGATE", "SEND_FEEDBACK")
ENDPOINT_TYPES = ("REST", "GRPC")
LOGGER_MODES = ("all", "request", "response")

# What a graph file may choose; the webhook also accepts `kfserving` (read as v2).
PROTOCOLS = ("seldon", "v2", "tensorflow")
SELDON_PROTOCOLS = ("seldon", "tensorflow", "kfserving", "v2")
TRANSPORTS = ("rest", "grpc")
V2_PROTOCOLS = frozenset({"v2", "kfserving"})
SERVER_TYPES = ("rpc", "kafka")
PARAM_TYPES = ("INT", "FLOAT", "DOUBLE", "STRING", "BOOL")

# Containers the operator adds to pods itself (reference §2.2, §2.5).
ENGINE_CONTAINER = "seldon-container-engine"
TFSERVING_CONTAINER = "tfserving"
INITIALIZER_SUFFIX = "-model-initializer"

# Annotations with a meaning to the operator.
NO_ENGINE = "seldon.io/no-engine"  # a predictor annotation
SVC_NAME = "seldon.io/svc-name"  # a predictor annotation
SEPARATE_ENGINE = "seldon.io/engine-separate-pod"  # a spec annotation

# Labels and Service names hold at most 63 characters; the operator replaces any longer
# derived name with `seldon-<md5 hex of it>` (`GetSeldonDeploymentName`, `GetContainerServiceName`).
NAME_LIMIT = 63


def hashed(name: str) -> str:
    """`name`, or the `seldon-<md5>` the operator uses instead of one over 63 characters."""
    if len(name) <= NAME_LIMIT:
        return name
    import hashlib  # here: OpenSSL's load is 3 ms of every start-up, and few names are long

    return "seldon-" + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()


def is_prepack(implementation: str | None) -> bool:
    """Seldon's `IsPrepack`: a non-empty implementation that is not an executor built-in."""
    impl = implementation or ""
    return impl != "" and impl not in EXECUTOR_BUILTINS and impl != UNKNOWN_IMPLEMENTATION


def needs_container(implementation: str | None) -> bool:
    """Nodes the operator runs in a container named after them (all but built-ins)."""
    return (
        implementation is None
        or implementation == UNKNOWN_IMPLEMENTATION
        or is_prepack(implementation)
    )
