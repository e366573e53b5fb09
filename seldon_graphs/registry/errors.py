"""The one error of the registry package: what went wrong with which registry, and the fix.

Messages name the registry and where the credentials came from, never a credential."""

from __future__ import annotations

from ..errors import SeldonGraphsError


class RegistryError(SeldonGraphsError):
    """A registry cannot be used; `render()` is what the CLI prints."""

    def __init__(self, message: str, hint: str = "", transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.transient = transient  # worth trying again (a 5xx, a dropped connection)

    def render(self) -> str:
        return f"error: {self.message}" + (f"\nhelp: {self.hint}" if self.hint else "")
