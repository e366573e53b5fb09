"""Train the income graph's two models on synthetic census-style rows (no network).

    python examples/income/train.py [--force]     # writes models/income/{lr,gb}/model.joblib

The rows go through the graph's own `Features` transformer first, so the models see exactly
what `features` sends them at serving time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from features import Features  # noqa: E402


def synthetic_rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """age, education years, hours per week, capital gain; label: income over 50K."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    edu = rng.integers(4, 18, n)
    hours = rng.integers(10, 70, n)
    gain = np.where(rng.random(n) < 0.1, rng.integers(1000, 50000, n), 0)
    score = 0.04 * (age - 40) + 0.35 * (edu - 10) + 0.05 * (hours - 40) + (gain > 5000) * 2.0
    label = (score + rng.normal(0, 1, n) > 0.8).astype(int)
    return np.column_stack([age, edu, hours, gain]).astype(float), label


def train(force: bool = False, out: Path = ROOT / "models" / "income") -> list[Path]:
    import joblib  # type: ignore[import-untyped]
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    rows, labels = synthetic_rows(4000)
    X = Features().transform_input(rows)
    written = []
    for name, model in (
        ("lr", LogisticRegression(max_iter=1000)),
        ("gb", GradientBoostingClassifier(n_estimators=50, random_state=0)),
    ):
        target = out / name / "model.joblib"
        if target.exists() and not force:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".joblib.partial")
        joblib.dump(model.fit(X, labels), partial)
        partial.replace(target)  # never leave a half-written model behind
        written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true")
    for path in train(parser.parse_args().force):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
