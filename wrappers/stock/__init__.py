"""The catalog of stock components: graph files name them with `stock: NAME`.

Each entry names the module file (in this folder) and class that implements it, the Seldon
role it takes, and the parameters it accepts with their Seldon types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class StockComponent:
    name: str
    module: str  # file stem in wrappers/stock
    class_name: str
    role: str  # Seldon type: COMBINER, ROUTER, TRANSFORMER, ...
    params: dict[str, str] = field(default_factory=dict)  # name -> INT|FLOAT|STRING|BOOL
    required: tuple[str, ...] = ()
    summary: str = ""

    @property
    def file(self) -> Path:
        return HERE / f"{self.module}.py"


CATALOG: dict[str, StockComponent] = {
    c.name: c
    for c in (
        StockComponent(
            "mean-combiner",
            "combiners",
            "MeanCombiner",
            "COMBINER",
            summary="element-wise mean of the children's outputs",
        ),
        StockComponent(
            "weighted-combiner",
            "combiners",
            "WeightedCombiner",
            "COMBINER",
            params={"weights": "STRING"},
            required=("weights",),
            summary="weighted average; weights is a comma list, one per child",
        ),
        StockComponent(
            "majority-vote",
            "combiners",
            "MajorityVote",
            "COMBINER",
            summary="per row, the class most children predict (argmax of each output)",
        ),
        StockComponent(
            "ab-router",
            "routers",
            "ABRouter",
            "ROUTER",
            params={"ratio_a": "FLOAT", "seed": "INT"},
            summary="sends a request to child 0 with probability ratio_a, else child 1",
        ),
        StockComponent(
            "epsilon-greedy",
            "routers",
            "EpsilonGreedy",
            "ROUTER",
            params={"n_branches": "INT", "epsilon": "FLOAT", "seed": "INT"},
            required=("n_branches",),
            summary="multi-armed bandit learning from feedback rewards",
        ),
        StockComponent(
            "identity",
            "transformers",
            "Identity",
            "TRANSFORMER",
            summary="passes its input through unchanged",
        ),
        StockComponent(
            "column-select",
            "transformers",
            "ColumnSelect",
            "TRANSFORMER",
            params={"columns": "STRING"},
            required=("columns",),
            summary="keeps the listed columns (comma list of indices or names)",
        ),
    )
}
