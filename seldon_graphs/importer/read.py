"""An input file -> its SeldonDeployments, each with where it sits (YAML or JSON, several
documents, a `kind: List`; v1, v1alpha2 and v1alpha3 as the CRD serves them all)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..diagnostics import Reporter
from ..manifest.check import API_VERSIONS, KIND, _objects, position, report_none_found
from ..manifest.finding import JsonPath
from ..yamlpos import Located, load_documents


@dataclass(frozen=True)
class Found:
    """One SeldonDeployment: its document, its path in it (`items[1]` in a List), itself."""

    root: Located
    prefix: JsonPath
    sdep: dict[str, Any]


def read_deployments(text: str, reporter: Reporter) -> list[Found]:
    """Every SeldonDeployment in `text`; other objects are skipped with a warning, and a
    text without any is an error (as are YAML errors, at their line and column)."""
    found: list[Found] = []
    others: list[str] = []
    for root, prefix, value in _objects(load_documents(text, reporter)):
        kind = value.get("kind")
        if kind != KIND:
            others.append(str(kind))
            reporter.warning(
                position(root, (*prefix, "kind")),
                f"a {kind} is not a SeldonDeployment: skipped",
                "import-skipped",
            )
        elif value.get("apiVersion") not in API_VERSIONS:
            reporter.error(
                position(root, (*prefix, "apiVersion")),
                f"apiVersion `{value.get('apiVersion')}` does not serve {KIND}",
                "api-version",
                "the CRD serves " + ", ".join(API_VERSIONS),
            )
        elif not isinstance(value.get("metadata"), dict) or not value["metadata"].get("name"):
            reporter.error(
                position(root, (*prefix, "metadata")),
                "a SeldonDeployment without `metadata.name`",
                "import-no-name",
                "name it: the graph file is named after it",
            )
        else:
            found.append(Found(root, prefix, value))
    if not found and not reporter.has_errors:
        report_none_found(reporter, others, "import reads")
    return found
