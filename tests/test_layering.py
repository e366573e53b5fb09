"""The package's layers, enforced on the import graph (read with ast: nothing is imported).

    0 base      names, positions, diagnostics, the typed models (graph file and SeldonDeployment)
    1 compiler  parse -> check -> flow -> lower -> compile, build contexts, settings
    2 machinery images (Docker), check-manifest, the local runtimes, deploy (Kubernetes)
    3 facade    seldon_graphs.api and the package's lazy exports
    4 CLI       seldon_graphs/cli/: the dispatcher and every `*_commands` module

A module imports only from its own layer or below; runtime and deploy never import each
other; the compiler (layers 0 and 1) imports no docker, kubernetes, aiohttp or seldon_core,
not even lazily inside a function; command-line modules live in `cli/` and nowhere else.
docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "seldon_graphs"
HEAVY = ("docker", "kubernetes", "aiohttp", "seldon_core")
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        (
            "errors",
            "catalog",
            "jsontypes",
            "safety",
            "spec",
            "sdep",
            "scalarpos",
            "yamlpos",
            "diagnostics",
            "blockyaml",
            "servers_catalog",
            "model_versions",
            "schema_quick",
            "tree",
            "nx_import",
            "dist_info",
        ),
        0,
    ),
    **dict.fromkeys(
        (
            "parse",
            "flowparse",
            "schema_check",
            "dataflow",
            "lower",
            "check",
            "compile",
            "emit",
            "compat_check",
            "context_check",
            "explain",
            "picture",
            "settings",
            "wrapper",
            # being written on other branches: scaling, generated server images
            "scaling_check",
            "server_image_check",
            "role_check",
            "generated_servers",
        ),
        1,
    ),
    **dict.fromkeys(
        ("wrapper.images", "engine", "manifest", "runtime", "deploy", "registry", "monitoring"), 2
    ),
    # The facade, and what is built on it (both on other branches: the deployment file's
    # loader mirrors api.load; the importer compiles what it writes to compare).
    **dict.fromkeys(("api", "", "deployment", "importer"), 3),
    "cli": 4,
}
CLI = 4
# Not part of any layer: code that runs inside a built image, where seldon_core is installed
# (smoke: `python3 -I -c`, read as text by wrapper/images.py; runtime.servers: copied into generated
# server images, and run locally; launcher, on another branch: every image's entry point).
IMAGE_SIDE = ("wrapper.smoke", "wrapper.launcher", "runtime.servers")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """The layer of the longest prefix of `module` that LAYERS names."""
    parts = module.split(".")
    if module == "":
        return LAYERS[""]  # the package's own __init__: never a prefix of another module
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"seldon_graphs.{module} is in no layer: add it to LAYERS")


def imports(module: str) -> Iterator[tuple[str, int]]:
    """(what, line) for every import in `module`: a package-relative name for ours
    (`spec`, `deploy.kube`), the top-level name for third-party ones (`docker`)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _ours(alias.name) or alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(package, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}".lstrip(".")
                yield (sub if sub in MODULES else base), node.lineno


def _ours(name: str) -> str | None:
    if name == "seldon_graphs" or name.startswith("seldon_graphs."):
        return name.removeprefix("seldon_graphs").lstrip(".")
    return None


def _resolve(package: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        ours = _ours(node.module or "")
        return ours if ours is not None else (node.module or "").split(".")[0]
    parts = package.split(".") if package else []
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _is_ours(name: str) -> bool:
    return name in MODULES


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        if module not in IMAGE_SIDE:
            layer(module)


@pytest.mark.parametrize("module", [m for m in MODULES if m not in IMAGE_SIDE])
def test_no_upward_imports(module: str) -> None:
    upward = [
        f"line {line}: {name} (layer {layer(name)})"
        for name, line in imports(module)
        if _is_ours(name) and name not in IMAGE_SIDE and layer(name) > layer(module)
    ]
    assert upward == [], f"seldon_graphs.{module} (layer {layer(module)}) imports upward"


@pytest.mark.parametrize("module", [m for m in MODULES if m not in IMAGE_SIDE])
def test_the_compiler_imports_no_engine_client(module: str) -> None:
    if layer(module) > 1:
        return
    heavy = [f"line {line}: {name}" for name, line in imports(module) if name in HEAVY]
    assert heavy == [], f"seldon_graphs.{module} is part of the compiler"


@pytest.mark.parametrize(("side", "other"), [("runtime", "deploy"), ("deploy", "runtime")])
def test_runtime_and_deploy_never_import_each_other(side: str, other: str) -> None:
    found = [
        f"{module} line {line}: {name}"
        for module in MODULES
        if module.split(".")[0] == side
        for name, line in imports(module)
        if name.split(".")[0] == other
    ]
    assert found == []


def is_command_module(module: str) -> bool:
    last = module.rpartition(".")[2]
    return last == "commands" or last.endswith("_commands")


def test_command_modules_live_in_cli() -> None:
    """argparse wiring outside `cli/` would sit in a library layer below the facade it uses."""
    stray = [m for m in MODULES if is_command_module(m) and m.split(".")[0] != "cli"]
    assert stray == []


def test_the_check_sees_what_it_should() -> None:
    """Guards against a check that passes because it reads nothing."""
    found = dict(imports("deploy.kube"))
    assert "kubernetes" in found and "deploy.errors" in found
    assert "sdep" in dict(imports("compile"))
    assert layer("deploy.kube") == 2 and layer("sdep.model") == 0 and layer("") == 3
    assert layer("wrapper.images") == 2 and layer("wrapper.context") == 1
    assert layer("cli.models_commands") == CLI == layer("cli")
    assert is_command_module("importer.commands") and is_command_module("cli.run_commands")
    assert not is_command_module("deploy.kube")
    assert sum(map(is_command_module, MODULES)) >= 6
    with pytest.raises(AssertionError, match="in no layer"):
        layer("brand_new_module")
