"""Which kind of file a path is: a deployment file has `predictors:` at its top level (a
graph file has `nodes:`). Block style is what the docs show and what `import` writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

_PREDICTORS_KEY = re.compile(r"^[\"']?predictors[\"']?[ \t]*:", re.MULTILINE)


def is_deployment_text(text: str) -> bool:
    return _PREDICTORS_KEY.search(text) is not None


def is_deployment_file(path: str | os.PathLike[str]) -> bool:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return False  # the graph loader reports the unreadable file
    return is_deployment_text(data.decode("utf-8", errors="replace"))
