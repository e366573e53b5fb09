"""What Seldon Core v1 knows by name: executor built-ins, prepackaged servers, protocols.

One place for the names the compiler, check-manifest and the runtimes share.
"""

from __future__ import annotations

UNKNOWN_IMPLEMENTATION = "UNKNOWN_IMPLEMENTATION"
# Implementations the executor runs itself, with no container (reference §3).
EXECUTOR_BUILTINS = frozenset(
    {"SIMPLE_MODEL", "SIMPLE_ROUTER", "RANDOM_ABTEST", "AVERAGE_COMBINER"}
)


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
