"""The one exception type the runtime commands report as a user-fixable problem (exit 1)."""

from ..errors import SeldonGraphsError


class RuntimeProblem(SeldonGraphsError):
    """A graph or machine problem the user can fix (a missing model, no Docker, a node that
    does not start); anything else escaping a runtime is a bug and exits 3."""
