"""Image settings: one precedence (flag > env > seldon-graphs.toml > graph file > default),
seen the same way by compile, build/dockerfile, deploy and diff."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from seldon_graphs import api
from seldon_graphs.cli import build_parser, main
from seldon_graphs.cli.graphs import load_graph
from seldon_graphs.deploy.target import load_target
from seldon_graphs.settings import ENV, Flags, registry_problem, resolve

FIXTURE = Path(__file__).parent / "wrapper" / "fixtures" / "project"
GRAPH_KEYS = "registry: graph.example/ml\n"
GRAPH_KEYS += "runtime: {base_image: graph/base:1, seldon_core: 1.17.0}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the wrapper fixture project, with no image settings in the environment."""
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(FIXTURE, tmp_path / "p")
    return tmp_path / "p"


def _graph(project: Path, extra: str = "") -> Path:
    graph = project / "graph.yaml"
    graph.write_text(graph.read_text() + extra)
    return graph


def _toml(project: Path, body: str) -> None:
    (project / "seldon-graphs.toml").write_text(body)


ALL_TOML = '[images]\nregistry = "toml.example/ml"\nbase_image = "toml/base:1"\n'
ALL_TOML += 'seldon_core = "1.17.0"\n'


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ([], {"registry": (None, "default"), "base_image": ("python:3.11-slim", "default")}),
        (["graph"], {"registry": ("graph.example/ml", "graph file")}),
        (["graph", "toml"], {"registry": ("toml.example/ml", "seldon-graphs.toml")}),
        (["toml"], {"base_image": ("toml/base:1", "seldon-graphs.toml")}),
        (["graph", "toml", "env"], {"registry": ("env.example/ml", "SELDON_GRAPHS_REGISTRY")}),
        (["graph", "toml", "env", "flag"], {"registry": ("flag.example/ml", "--registry")}),
        (["graph", "flag"], {"base_image": ("flag/base:1", "--base-image")}),
        (["env"], {"seldon_core": ("1.18.2", "SELDON_GRAPHS_SELDON_CORE")}),
        (["toml", "env"], {"base_image": ("env/base:1", "SELDON_GRAPHS_BASE_IMAGE")}),
    ],
)
def test_precedence(
    project: Path, monkeypatch: pytest.MonkeyPatch, layers: list[str], expected: dict[str, tuple]
) -> None:
    graph = _graph(project, GRAPH_KEYS if "graph" in layers else "")
    if "toml" in layers:
        _toml(project, ALL_TOML)
    if "env" in layers:
        monkeypatch.setenv("SELDON_GRAPHS_REGISTRY", "env.example/ml")
        monkeypatch.setenv("SELDON_GRAPHS_BASE_IMAGE", "env/base:1")
        monkeypatch.setenv("SELDON_GRAPHS_SELDON_CORE", "1.18.2")
    flags = Flags("flag.example/ml", "flag/base:1", None) if "flag" in layers else None
    raw = api.analyze(graph)  # settings are already applied by analyze: resolve the parse
    assert raw.spec is not None
    chosen = resolve(raw.spec, flags)
    for key, (value, source) in expected.items():
        assert (chosen[key].value, chosen[key].source) == (value, source)
    spec = api.load(graph, flags).spec
    got = {"registry": spec.registry, **vars(spec.runtime)}
    assert {k: got[k] for k in expected} == {k: v for k, (v, _) in expected.items()}


