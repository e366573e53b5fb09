"""The public pipeline: load -> check -> flow -> lower -> compile, for the CLI and for users.

graph = seldon_graphs.load("graphs/income.yaml")     # raises GraphError on problems
graph.manifest()                                      # the SeldonDeployment, as a dict
graph.compile("build/")                               # manifest + wrapper build contexts
graph.with_nodes(lr=FakeModel()).predict({"data": {"ndarray": [[1, 2]]}})
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import (
    check,
    compat_check,
    context_check,
    dataflow,
    diagnostics,
    emit,
    lower,
    role_check,
    scaling_check,
    settings,
)
from . import compile as compiler
from . import parse as parser
from .diagnostics import Diagnostic, Reporter
from .errors import SeldonGraphsError
from .spec import GraphSpec
from .tree import TreeNode

if TYPE_CHECKING:
    from .runtime.inprocess import InProcessGraph
    from .wrapper.context import ContextPlan

MANIFEST_FILE = "seldondeployment.yaml"


def _engine_image_id(ref: str) -> str:
    """engine.image_id, imported on the first question: `validate` asks none, so it does
    not import the engine's HTTP client (http.client, ssl, socket)."""
    from . import engine

    return engine.image_id(ref)


# Wrapper image tags cover the base image's ID, which only the engine knows; the compiler
# asks through settings, and this facade (above both) tells settings whom to ask.
settings.use_engine(_engine_image_id)


class GraphError(SeldonGraphsError):
    """A graph file with errors. `diagnostics` holds all of them (and any warnings);
    `render()` shows them as text, or as JSON when `fmt` is "json"."""

    def __init__(
        self, diagnostics: list[Diagnostic], sources: Mapping[str, str], fmt: str = "text"
    ) -> None:
        self.diagnostics = diagnostics
        self.sources = dict(sources)
        self.fmt = fmt
        errors = [d for d in diagnostics if d.is_error]
        first = errors[0] if errors else diagnostics[0]
        super().__init__(
            f"{first.file}:{first.line}:{first.col}: {first.message}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
        )

    def render(self, fmt: str | None = None) -> str:
        if (fmt or self.fmt) == "json":
            return diagnostics.render_json(self.diagnostics)
        return diagnostics.render_text(self.diagnostics, self.sources)


@dataclass(frozen=True)
class Analysis:
    """Everything `check` learned about a graph file, whether or not it is valid.

    `text` is the source as diagnostics quote it: values under secret-looking keys are
    starred out.
    """

    display: str
    text: str
    spec: GraphSpec | None
    tree: TreeNode | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return (
            self.spec is not None
            and self.tree is not None
            and not any(d.is_error for d in self.diagnostics)
        )

    def render(self, fmt: str = "text") -> str:
        if fmt == "json":
            return diagnostics.render_json(self.diagnostics)
        return diagnostics.render_text(self.diagnostics, {self.display: self.text})


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def analyze_text(
    text: str,
    file: Path,
    display: str | None = None,
    root: Path | None = None,
    flags: settings.Flags | None = None,
) -> Analysis:
    """Run every check on graph `text`; never raises for a bad graph.

    The image settings (flags > environment > seldon-graphs.toml > graph file) are applied
    first, so the checks and every later stage see the values actually used.
    """
    display = display or display_path(file)
    reporter = Reporter(display)
    spec, reporter = parser.parse(text, file, display, root, reporter)
    spec, tree = analyze_spec(spec, reporter, flags)
    return Analysis(display, reporter.masked_source(text), spec, tree, reporter.finished())


def analyze_spec(
    spec: GraphSpec | None, reporter: Reporter, flags: settings.Flags | None = None
) -> tuple[GraphSpec | None, TreeNode | None]:
    """Every check after parsing, reported into `reporter`: (spec with settings, tree)."""
    tree = None
    spec = _with_settings(spec, flags, reporter)
    if spec is not None:
        unsure = check.check_spec(spec, reporter)
        scaling_check.check_scaling(spec, reporter)
        context_check.check_contexts(spec, reporter)
        compat_check.check_models(spec, reporter)
        tree = _lowered(spec, reporter, bool(unsure))
        if tree is not None:
            check.check_tree(spec, tree, reporter)
            role_check.check_role_methods(spec, tree, reporter)
    return spec, tree


def _lowered(spec: GraphSpec, reporter: Reporter, unsure: bool) -> TreeNode | None:
    """The Seldon tree, from the data-flow DAG (or from the one node of a graph without a
    flow, which has none); None when there is none, or `unsure`: the roles of misspelt
    nodes would only be guesses."""
    if dataflow.is_lone(spec, reporter):
        return None if unsure else lower.lower_lone(spec, reporter)
    g = dataflow.build(spec, reporter)
    return None if g is None or unsure else lower.lower(spec, g, reporter)


