"""`promote DEPLOYMENT_FILE CANARY --steps 10,50,100`: move traffic to a canary in steps.

Each step server-side-applies the deployment with only the predictors' `traffic` changed (the
canary at the step's percentage, the other main predictors sharing the rest in their current
proportions), then waits for Available. A step that fails (rejected, not Available in time,
a fatal pod problem) puts the traffic back as it was before the promotion and says why.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import DeployError
from .kube import JsonDict, Kube
from .target import Target
from .wait import Clock, ProgressSink, wait_available

TOTAL = 100
Say = Callable[[str], None]


@dataclass(frozen=True)
class PromoteOptions:
    steps: tuple[int, ...]
    wait: float = 300.0  # seconds for each step to become Available


def shares(predictors: Sequence[JsonDict], canary: str, percent: int) -> dict[str, int]:
    """Traffic per main predictor with `canary` at `percent`: the others share the rest in
    their current proportions (equally when none has any), largest remainders rounded up."""
    others = [p for p in predictors if p.get("shadow") is not True and p["name"] != canary]
    rest = TOTAL - percent
    if not others:
        return {canary: TOTAL}
    weights = [int(p.get("traffic") or 0) for p in others]
    weights = weights if sum(weights) else [1] * len(others)
    exact = [rest * w / sum(weights) for w in weights]
    whole = [int(x) for x in exact]
    by_remainder = sorted(range(len(others)), key=lambda i: exact[i] - whole[i], reverse=True)
    for i in by_remainder[: rest - sum(whole)]:
        whole[i] += 1
    return {canary: percent, **{p["name"]: w for p, w in zip(others, whole, strict=True)}}


def with_traffic(manifest: JsonDict, traffic: dict[str, int]) -> JsonDict:
    out = copy.deepcopy(manifest)
    for p in out["spec"]["predictors"]:
        if p["name"] in traffic:
            p["traffic"] = traffic[p["name"]]
    return out


def check_canary(manifest: JsonDict, canary: str) -> None:
    predictors = {p["name"]: p for p in manifest["spec"]["predictors"]}
    if canary not in predictors:
        raise DeployError(
            f"no predictor named {canary!r} in the deployment (predictors: "
            f"{', '.join(predictors)})",
            "name one of the deployment file's predictors",
        )
    if predictors[canary].get("shadow") is True:
        raise DeployError(
            f"predictor {canary!r} is the shadow: it takes no traffic to promote",
            "promote a main predictor; a shadow only mirrors requests",
        )


def promote(
    kube: Kube,
    target: Target,
    canary: str,
    options: PromoteOptions,
    say: Say,
    progress: ProgressSink = lambda _p: None,
    clock: Clock | None = None,
) -> dict[str, int]:
    """Move the traffic step by step; return the final traffic per predictor."""
    check_canary(target.manifest, canary)
    live = _live(kube, target)
    before = {p["name"]: int(p.get("traffic") or 0) for p in _mains(live)}
    traffic = before
    for step in options.steps:
        traffic = shares(live["spec"]["predictors"], canary, step)
        say(f"step {step}%: traffic {_show(traffic)}")
        try:
            kube.apply_sdep(with_traffic(target.manifest, traffic))
            wait_available(kube, target.namespace, target.name, options.wait, progress, clock)
        except DeployError as err:
            raise _rolled_back(kube, target, before, step, err, say) from None
    return traffic


def _live(kube: Kube, target: Target) -> JsonDict:
    """The deployed object, which must be the file's but for traffic (else deploy first)."""
    live = kube.get_sdep(target.namespace, target.name)
    if live is None:
        raise DeployError(
            f"{target.namespace}/{target.name} is not deployed",
            "deploy the deployment file first; promote moves traffic between its predictors",
        )
    if _untrafficked(live) != _untrafficked(target.manifest):
        raise DeployError(
            f"the deployed {target.namespace}/{target.name} differs from the deployment file "
            "in more than traffic, and promote changes traffic only",
            "see `seldon-graphs diff`; `seldon-graphs deploy` the file first",
        )
    return live


def _untrafficked(sdep: JsonDict) -> list[JsonDict]:
    predictors = copy.deepcopy(sdep.get("spec", {}).get("predictors") or [])
    for p in predictors:
        p.pop("traffic", None)
    return predictors


def _mains(sdep: JsonDict) -> list[JsonDict]:
    return [p for p in sdep["spec"]["predictors"] if p.get("shadow") is not True]


def _rolled_back(
    kube: Kube, target: Target, before: dict[str, int], step: int, err: DeployError, say: Say
) -> DeployError:
    say(f"step {step}% failed; rolling back to {_show(before)}")
    try:
        kube.apply_sdep(with_traffic(target.manifest, before))
    except DeployError as again:
        return DeployError(
            f"step {step}% failed ({err.message}), and so did the roll back: {again.message}",
            "set the traffic by hand: `seldon-graphs deploy` the deployment file",
        )
    return DeployError(
        f"step {step}% failed: {err.message}; the traffic is back to {_show(before)}",
        err.hint,
    )


def _show(traffic: dict[str, int]) -> str:
    return ", ".join(f"{name} {share}%" for name, share in traffic.items())
