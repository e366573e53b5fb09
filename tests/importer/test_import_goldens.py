"""Round trip over what seldon-graphs itself compiles (tests/golden/): every graph and
deployment file feature comes back (several predictors, shadow, explainer, replicas, `hpa`,
`pdb`, `pods: per-node`), so importing a compiled manifest and compiling the import gives
the manifest again, as the operator sees it.

The one field that does not come back is the `securityContext` compile gives the containers
of the images it builds (user 8888, no privilege escalation): a built image comes back as an
`image:` node, and a graph file says nothing about a ready-made image's user. Import reports
it as dropped, and with --lossy the rest comes back exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seldon_graphs.importer import operator_view

from .roundtrip import dropped_paths, load_objects, round_trip, without

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
MANIFESTS = sorted(GOLDEN.glob("*.yaml"))
# golden -> the one reason it does not come back as it is: our wrapper images' securityContext
BUILT_IMAGES = {"abtest.yaml", "bandit.yaml", "income.yaml", "iris-canary.yaml", "iris.yaml"}


@pytest.mark.parametrize("source", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_a_compiled_manifest_comes_back(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (original,) = load_objects(source)
    dropped = dropped_paths(source, tmp_path / "losses")
    assert {str(path[-1]) for path in dropped} == (
        {"securityContext"} if source.name in BUILT_IMAGES else set()
    )
    trip = round_trip(source, tmp_path / "strict", capsys)
    assert trip.equivalent == (source.name not in BUILT_IMAGES), trip.import_output
    lossy = round_trip(source, tmp_path / "lossy", capsys, "--lossy")
    assert (lossy.import_code, lossy.compile_code) == (0, 0), lossy.compile_output
    assert lossy.compiled == operator_view(without(original, dropped))


def test_the_canary_comes_back_as_a_deployment_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trip = round_trip(GOLDEN / "iris-canary.yaml", tmp_path, capsys, "--lossy")
    deployment = trip.files["iris.yaml"]
    assert deployment["predictors"]["main"]["explainer"] == {
        "type": "AnchorTabular",
        "model_uri": "gs://seldon-models/v1.16.0/sklearn/iris-anchors",
    }
    assert {name: p.get("traffic") for name, p in deployment["predictors"].items()} == {
        "main": 90,
        "canary": 10,
        "mirror": None,
    }
    assert deployment["predictors"]["mirror"]["shadow"] is True
    canary = trip.files["iris-canary.yaml"]
    assert canary["pods"] == "per-node"
    assert canary["nodes"]["classifier"]["hpa"] == {"min": 2, "max": 6, "cpu": 70}
    assert canary["nodes"]["classifier"]["pdb"] == {"max_unavailable": 1}
