"""The installed distributions' metadata folders on sys.path.

generated_servers (a distribution's version, from its `.dist-info` folder's name) and nx_import
(whether a networkx backend is declared, from `entry_points.txt`) read these instead of asking
importlib.metadata, whose import, with the email package under it, is a large part of
`validate`'s start-up.
"""

from __future__ import annotations

import os
import sys

SUFFIXES = (".dist-info", ".egg-info")


def folders() -> list[tuple[str, tuple[str, ...] | None]]:
    """Each sys.path entry that exists, as a folder path, with the metadata folders' names in
    it (in listing order); None for an entry that is not a folder (a zip: only
    importlib.metadata reads those). Listed afresh on each call: callers cache what they ask."""
    found: list[tuple[str, tuple[str, ...] | None]] = []
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            found.append((folder, None))
            continue
        except OSError:  # missing or unreadable: nothing is installed there
            continue
        found.append((folder, tuple(n for n in names if n.endswith(SUFFIXES))))
    return found
