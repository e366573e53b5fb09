"""What the golden tests compare, computed the same way by the tests and by regen_golden."""

from __future__ import annotations

import hashlib
from pathlib import Path

from seldon_graphs import api
from seldon_graphs.deployment import (
    Deployment,
    DeploymentAnalysis,
    analyze_deployment_text,
    is_deployment_file,
    is_deployment_text,
    load_deployment,
)

ROOT = Path(__file__).resolve().parent.parent


def compiled_outputs(graph: Path) -> dict[str, str]:
    """`<stem>.yaml`: the manifest; `<stem>.contexts`: each build context's files and hashes.

    A deployment file (graphs/iris-canary.yaml) is compiled as one, contexts and all."""
    loaded: api.Graph | Deployment
    loaded = load_deployment(graph) if is_deployment_file(graph) else api.load(graph)
    lines = []
    for plan in loaded.contexts:
        lines.append(f"{plan.node} {plan.image}")
        for rel, content in plan.files.items():
            lines.append(f"  {hashlib.sha256(content).hexdigest()[:16]} {rel}")
    out = {f"{graph.stem}.yaml": loaded.manifest_yaml()}
    if lines:
        out[f"{graph.stem}.contexts"] = "\n".join(lines) + "\n"
    return out


def bad_graph_output(path: Path) -> str:
    """The text diagnostics for one corpus file, with the path shown as the file's name."""
    text = path.read_text(encoding="utf-8")
    result: api.Analysis | DeploymentAnalysis
    if is_deployment_text(text):
        result = analyze_deployment_text(text, path, display=path.name, root=ROOT)
    else:
        result = api.analyze_text(text, path, display=path.name, root=ROOT)
    status = "ok" if result.ok else "failed"
    return f"{result.render()}\n[{status}]\n"
