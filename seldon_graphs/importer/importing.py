"""The import, end to end: text -> SeldonDeployments -> files, and every diagnostic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic, Reporter, finalize
from ..manifest.check import position
from .compose import Target, compose
from .losses import Inexpressible, Loss, Losses, dotted
from .read import Found, read_deployments

DROPPED, COSMETIC, INEXPRESSIBLE = "import-dropped", "import-cosmetic", "import-inexpressible"


@dataclass
class Outcome:
    """Files to write (name -> text), and diagnostics about the input and the graphs."""

    files: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    losses: list[Loss] = field(default_factory=list)  # paths from the file's top

    @property
    def failed(self) -> bool:
        """Something could not be imported at all, or a written graph would not compile."""
        return any(d.is_error for d in self.diagnostics)

    @property
    def dropped(self) -> int:
        """Semantic losses: fields whose absence changes what runs."""
        return sum(1 for d in self.diagnostics if d.rule == DROPPED)


def import_text(text: str, display: str, folder: Path) -> Outcome:
    """Import every SeldonDeployment in `text` (shown as `display`) into files meant for
    `folder`."""
    reporter = Reporter(display)
    outcome = Outcome(sources={display: text})
    for found in read_deployments(text, reporter):
        _one(found, reporter, Target(folder), outcome)
    # The manifest's own secret-looking values (`password: ...`) never reach the output.
    outcome.sources[display] = reporter.masked_source(text)
    outcome.diagnostics = finalize([*reporter.finished(), *outcome.diagnostics])
    return outcome


def _one(found: Found, reporter: Reporter, target: Target, outcome: Outcome) -> None:
    losses = Losses(found.prefix)
    try:
        imported = compose(found.sdep, losses, target)
    except Inexpressible as exc:
        path = (*found.prefix, *exc.path)
        reporter.error(
            position(found.root, path),
            f"{dotted(path) or 'the manifest'}: {exc.message}",
            INEXPRESSIBLE,
            "no graph file says this; change the manifest or write the graph by hand",
        )
        imported = None
    outcome.losses += losses.items
    for loss in losses.items:
        pos = position(found.root, loss.path)
        message = f"{dotted(loss.path)}: {loss.message}"
        if loss.semantic:
            reporter.warning(pos, message, DROPPED, "--lossy writes the graph without it")
        else:
            reporter.warning(pos, message, COSMETIC)
    if imported is None:
        return
    for name in imported.files:
        if name in outcome.files:
            reporter.error(
                position(found.root, (*found.prefix, "metadata", "name")),
                f"two SeldonDeployments would both write {name}",
                "import-clash",
                "import them from separate files, into separate folders (-o)",
            )
    outcome.files.update(imported.files)
    for analysis in imported.analyses:
        outcome.diagnostics += analysis.diagnostics
        outcome.sources[analysis.display] = analysis.text
