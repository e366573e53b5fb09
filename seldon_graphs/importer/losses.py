"""What an import could not carry over: one `Loss` per field, at its path in the manifest.

A loss is *semantic* when the compiled manifest would run differently without the field
(a volume, a probe, the executor's env); otherwise it is cosmetic (the deprecated
`spec.name`, names the operator derives, values the operator fills in again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..manifest.finding import JsonPath


@dataclass(frozen=True)
class Loss:
    path: JsonPath
    message: str
    semantic: bool = True


@dataclass
class Losses:
    """Losses of one SeldonDeployment; `prefix` is where it sits in its file (`items[2]`)."""

    prefix: JsonPath = ()
    items: list[Loss] = field(default_factory=list)

    def drop(self, path: JsonPath, why: str = "not expressible, dropped") -> None:
        self.items.append(Loss((*self.prefix, *path), why))

    def cosmetic(self, path: JsonPath, why: str) -> None:
        self.items.append(Loss((*self.prefix, *path), why, semantic=False))

    def drop_extra(self, obj: dict[str, Any], path: JsonPath, known: frozenset[str]) -> None:
        """Every key of `obj` outside `known` is a semantic loss (in written order)."""
        for key in obj:
            if key not in known:
                self.drop((*path, key))

    @property
    def semantic(self) -> list[Loss]:
        return [item for item in self.items if item.semantic]


def dotted(path: JsonPath) -> str:
    """`spec.predictors[0].componentSpecs[0].spec.volumes`, as kubectl names fields."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class Inexpressible(Exception):
    """A part of the manifest no graph file can say (a node with two children that is not a
    combiner or router, a custom server...): the predictor cannot be imported."""

    def __init__(self, path: JsonPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
