"""The exit codes, and the one base of every error a user can act on.

    SeldonGraphsError                  exit 1 unless a subclass says otherwise
    ├── deploy.errors.DeployError      cluster access, rejection, rollout, timeouts
    ├── runtime.errors.RuntimeProblem  a node that does not start, no Docker, a missing model
    ├── wrapper.findings.ContextError  a build context that cannot be made
    ├── images.BuildError              an image build or smoke test that fails
    ├── manifest.crd.CrdError          a CRD file that cannot be read
    ├── picture.PictureError           a picture that cannot be drawn
    └── emit.OutputError               an output path that cannot be written

Each command reports the errors it expects with its own wording; `cli.main` maps any that
escape to `exit_code` once, and anything else is a bug (exit 3, with the traceback).
"""

from __future__ import annotations

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class SeldonGraphsError(Exception):
    """A problem with the user's input or machine, not a bug in seldon-graphs."""

    exit_code = EXIT_PROBLEMS