def test_an_empty_environment_variable_counts_as_unset(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELDON_GRAPHS_REGISTRY", "")
    assert api.load(_graph(project, GRAPH_KEYS)).spec.registry == "graph.example/ml"


def _images(lines: str) -> dict[str, str]:
    manifest = yaml.safe_load(lines)
    spec = manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    return {c["name"]: c["image"] for c in spec["containers"]}


def _compile_images(graph: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["compile", str(graph), "--stdout", *argv]) == 0
    return _images(capsys.readouterr().out)


def _deploy_images(graph: Path, argv: list[str]) -> dict[str, str]:
    args = build_parser().parse_args(["deploy", str(graph), *argv])
    flags = Flags.from_args(args)
    target = load_target(args.graph, lambda file: load_graph(file, flags))  # as `deploy` does
    return _images(yaml.safe_dump(target.manifest))


def _diff_flags(graph: Path, argv: list[str]) -> Flags:
    return Flags.from_args(build_parser().parse_args(["diff", str(graph), *argv]))


def _build_plan_images(graph: Path, argv: list[str]) -> dict[str, str]:
    """What `build` would build: the same loader and flags as `seldon-graphs build`."""
    from seldon_graphs.wrapper.context import plan_graph

    args = build_parser().parse_args(["build", str(graph), *argv])
    loaded = load_graph(args.graph, Flags.from_args(args))
    return {p.node: p.image for p in plan_graph(loaded.spec, loaded.tree)}


@pytest.mark.parametrize("source", ["graph", "toml", "env", "flag"])
def test_compile_build_and_deploy_name_the_same_images(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
) -> None:
    registry, base = "probe.example:5000/sg", "probe/base:bookworm"
    graph = _graph(
        project, f"registry: {registry}\nruntime: {{base_image: {base}}}\n" * (source == "graph")
    )
    if source == "toml":
        _toml(project, f'[images]\nregistry = "{registry}"\nbase_image = "{base}"\n')
    if source == "env":
        monkeypatch.setenv("SELDON_GRAPHS_REGISTRY", registry)
        monkeypatch.setenv("SELDON_GRAPHS_BASE_IMAGE", base)
    argv = ["--registry", registry, "--base-image", base] if source == "flag" else []
    compiled = _compile_images(graph, argv, capsys)
    assert set(compiled.values()) == set(_build_plan_images(graph, argv).values())
    assert compiled == _deploy_images(graph, argv)
    assert _diff_flags(graph, argv) == (Flags(registry, base) if argv else Flags())
    assert all(image.startswith(f"{registry}/wrapped-") for image in compiled.values())
    assert "FROM probe/base:bookworm" in _dockerfile(graph, argv, capsys)


def _dockerfile(graph: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["dockerfile", str(graph), "double", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ("Registry.Example.com/ml", "write `registry.example.com/ml`"),
        ("registry.example.com/ML", "write `registry.example.com/ml`"),
        ("LOCALHOST:5000", "write `localhost:5000`"),
        ("registry.example.com/ml:v1", "no tag"),
        ("registry.example.com/ml\nRUN id", "not an image repository prefix"),
        ("-registry", "not an image repository prefix"),
    ],
)
def test_bad_registries_are_refused_with_the_fix(registry: str, message: str) -> None:
    why = registry_problem(registry)
    assert why is not None and message in why


@pytest.mark.parametrize("command", ["compile", "build", "dockerfile", "deploy"])
def test_an_upper_case_registry_is_an_error_not_a_traceback(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    monkeypatch.setenv("SELDON_GRAPHS_REGISTRY", "Registry.Example.com/ml")
    argv = [command, str(_graph(project)), *(["double"] if command == "dockerfile" else [])]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "SELDON_GRAPHS_REGISTRY: registry `Registry.Example.com/ml` has upper" in err
    assert "Traceback" not in err
    assert main([*argv, "--registry", "Registry.Example.com/ml"]) == 1
    assert "--registry: registry `Registry.Example.com/ml`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("[images]\nregistry = 'a'\nbase_imag = 'x'\n", ":3:1:", "unknown key `base_imag`"),
        ("[images]\nregistry = 5\n", ":2:1:", "registry must be a string"),
        ("[images]\nregistry = \n", ":2:12:", "Invalid value"),
        ("images = 'x'\n", ":1:1:", "[images] must be a table"),
        ("[images]\n\nbase_image = 'bad image'\n", ":3:1:", "not a valid image reference"),
        ("[images]\nseldon_core = 'one'\n", ":2:1:", "is not a version number"),
    ],
)
def test_config_file_errors_point_into_it(
    project: Path, capsys: pytest.CaptureFixture[str], body: str, where: str, message: str
) -> None:
    _toml(project, body)
    assert main(["compile", str(_graph(project)), "--stdout", "--format", "json"]) == 1
    (diagnostic,) = json.loads(capsys.readouterr().err)
    assert diagnostic["file"].endswith("seldon-graphs.toml")
    assert f":{diagnostic['line']}:{diagnostic['column']}:" == where
    assert message in diagnostic["message"]
    assert diagnostic["rule"] == "settings"


def test_a_bad_flag_is_reported_from_the_command_line_not_the_graph_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was reported at the graph file's 1:1, under its first line, as if the file had it."""
    graph = str(_graph(project))
    assert main(["compile", graph, "--stdout", "--seldon-core", "1.16.0"]) == 1
    assert capsys.readouterr().err == (
        "command line: error: --seldon-core: seldon-core `1.16.0` is not supported [settings]\n"
        "  help: use 1.17.x (Apache-2.0, the default 1.17.1), or 1.18.x / 1.19.x (Business "
        "Source License 1.1)\n\n"
        "1 error, 0 warnings\n"
    )


def test_a_bad_variable_is_reported_from_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV["base_image"], "python:3.11 slim")
    assert main(["compile", str(_graph(project)), "--stdout", "--format", "json"]) == 1
    (diagnostic,) = json.loads(capsys.readouterr().err)
    assert (diagnostic["file"], diagnostic["line"], diagnostic["column"]) == ("environment", 0, 0)
    assert diagnostic["message"] == (
        f"{ENV['base_image']}: `python:3.11 slim` is not a valid image reference "
        "(registry/name:tag)"
    )


def test_an_unsupported_release_in_the_config_file_points_into_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _toml(project, "[images]\n\nseldon_core = '1.20.0'\n")
    assert main(["compile", str(_graph(project)), "--stdout", "--format", "json"]) == 1
    (diagnostic,) = json.loads(capsys.readouterr().err)
    assert diagnostic["file"].endswith("seldon-graphs.toml")
    assert (diagnostic["line"], diagnostic["column"]) == (3, 1)
    assert diagnostic["message"] == (
        "seldon-graphs.toml `seldon_core`: seldon-core `1.20.0` is not supported"
    )
    assert diagnostic["help"].startswith("use 1.17.x")
