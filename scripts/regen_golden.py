"""Regenerate the committed expected outputs: compiled graphs/ and the bad-graph corpus.

Run by hand (`make golden`) after an intended change, then review the diff. CI never runs
this; it only compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.goldens import bad_graph_output, compiled_outputs  # noqa: E402


def main() -> int:
    written = 0
    for graph in sorted((ROOT / "graphs").glob("*.yaml")):
        for name, text in compiled_outputs(graph).items():
            (ROOT / "tests" / "golden" / name).write_text(text, encoding="utf-8")
            written += 1
    for graph in sorted((ROOT / "tests" / "registry" / "graphs").glob("*.yaml")):
        for name, text in compiled_outputs(graph).items():
            (ROOT / "tests" / "registry" / "golden" / name).write_text(text, encoding="utf-8")
            written += 1
    for bad in sorted((ROOT / "tests" / "bad_graphs").glob("*.yaml")):
        bad.with_suffix(".expected").write_text(bad_graph_output(bad), encoding="utf-8")
        written += 1
    print(f"wrote {written} expected files; review them with `git diff tests/`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
