"""One problem found in a SeldonDeployment, addressed by its JSON path into the object."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A problem at `path` (JSON path into the checked object).

    `message` is the bare text; for webhook rules it is Seldon's message verbatim and
    `seldon_path`/`seldon_value` hold the field path and value Seldon reports with it.
    """

    path: JsonPath
    message: str
    rule: str
    severity: str = "error"  # "error" | "warning"
    help: str | None = None
    seldon_path: str | None = None
    seldon_value: Any = None
    on_key: bool = False  # point at the key itself (unknown fields), not at its value

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def seldon_text(self) -> str | None:
        """What the API server prints for this problem, e.g. for `kubectl apply`."""
        if self.seldon_path is None:
            return None
        if self.seldon_value is None:  # the schema's "Required value" and the like
            return f"{self.seldon_path}: {self.message}"
        return f"{self.seldon_path}: Invalid value: {go_quote(self.seldon_value)}: {self.message}"


def go_quote(value: Any) -> str:
    """Go's `%q` for the strings Seldon reports (close enough: JSON escaping)."""
    return json.dumps(value if isinstance(value, str) else str(value), ensure_ascii=False)


def k8s_path(path: JsonPath) -> str:
    """`("spec", "predictors", 0, "graph")` -> `spec.predictors[0].graph`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def webhook_error(name: str, findings: Iterable[Finding]) -> str | None:
    """The whole message the webhook returns (HTTP 422), or None if it would admit the object.

    Mirrors `apierrors.NewInvalid` with Seldon's group typo: one error is printed bare,
    several as `[a, b]` with duplicates removed.
    """
    texts: list[str] = []
    for f in findings:
        text = f.seldon_text
        if f.rule.startswith("webhook-") and text is not None and text not in texts:
            texts.append(text)
    if not texts:
        return None
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return f'SeldonDeployment.machinelearing.seldon.io "{name}" is invalid: {body}'
