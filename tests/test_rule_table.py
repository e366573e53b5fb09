"""Every diagnostic rule the graph-file pipeline can emit is listed in docs/dsl.md's table.

The rules are found by reading the code (every Reporter call and Diagnostic built in
seldon_graphs/*.py), so a new rule without a line in the table fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Reporting functions and the position of their rule argument (build-context findings
# from seldon_graphs/wrapper become graph diagnostics too).
EMITTERS = {
    "error": 2,
    "warning": 2,
    "graph_error": 2,
    "fail": 2,
    "add": 2,
    "edge_error": 3,
    "Diagnostic": 5,
    "Finding": 1,
}
PACKAGES = ("seldon_graphs", "seldon_graphs/wrapper", "seldon_graphs/deployment")


def _literal_rules(node: ast.expr) -> set[str] | None:
    """Rule ids a rule argument can take; None when it is not written out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literal_rules(node.body), _literal_rules(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def _rule_argument(call: ast.Call) -> ast.expr | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in EMITTERS:
        return None
    index = EMITTERS[name]
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == "rule"), None)


def rules_in_code() -> tuple[dict[str, str], list[str]]:
    """(rule -> first module emitting it, places that pass a rule not written out)."""
    found: dict[str, str] = {}
    unreadable: list[str] = []
    for module in sorted(m for package in PACKAGES for m in (ROOT / package).glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            forwarded = {a.arg for a in func.args.args}
            for call in [n for n in ast.walk(func) if isinstance(n, ast.Call)]:
                arg = _rule_argument(call)
                if arg is None:
                    continue
                rules = _literal_rules(arg)
                if rules is not None:
                    found.update({r: module.name for r in rules if r not in found})
                elif not (isinstance(arg, ast.Name) and arg.id in forwarded):
                    unreadable.append(f"{module.name}:{call.lineno}")
    return found, unreadable


def rules_in_docs() -> set[str]:
    text = (ROOT / "docs" / "dsl.md").read_text(encoding="utf-8")
    section = text.split("## Diagnostics", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {rule for row in rows for rule in re.findall(r"`([a-z0-9-]+)`", row.split("|")[1])}


def test_every_rule_in_the_code_is_in_the_docs_table() -> None:
    found, _ = rules_in_code()
    missing = sorted(f"{rule} ({module})" for rule, module in found.items())
    missing = [m for m in missing if m.split()[0] not in rules_in_docs()]
    assert missing == []


def test_every_rule_in_the_docs_table_is_in_the_code() -> None:
    found, _ = rules_in_code()
    assert sorted(rules_in_docs() - set(found)) == []


def test_rules_are_written_out_where_they_are_reported() -> None:
    """A rule passed as a computed value would escape the two tests above."""
    found, unreadable = rules_in_code()
    assert unreadable == []
    # The reading itself works: the rules of every pipeline stage are found.
    for rule, module in {
        "yaml-syntax": "yamlpos.py",
        "unknown-key": "schema_check.py",
        "flow-syntax": "flowparse.py",
        "cycle": "dataflow.py",
        "join-not-combiner": "lower.py",
        "no-container": "check.py",
        "io": "api.py",
        "encoding": "api.py",
        "secret-in-params": "check.py",
        "secret-in-env": "check.py",
    }.items():
        assert found.get(rule) == module, rule
