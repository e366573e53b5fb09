"""The typed deployment file: one SeldonDeployment, several predictors, each a graph.

Like `spec.GraphSpec`, every value keeps the position it was written at, so the rules in
`deployment.rules` report `file:line:col` without going back to the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..spec import NOWHERE, KeyPositions, Pos


@dataclass(frozen=True)
class Explainer:
    """Seldon's `explainer` block of a predictor: an Alibi explainer served beside it."""

    type: str
    model_uri: str | None = None
    secret: str | None = None  # envSecretRefName: the storage credentials, never a value


@dataclass(frozen=True)
class PredictorSpec(KeyPositions):
    """One entry of `predictors:`. `graph_file` is the path as written, None when inline."""

    name: str
    pos: Pos  # the predictor's name, where it is written as a key
    graph_file: str | None
    traffic: int | None = None
    shadow: bool = False
    replicas: int | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    explainer: Explainer | None = None
    # Its traffic is unknown: written as something else, or maybe under a misspelt key.
    unsure: bool = False
    positions: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)
    keys: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class DeploymentSpec:
    """A whole deployment file, typed. Graph paths inside are relative to `root`."""

    file: Path
    root: Path
    name: str
    namespace: str | None
    predictors: tuple[PredictorSpec, ...]
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    positions: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)
    keys: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)

    def at(self, key: str) -> Pos:
        return self.positions.get(key) or self.positions.get(key.split(".")[0], NOWHERE)

    def key_at(self, key: str) -> Pos:
        return self.keys.get(key) or self.at(key)
