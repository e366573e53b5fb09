"""Tie the checks together: the CRD schema, Seldon's webhook, our extra rules; then positions.

`check_object` works on a plain dict (what the compiler produces); `check_text` on a file's
text, with every finding placed at `file:line:col` of the exact key or value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..catalog import DEFAULT_SERVERS
from ..diagnostics import Diagnostic, Reporter, Severity, did_you_mean, finalize
from ..spec import Pos
from ..yamlpos import LMap, Located, LScalar, LSeq, load_documents
from . import crd, rules, webhook
from .finding import Finding, JsonPath
from .walk import predictors

GROUP = "machinelearning.seldon.io"
KIND = "SeldonDeployment"
API_VERSIONS = tuple(f"{GROUP}/{v}" for v in ("v1", "v1alpha2", "v1alpha3"))
# Extra rules that restate what the CRD check already reported at the same place.
_SCHEMA_OVERLAP = {"parameter-value": "crd-type", "missing-graph": "crd-required"}


def check_object(
    sdep: dict[str, Any],
    *,
    crd_schema: dict[str, Any] | None = None,
    servers: Iterable[str] = DEFAULT_SERVERS,
) -> list[Finding]:
    """Every problem in one SeldonDeployment: CRD schema (if given), webhook, extra rules.

    `servers` are the keys of the operator's `predictor_servers` (add custom servers here).
    Each group keeps its own order (Seldon's order for the webhook).
    """
    schema_findings = crd.validate(sdep, crd_schema) if crd_schema is not None else []
    covered = {(f.rule, f.path) for f in schema_findings}
    extra = [f for f in rules.check(sdep) if (_SCHEMA_OVERLAP.get(f.rule), f.path) not in covered]
    hook = [f for f in webhook.validate(sdep, servers) if not _graphless(sdep, f)]
    return [*schema_findings, *hook, *extra]


def _graphless(sdep: dict[str, Any], f: Finding) -> bool:
    """A webhook error about a predictor's missing graph: `missing-graph` says it better
    (and the API server's schema check stops such an object before the webhook sees it)."""
    if f.rule != "webhook-container" or f.path[:2] != ("spec", "predictors"):
        return False
    preds, i = predictors(sdep), f.path[2]
    return isinstance(i, int) and i < len(preds) and not isinstance(preds[i].get("graph"), dict)


def check_text(
    text: str,
    file: str,
    *,
    crd_schema: dict[str, Any] | None = None,
    servers: Iterable[str] = DEFAULT_SERVERS,
) -> list[Diagnostic]:
    """Check every SeldonDeployment in a YAML/JSON text (several documents, or a `kind: List`).

    Other kinds are skipped; a file with no SeldonDeployment at all is an error.
    """
    reporter = Reporter(file)
    # yamlpos reports self-containing anchors and absurd nesting instead of recursing.
    objects = list(_objects(load_documents(text, reporter)))
    out: list[Diagnostic] = []
    checked = 0
    kinds: list[str] = []
    for root, prefix, value in objects:
        kind = value.get("kind")
        if kind != KIND:
            kinds.append(str(kind))
            _near_miss(reporter, root, prefix, kind)
            continue
        checked += 1
        _api_version(reporter, root, prefix, value)
        for f in check_object(value, crd_schema=crd_schema, servers=servers):
            out.append(to_diagnostic(f, file, root, (*prefix, *f.path)))
    if not checked and not reporter.items:
        report_none_found(reporter, kinds, "check-manifest checks")
    return finalize([*reporter.items, *out])


def report_none_found(reporter: Reporter, kinds: list[str], reader: str) -> None:
    """A text with no SeldonDeployment: one error at its start naming the kinds it has."""
    seen = f" (found: {', '.join(kinds)})" if kinds else ""
    reporter.error(
        Pos(1, 1, 2),
        f"no SeldonDeployment in this file{seen}",
        "not-a-seldondeployment",
        f"{reader} objects with `apiVersion: {API_VERSIONS[0]}` and `kind: {KIND}`",
    )


def _objects(docs: list[Located]) -> Iterator[tuple[Located, JsonPath, dict[str, Any]]]:
    """(document root, path prefix, plain object) for each object, `kind: List` items included."""
    for root in docs:
        value = root.plain()
        if not isinstance(value, dict):
            continue
        items = value.get("items")
        if (
            isinstance(value.get("kind"), str)
            and value["kind"].endswith("List")
            and isinstance(items, list)
        ):
            for k, item in enumerate(items):
                if isinstance(item, dict):
                    yield root, ("items", k), item
        else:
            yield root, (), value


def _near_miss(reporter: Reporter, root: Located, prefix: JsonPath, kind: Any) -> None:
    if isinstance(kind, str) and kind and did_you_mean(kind, [KIND]):
        reporter.error(
            position(root, (*prefix, "kind")),
            f"kind `{kind}` is not {KIND}: this object is not checked",
            "kind",
            f"did you mean `{KIND}`?",
        )


def _api_version(
    reporter: Reporter, root: Located, prefix: JsonPath, value: dict[str, Any]
) -> None:
    api = value.get("apiVersion")
    if api not in API_VERSIONS:
        reporter.error(
            position(root, (*prefix, "apiVersion")),
            f"apiVersion `{api}` does not serve {KIND}" if api else "apiVersion is missing",
            "api-version",
            f"use `apiVersion: {API_VERSIONS[0]}`",
        )


def to_diagnostic(f: Finding, file: str, root: Located, path: JsonPath) -> Diagnostic:
    """A Finding placed in the source: message as the API server would print it, if it would."""
    pos = position(root, path, on_key=f.on_key)
    severity = Severity.ERROR if f.is_error else Severity.WARNING
    end = pos.end_col if pos.end_col > pos.col else pos.col + 1
    return Diagnostic(
        file, pos.line, pos.col, severity, f.seldon_text or f.message, f.rule, end, f.help
    )


def position(root: Located, path: JsonPath, *, on_key: bool = False) -> Pos:
    """The exact token for `path`: a scalar value, or the key of a mapping/list value.

    For a path that does not exist (a missing field) it is the deepest part that does.
    """
    node: Located = root
    key: LScalar | None = None
    for part in path:
        if isinstance(node, LMap) and isinstance(part, str) and node.get(part) is not None:
            key, node = node.key(part), node.get(part)  # type: ignore[assignment]
        elif isinstance(node, LSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            key, node = None, node.items[part]
        else:
            return key.pos if key is not None else _first_line(node)
    if key is not None and (on_key or not isinstance(node, LScalar)):
        return key.pos
    return node.pos if isinstance(node, LScalar) else _first_line(node)


def _first_line(node: Located) -> Pos:
    """A mapping/list: its first key or item, which is what the eye finds."""
    if isinstance(node, LMap) and node.entries:
        return node.entries[0][0].pos
    if isinstance(node, LSeq) and node.items:
        return (
            _first_line(node.items[0])
            if not isinstance(node.items[0], LScalar)
            else node.items[0].pos
        )
    return node.pos
