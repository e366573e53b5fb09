"""Train the walkthrough's iris model from scikit-learn's bundled data (no network).

    python scripts/train_iris.py [OUT_DIR]        # default: models/iris

Writes OUT_DIR/model.joblib, a LogisticRegression like Seldon's sklearn iris example, which
SKLEARN_SERVER (and our local stand-in for it) loads. Does nothing if the file exists,
unless --force is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "models" / "iris"


def train(out_dir: Path, force: bool = False) -> Path:
    """Fit and save the model; returns the path of model.joblib."""
    import joblib  # type: ignore[import-untyped]
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    target = out_dir / "model.joblib"
    if target.exists() and not force:
        return target
    data = load_iris()
    model = LogisticRegression(max_iter=1000, random_state=0).fit(data.data, data.target)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".joblib.partial")
    joblib.dump(model, partial)
    partial.replace(target)  # never leave a half-written model behind
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="retrain even if the model exists")
    args = parser.parse_args(argv)
    existed = (args.out / "model.joblib").exists()
    path = train(args.out, args.force)
    print(f"{'kept' if existed and not args.force else 'wrote'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
