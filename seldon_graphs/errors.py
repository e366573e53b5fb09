"""The exit codes, and the one base of every error a user can act on.

    SeldonGraphsError                  exit 1 unless a subclass says otherwise
    ├── api.GraphError                 a graph file with errors (its diagnostics)
    ├── deploy.errors.DeployError      cluster access, rejection, rollout, timeouts
    ├── runtime.errors.RuntimeProblem  a node that does not start, no Docker, a missing model
    ├── wrapper.findings.ContextError  a build context that cannot be made
    ├── wrapper.images.BuildError      an image build or smoke test that fails
    ├── manifest.crd.CrdError          a CRD file that cannot be read
    ├── picture.PictureError           a picture that cannot be drawn
    ├── settings.SettingsError         an image setting or seldon-graphs.toml that is wrong
    ├── registry.RegistryError         a registry that cannot be reached, logged into or pushed to
    └── emit.OutputError               an output path that cannot be written (exit 2)

A command may catch the errors it expects to add what it knows ("nothing was deployed");
`cli.main` prints `render()` of any that escape and exits with its `exit_code`: the one
mapping. Anything else escaping is a bug (exit 3, with the traceback).
"""

from __future__ import annotations

import re

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class SeldonGraphsError(Exception):
    """A problem with the user's input or machine, not a bug in seldon-graphs."""

    exit_code = EXIT_PROBLEMS

    def render(self) -> str:
        return f"seldon-graphs: error: {self}"


# HTTP client libraries wrap the operating system's error in their own: "... [Errno 111]
# Connection refused'))", "... FileNotFoundError(2, 'No such file or directory'))".
_OS_REASON = (re.compile(r"\[Errno -?\d+\] ([^'\")]+)"), re.compile(r"Error\(-?\d+, '([^']+)'\)"))


def os_reason(text: str) -> str | None:
    """The operating system's words inside a wrapped network error's text, or None."""
    for pattern in _OS_REASON:
        if found := pattern.search(text):
            return found.group(1).strip()
    return None