def _with_settings(
    spec: GraphSpec | None, flags: settings.Flags | None, reporter: Reporter
) -> GraphSpec | None:
    if spec is None:
        return None
    try:
        return settings.apply(spec, flags)
    except settings.SettingsError as exc:
        if exc.line == 0:  # a flag or a variable: the command line or the environment
            file = exc.file
        else:
            file = display_path(Path(exc.file)) if exc.file else reporter.file
        severity = diagnostics.Severity.ERROR
        reporter.items.append(
            Diagnostic(
                file, exc.line, exc.col, severity, exc.message, "settings", exc.col + 1, exc.help
            )
        )
        return None


def analyze(path: str | os.PathLike[str], flags: settings.Flags | None = None) -> Analysis:
    file = Path(path)
    display = display_path(file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        problem = Diagnostic(
            display,
            1,
            1,
            diagnostics.Severity.ERROR,
            f"cannot read the graph file: {exc}",
            "io",
            2,
            "check the path, and that the file is readable",
        )
        return Analysis(display, "", None, None, [problem])
    return analyze_bytes(data, file, display, flags=flags)


def analyze_bytes(
    data: bytes,
    file: Path,
    display: str | None = None,
    root: Path | None = None,
    flags: settings.Flags | None = None,
) -> Analysis:
    """`analyze_text` for a file's raw bytes: a byte that is not UTF-8 is reported where
    it is, and nothing else is checked."""
    display = display or display_path(file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = data.decode("utf-8", errors="replace")
        return Analysis(display, shown, None, None, [_not_utf8(data, exc, display)])
    return analyze_text(text, file, display, root, flags=flags)


def _not_utf8(data: bytes, exc: UnicodeDecodeError, display: str) -> Diagnostic:
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    # Columns count characters, as everywhere else: the line's bytes before the bad one.
    col = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
    return Diagnostic(
        display,
        line,
        col,
        diagnostics.Severity.ERROR,
        f"the graph file is not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
        "encoding",
        col + 1,
        "save the file as UTF-8 (graph files are YAML, which is Unicode)",
    )


def load(
    path: str | os.PathLike[str],
    flags: settings.Flags | None = None,
    *,
    strict: bool = False,
    fmt: str = "text",
) -> Graph:
    """Load and check a graph file; raises GraphError listing every problem (warnings
    too when `strict`), to be rendered in `fmt`."""
    result = analyze(path, flags)
    failed = not result.ok or (strict and bool(result.diagnostics))
    if failed or result.spec is None or result.tree is None:
        raise GraphError(result.diagnostics, {result.display: result.text}, fmt)
    return Graph(result.spec, result.tree, result)


class Graph:
    """A checked graph: its spec, its Seldon tree, and what can be made of them."""

    def __init__(
        self,
        spec: GraphSpec,
        tree: TreeNode,
        analysis: Analysis,
        overrides: Mapping[str, object] | None = None,
    ) -> None:
        self.spec = spec
        self.tree = tree
        self.analysis = analysis
        self.overrides = dict(overrides or {})

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.analysis.diagnostics if not d.is_error]

    def roles(self) -> dict[str, str]:
        return {t.name: t.role.value for t in self.tree.walk()}

    @cached_property
    def contexts(self) -> list[ContextPlan]:
        """Wrapper build contexts of the python and stock nodes, in tree order."""
        from .wrapper.context import plan_graph

        return plan_graph(self.spec, self.tree)

    def explain(self) -> str:
        """The Seldon tree, top-down, with each node's role and why it was chosen."""
        from .explain import explain_lines

        return "\n".join(explain_lines(self.tree))

    def images(self) -> dict[str, str]:
        return {c.node: c.image for c in self.contexts}

    def manifest(self) -> dict[str, Any]:
        source = self.spec.file.resolve()
        try:
            rel = str(source.relative_to(self.spec.root.resolve()))
        except ValueError:
            rel = source.name
        return compiler.manifest(self.spec, self.tree, self.images(), rel)

    def manifest_yaml(self) -> str:
        return emit.to_yaml(self.manifest())

    def compile(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write `<out>/<name>/` (manifest + one build context per wrapped node) atomically."""
        from .wrapper.context import write_context

        dest = Path(out_dir) / self.spec.name
        with emit.output_dir(dest) as staged:
            (staged / MANIFEST_FILE).write_text(self.manifest_yaml(), encoding="utf-8")
            for plan in self.contexts:
                write_context(plan, staged / plan.node)
        return dest

    # --- local execution (seldon_graphs.runtime) ----------------------------------------

    def with_nodes(self, **overrides: object) -> Graph:
        """A copy whose named nodes are served by the given objects (fakes, stubs)."""
        unknown = sorted(set(overrides) - {n.name for n in self.spec.nodes})
        if unknown:
            raise KeyError(f"no node named {', '.join(unknown)} in graph `{self.spec.name}`")
        return Graph(self.spec, self.tree, self.analysis, {**self.overrides, **overrides})

    @cached_property
    def _inprocess(self) -> InProcessGraph:
        from .runtime.inprocess import InProcessGraph

        return InProcessGraph(self.spec, self.tree, self.overrides)

    def predict(
        self, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._inprocess.predict(dict(payload), headers)
        return result

    def feedback(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._inprocess.feedback(dict(payload))
        return result
