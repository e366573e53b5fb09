"""Hypothesis strategies for graph files the DSL accepts: random series-parallel data flows.

A generated graph is a `Series` (the grammar below mirrors what `lower` can express):

    series   = prefix* [core suffix*]          (at least one node)
    prefix   = a forward or flexible node      (server, python, python kind model/transformer,
                                                stock identity, image)
    core     = router -> [series, ...]          (stock ab-router / builtin random-abtest: 2
                                                branches; epsilon-greedy: n_branches; python
                                                kind router: any count, or one chained child)
             | fork -> [series, ...] -> combiner  (fork = the last prefix node, or, for a
                                                series that starts a branch in brackets or
                                                the flow, the node or request before it:
                                                `x -> [[a, b] -> m, c] -> n`)
             | node -> combiner
    suffix   = a flexible node                 (becomes an OUTPUT_TRANSFORMER)

The lowered tree depth is tracked while drawing, so it never exceeds 11. The flow is written
in one of YAML's spellings (plain, quoted with escapes, literal or folded blocks, over
several lines): its meaning, and so the compiled manifest, must not depend on which.
`GeneratedGraph.write(root)` lays the graph file and the Python modules it names into a
project directory (with a `pyproject.toml` marker so it is the project root).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from seldon_graphs import safety

MAX_DEPTH = 11
MODULE = "nodes/models.py"
MODULE_SOURCE = '''"""Classes the generated graphs name; the compiler checks that they exist."""


class Model:
    def __init__(self, **params):
        self.params = params

    def predict(self, X, features_names=None):
        return X


class Transformer(Model):
    def transform_input(self, X, features_names=None):
        return X


class Router(Model):
    def route(self, X, features_names=None):
        return 0


class Combiner(Model):
    def aggregate(self, Xs, features_names=None):
        return Xs[0]
'''
# Servers that have an image for protocol `seldon` (check.SERVER_PROTOCOLS).
SELDON_SERVERS = ("sklearn", "xgboost", "mlflow", "tensorflow")
V2_SERVERS = ("sklearn", "xgboost", "mlflow", "triton", "huggingface", "tempo")

_LOWER = "abcdefghijklmnopqrstuvwxyz"
# DNS-1123 labels: a letter, then letters, digits and `-`, never ending in `-`.
_labels = st.builds(
    lambda head, body: (head + body).rstrip("-"),
    st.sampled_from(_LOWER),
    st.text(alphabet=_LOWER + "0123456789-", max_size=12),
)
_env_names = st.sampled_from(["LOG_LEVEL", "WORKERS", "MODEL_NAME_HINT", "GUNICORN_THREADS"])
_safe_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
)
_scalar_params = st.one_of(
    st.integers(-(2**31), 2**31),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    _safe_text,
)
_typed_params = st.one_of(
    st.builds(lambda v: {"value": v, "type": "INT"}, st.integers(-1000, 1000)),
    st.builds(lambda v: {"value": v, "type": "DOUBLE"}, st.floats(-1e6, 1e6)),
    st.builds(lambda v: {"value": v, "type": "STRING"}, _safe_text),
    st.builds(lambda v: {"value": v, "type": "BOOL"}, st.booleans()),
)
# Parameter names that do not read as secrets (`apasswd`, `x-token`: secret-in-params).
_param_names = _labels.filter(lambda name: safety.secret_name(name) is None)
_python_params = st.dictionaries(_param_names, st.one_of(_scalar_params, _typed_params), max_size=3)


@dataclass
class Series:
    prefix: list[str] = field(default_factory=list)
    core: Core | None = None
    suffix: list[str] = field(default_factory=list)

    def tokens(self) -> list[str]:
        """The chain as tokens joined by `->` (a group is one token)."""
        out = list(self.prefix)
        if self.core is not None:
            out += self.core.tokens()
        return out + self.suffix

    def text(self) -> str:
        return " -> ".join(self.tokens())

    def depth(self) -> int:
        return len(self.prefix) + len(self.suffix) + (self.core.depth() if self.core else 0)


@dataclass
class Core:
    kind: str  # "router", "router-chain", "combiner-group", "combiner-single"
    node: str  # the router or the combiner
    branches: list[Series]
    single: str | None = None  # combiner-single: the one input node

    def tokens(self) -> list[str]:
        group = "[" + ", ".join(b.text() for b in self.branches) + "]"
        if self.kind == "router":
            return [self.node, group]
        if self.kind == "router-chain":
            return [self.node, *self.branches[0].tokens()]
        if self.kind == "combiner-group":
            return [group, self.node]
        assert self.single is not None
        return [self.single, self.node]

    def depth(self) -> int:
        if self.kind == "combiner-single":
            return 2
        return 1 + max((b.depth() for b in self.branches), default=0)


@dataclass
class GeneratedGraph:
    name: str
    doc: dict[str, Any]  # the graph file as plain data
    flow: Series
    node_names: list[str]
    dump_style: dict[str, Any]
    flow_spelling: str = "dump"  # "dump" (PyYAML's choice) or one of SPELLINGS

    @property
    def text(self) -> str:
        doc = dict(self.doc)
        flow = doc.pop("flow", None) if self.flow_spelling != "dump" else None
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, **self.dump_style)
        if flow is not None:
            body += write_flow(flow, self.flow_spelling)
        return "# generated by tests/property/graphgen.py\n" + body

    def write(self, root: Path, file_name: str = "graph.yaml") -> Path:
        """The project: pyproject.toml marker, the node module, the graph file."""
        (root / "pyproject.toml").write_text("[project]\nname = 'generated'\n", encoding="utf-8")
        module = root / MODULE
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(MODULE_SOURCE, encoding="utf-8")
        path = root / "graphs" / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text, encoding="utf-8")
        return path


class _Draw:
    """One graph being drawn: node bodies by name, and the knobs chosen for the whole graph."""

    def __init__(self, draw: Any, max_nesting: int) -> None:
        self.draw = draw
        self.nodes: dict[str, dict[str, Any]] = {}
        self.counter = itertools.count()
        self.max_nesting = max_nesting
        self.long_names = draw(st.booleans())
        self.per_node = draw(st.booleans())

    # --- names and node bodies -------------------------------------------------------------

    def name(self, role_hint: str) -> str:
        i = next(self.counter)
        if self.long_names:
            stem = self.draw(_labels)
            return f"{stem}-{role_hint}{i}"[:63].rstrip("-") or f"n{i}"
        return f"{role_hint}{i}"

    def add(self, role_hint: str, body: dict[str, Any]) -> str:
        name = self.name(role_hint)
        while name in self.nodes:  # a truncated long name may collide
            name = self.name(role_hint)
        self.common(body)
        self.nodes[name] = body
        return name

    def common(self, body: dict[str, Any]) -> None:
        """Options any container node may carry."""
        if "builtin" in body:
            return
        d = self.draw
        if d(st.integers(0, 4)) == 0:
            body["resources"] = d(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "cpu": st.sampled_from(["100m", "1", "0.5", "2"]),
                        "memory": st.sampled_from(["128Mi", "1Gi", "512M"]),
                        "gpu": st.integers(0, 2),
                    },
                )
            )
        if d(st.integers(0, 5)) == 0:
            body["env"] = d(st.dictionaries(_env_names, _labels, max_size=2))
        if self.per_node and d(st.integers(0, 3)) == 0:
            body["replicas"] = d(st.integers(0, 3))
        if d(st.integers(0, 6)) == 0:
            logger: dict[str, Any] = {"mode": d(st.sampled_from(["all", "request", "response"]))}
            if d(st.booleans()):
                logger["url"] = "http://logger.seldon-logs.svc.cluster.local"
            body["logger"] = logger

    def image_name(self) -> str:
        return self.draw(_labels)

    def python_params(self) -> dict[str, Any]:
        return dict(self.draw(_python_params))

    def python(self, cls: str, kind: str | None, hint: str) -> str:
        body: dict[str, Any] = {"python": f"{MODULE}:{cls}"}
        if kind is not None:
            body["kind"] = kind
        if self.draw(st.integers(0, 2)) == 0:
            body["params"] = self.python_params()
        if self.draw(st.integers(0, 5)) == 0:
            body["requirements"] = self.draw(
                st.lists(
                    st.sampled_from(["numpy>=1.24", "pandas", "scikit-learn==1.3.2"]),
                    max_size=2,
                    unique=True,
                )
            )
        return self.add(hint, body)

    def server(self) -> str:
        d = self.draw
        # A pod has one `tfserving` sidecar: a second TensorFlow server needs a pod of its own.
        shared = not self.per_node and any(
            b.get("server") == "tensorflow" for b in self.nodes.values()
        )
        server = d(st.sampled_from([s for s in SELDON_SERVERS if not shared or s != "tensorflow"]))
        body: dict[str, Any] = {"server": server, "model_uri": f"s3://models/{d(_labels)}"}
        if d(st.booleans()):
            body["secret"] = d(_labels)
        if d(st.integers(0, 4)) == 0:
            body["service_account"] = d(_labels)
        if server == "mlflow" and d(st.booleans()):
            body["params"] = {"xtype": "dataframe"}
        return self.add("m", body)

    def model_server(self, protocol: str) -> str:
        """A model for a v2 or tensorflow graph: a server with an image for it, or an image."""
        d = self.draw
        servers = V2_SERVERS if protocol == "v2" else ("tensorflow",)
        if d(st.integers(0, 4)) == 0:
            return self.add("img", {"image": f"registry.local/{self.image_name()}:3"})
        server = d(st.sampled_from(servers))
        body: dict[str, Any] = {"server": server}
        if server != "huggingface" or d(st.booleans()):
            body["model_uri"] = f"gs://models/{d(_labels)}"
        return self.add("m", body)

    def forward(self) -> str:
        """A node that may sit before the core (a model, a transformer, or flexible)."""
        choice = self.draw(
            st.sampled_from(
                ["server", "server", "python", "model", "transformer", "identity", "image"]
            )
        )
        if choice == "server":
            return self.server()
        if choice == "python":
            return self.python("Model", None, "p")
        if choice == "model":
            return self.python("Model", "model", "m")
        if choice == "transformer":
            return self.python("Transformer", "transformer", "t")
        if choice == "identity":
            return self.add("id", {"stock": "identity"})
        return self.add("img", {"image": f"registry.local/team/{self.image_name()}:1.0"})

    def output(self) -> str:
        """A node that may consume a router's or combiner's result."""
        choice = self.draw(st.sampled_from(["python", "stated", "identity", "image"]))
        if choice == "python":
            return self.python("Transformer", None, "o")
        if choice == "stated":
            return self.python("Transformer", "output_transformer", "o")
        if choice == "identity":
            return self.add("id", {"stock": "identity"})
        return self.add("img", {"image": f"registry.local:5000/{self.image_name()}:2"})

    def combiner(self, n_children: int) -> str:
        d = self.draw
        choice = d(st.sampled_from(["mean", "vote", "weighted", "python"]))
        if choice == "python":
            return self.python("Combiner", "combiner", "c")
        if choice == "weighted":
            weights = ",".join(str(d(st.integers(1, 9))) for _ in range(max(n_children, 1)))
            return self.add("c", {"stock": "weighted-combiner", "params": {"weights": weights}})
        return self.add("c", {"stock": "mean-combiner" if choice == "mean" else "majority-vote"})

    def router(self, arms: int) -> str:
        d = self.draw
        options = ["python", "epsilon"] + (["ab", "ab", "abtest", "abtest"] if arms == 2 else [])
        choice = d(st.sampled_from(options))
        if choice == "python":
            return self.python("Router", "router", "r")
        if choice == "epsilon":
            params: dict[str, Any] = {"n_branches": arms}
            if d(st.booleans()):
                params["epsilon"] = d(st.floats(0, 1))
            return self.add("r", {"stock": "epsilon-greedy", "params": params})
        if choice == "ab":
            params = {"ratio_a": d(st.floats(0, 1))}
            if d(st.booleans()):
                params["seed"] = d(st.integers(0, 1000))
            return self.add("r", {"stock": "ab-router", "params": params})
        ratio = d(st.floats(0, 1))
        return self.add("r", {"builtin": "random-abtest", "params": {"ratioA": ratio}})

    # --- shapes ------------------------------------------------------------------------------

    def series(self, budget: int, nesting: int, bracketed: bool = False) -> Series:
        """A series whose lowered depth is at most `budget` (>= 1). A `bracketed` series (a
        branch in brackets, or the whole flow) may start with its own fan-out."""
        d = self.draw
        want_core = budget >= 2 and nesting < self.max_nesting and d(st.integers(0, 3)) > 0
        if not want_core:
            count = d(st.integers(1, min(3, budget)))
            return Series([self.forward() for _ in range(count)])
        prefix_n = d(st.integers(0, min(2, budget - 2)))
        suffix_n = d(st.integers(0, min(2, budget - 2 - prefix_n)))
        core_budget = budget - prefix_n - suffix_n  # >= 2
        prefix = [self.forward() for _ in range(prefix_n)]
        core = self.core(core_budget, nesting, has_fork=prefix_n > 0 or bracketed)
        suffix = [self.output() for _ in range(suffix_n)]
        return Series(prefix, core, suffix)

    def core(self, budget: int, nesting: int, has_fork: bool) -> Core:
        d = self.draw
        kinds = ["router", "router-chain", "combiner-single"]
        if has_fork:
            kinds += ["combiner-group", "combiner-group"]
        kind = d(st.sampled_from(kinds))
        if kind == "combiner-single":
            single = self.forward()
            return Core(kind, self.combiner(1), [], single)
        if kind == "router-chain":
            router = self.python("Router", "router", "r")
            return Core(kind, router, [self.series(budget - 1, nesting + 1)])
        if kind == "router":
            arms = d(st.sampled_from([2, 2, 3, 1, 4]))
            router = self.router(arms)
            # `r -> [[a, b] -> m]` is the data flow of `r -> [a, b] -> m`: one arm stays plain
            branches = [self.series(budget - 1, nesting + 1, arms > 1) for _ in range(arms)]
            return Core(kind, router, branches)
        arms = d(st.integers(2, 4))
        branches = [self.series(budget - 1, nesting + 1, True) for _ in range(arms)]
        return Core(kind, self.combiner(arms), branches)


@st.composite
def valid_graphs(draw: Any, max_nesting: int = 3) -> GeneratedGraph:
    """A graph file the compiler must accept (warnings allowed), with its flow structure."""
    gen = _Draw(draw, max_nesting)
    protocol = draw(st.sampled_from(["seldon"] * 12 + ["v2", "tensorflow"]))
    if protocol == "seldon":
        flow = gen.series(draw(st.integers(1, MAX_DEPTH)), 0, bracketed=True)
    else:  # no routers, combiners or wrapped python under v2/tensorflow: a chain of models
        flow = Series([gen.model_server(protocol) for _ in range(draw(st.integers(1, 5)))])
    assert flow.depth() <= MAX_DEPTH
    name = draw(_labels)
    doc: dict[str, Any] = {"name": name}
    if draw(st.booleans()):
        doc["namespace"] = draw(_labels)
    if draw(st.booleans()):
        doc["transport"] = draw(st.sampled_from(["rest", "grpc"]))
    doc["protocol"] = protocol
    if gen.per_node:
        doc["pods"] = "per-node"
    elif draw(st.booleans()):
        doc["pods"] = "single"
    if draw(st.integers(0, 3)) == 0:
        doc["predictor"] = draw(_labels)
    if draw(st.integers(0, 3)) == 0:
        doc["replicas"] = draw(st.integers(0, 5))
    if draw(st.integers(0, 4)) == 0:
        doc["rest_timeout_ms"] = draw(st.integers(1, 60_000))
    if draw(st.integers(0, 4)) == 0:
        doc["labels"] = {"team": draw(_labels)}
    nodes = list(gen.nodes.items())
    order = draw(st.permutations(range(len(nodes))))
    doc["nodes"] = {nodes[i][0]: nodes[i][1] for i in order}
    tokens = flow.tokens()
    if len(tokens) > 1 and draw(st.booleans()):
        doc["flow"] = _split_chain(tokens, draw)
    elif len(tokens) > 1 or draw(st.booleans()):
        doc["flow"] = flow.text()
    style = {
        "default_flow_style": draw(st.sampled_from([False, None])),
        "width": draw(st.sampled_from([80, 10_000])),
    }
    spelling = draw(st.sampled_from(["dump", "dump", *SPELLINGS]))
    if spelling == "plain" and any(c.startswith("[") for c in _chains(doc.get("flow"))):
        spelling = "dump"  # a plain scalar cannot start with `[`
    return GeneratedGraph(name, doc, flow, [n for n, _ in nodes], style, spelling)


SPELLINGS = ("plain", "single", "double", "literal", "folded", "folded-keep", "indented")


def _chains(flow: str | list[str] | None) -> list[str]:
    return [] if flow is None else [flow] if isinstance(flow, str) else flow


def write_flow(flow: str | list[str], spelling: str) -> str:
    """`flow:` written by hand in `spelling`, one step per line where a spelling allows."""
    if isinstance(flow, str):
        return "flow:" + _scalar(flow, spelling)
    return "flow:\n" + "".join("-" + _scalar(chain, spelling) for chain in flow)


def _scalar(chain: str, spelling: str) -> str:
    pad = "  "  # under `flow:` and under a `- ` at column 0 alike
    lines = chain.replace(" -> ", "\n-> ").split("\n")
    if spelling == "plain":
        return " " + f"\n{pad}".join(lines) + "\n"
    if spelling == "single":
        return " '" + f"\n\n{pad}".join(lines) + "'\n"
    if spelling == "double":  # escapes for blanks and letters, an escaped line break
        escaped = [
            line.replace(" ", "\\x20").replace("a", "\\u0061").replace("->", "\\x2d>")
            for line in lines
        ]
        return ' "' + f"\\\n{pad}".join(escaped) + '"\n'
    header = {"literal": "|-", "folded": ">", "folded-keep": ">+", "indented": "|2"}[spelling]
    extra = "  " if spelling == "indented" else ""  # more than the indicator: kept as text
    body = "".join(f"{pad}{extra}{line}\n" for line in lines)
    return f" {header} # the flow\n{body}" + ("\n" if spelling == "folded-keep" else "")


def _split_chain(tokens: list[str], draw: Any) -> list[str]:
    """Write one chain as two that share a node: `a -> b -> c` as [`a -> b`, `b -> c`]."""
    cuts = [i for i in range(1, len(tokens) - 1) if not tokens[i].startswith("[")]
    if not cuts:
        return [" -> ".join(tokens)]
    i = draw(st.sampled_from(cuts))
    return [" -> ".join(tokens[: i + 1]), " -> ".join(tokens[i:])]
