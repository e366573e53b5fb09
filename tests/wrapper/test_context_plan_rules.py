"""What a context plan decides without a Docker engine (the docker tests build the images):
the 1 MiB edge of the large-file layer (docs/images.md) and the service type per role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seldon_graphs.spec import NOWHERE, ImageSource, NodeSpec, PythonRef, Role, ServerSource
from seldon_graphs.tree import TreeNode
from seldon_graphs.wrapper.context import (
    ContextError,
    image_tag,
    plan_context,
    plan_graph,
    plan_node,
    runtime_licence,
)
from seldon_graphs.wrapper.server_context import plan_server_context

from .conftest import FIXTURE_PROJECT, graph_spec, python_node, stock_node

MIB = 1024 * 1024


def test_files_from_one_mib_are_set_apart_and_copied_first(tmp_path: Path) -> None:
    source = (FIXTURE_PROJECT / "models" / "doubler.py").read_text()
    (tmp_path / "model.py").write_text(source)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "under.bin").write_bytes(b"u" * (MIB - 1))
    (tmp_path / "data" / "exact.bin").write_bytes(b"e" * MIB)
    node = python_node("big", python=PythonRef("model.py", "Doubler"), files=("data",))
    plan = plan_context(graph_spec(node, root=tmp_path), node, Role.MODEL)
    data = sorted(rel for rel in plan.files if "data/" in rel)
    assert data == [".seldon-graphs-data/data/exact.bin", "data/under.bin"]
    # The large files' layer first, then the code, without the context's build files.
    code = ["model.py", "requirements.txt", "seldon_graphs_adapter.py", "seldon_graphs_entry.py"]
    assert [ln for ln in plan.dockerfile.splitlines() if ln.startswith("COPY")] == [
        "COPY requirements.txt /opt/venv/requirements.txt",
        "COPY " + json.dumps([".seldon-graphs-data/", "/app/"]),
        "COPY " + json.dumps([*code, "seldon_graphs_init.py", "seldon_graphs_launch.py", "/app/"]),
        "COPY " + json.dumps(["data", "/app/data/"]),
    ]


@pytest.mark.parametrize(
    ("role", "service_type"),
    [
        (Role.MODEL, "MODEL"),
        (Role.TRANSFORMER, "TRANSFORMER"),
        (Role.OUTPUT_TRANSFORMER, "TRANSFORMER"),  # seldon-core has no OUTPUT_TRANSFORMER
        (Role.ROUTER, "ROUTER"),
        (Role.COMBINER, "COMBINER"),
    ],
)
def test_each_role_starts_the_microservice_as_its_service_type(
    role: Role, service_type: str
) -> None:
    node = python_node()
    plan = plan_context(graph_spec(node), node, role)
    environment = plan.files[".s2i/environment"].decode()
    assert f"\nSERVICE_TYPE={service_type}\n" in environment
    assert plan.dockerfile.splitlines()[-1].endswith(f'"--service-type", "{service_type}"]')


def test_a_role_without_a_wrapper_image_is_refused() -> None:
    node = python_node()
    for role in (Role.UNKNOWN_TYPE, "OUTLIER_DETECTOR"):
        with pytest.raises(ContextError) as err:
            plan_context(graph_spec(node), node, role)
        assert str(err.value) == f"node double: role {role} has no wrapper image"


@pytest.mark.parametrize(
    "name",
    [
        ".dockerignore",
        "seldon_graphs_adapter.py",
        "seldon_graphs_init.py",
        "seldon_graphs_launch.py",
    ],
)
def test_a_listed_file_may_not_land_on_a_generated_one(tmp_path: Path, name: str) -> None:
    """Listed files land beside the module; a generated name there is refused."""
    (tmp_path / "models").mkdir()
    source = (FIXTURE_PROJECT / "models" / "doubler.py").read_text()
    (tmp_path / "models" / "doubler.py").write_text(source)
    (tmp_path / "models" / name).write_text("x = 1\n")
    node = python_node("n", files=(f"models/{name}",))
    with pytest.raises(ContextError) as err:
        plan_context(graph_spec(node, root=tmp_path), node, Role.MODEL)
    assert f"`models/{name}` would land on `{name}`, which seldon-graphs generates" in str(
        err.value
    )


def test_the_image_name_is_the_repository_and_the_tag() -> None:
    node = python_node()
    plan = plan_context(graph_spec(node, registry="registry.local:5000/team"), node, Role.MODEL)
    assert plan.repository == "registry.local:5000/team/wrapped-double"
    assert plan.image == f"{plan.repository}:{plan.tag}"
    assert plan.tag == image_tag(plan.digest, plan.base_id)
    assert len(plan.tag) == 12 and int(plan.tag, 16) >= 0
    # one tag, one content: another base image under the same files is another image
    other = image_tag(plan.digest, "sha256:other")
    assert other != plan.tag and len(other) == 12 and int(other, 16) >= 0


@pytest.mark.parametrize(("transport", "workers"), [("grpc", []), ("rest", ["ENV GRPC_WORKERS=0"])])
def test_grpc_workers_run_only_for_grpc_graphs(transport: str, workers: list[str]) -> None:
    node = python_node()
    plan = plan_context(graph_spec(node, transport=transport), node, Role.MODEL)
    assert [ln for ln in plan.dockerfile.splitlines() if "GRPC_WORKERS" in ln] == workers


def test_a_graph_plans_the_images_it_builds_in_tree_order_each_for_its_role() -> None:
    """Python and stock nodes get wrapper contexts for the role the tree gives them, a
    generated server its server context (server_context.py), an image node none."""
    generated = NodeSpec(
        name="gen",
        pos=NOWHERE,
        source=ServerSource("SKLEARN_SERVER", server_image="generated"),
        model_uri="s3://bucket/model",
    )
    image = NodeSpec(name="img", pos=NOWHERE, source=ImageSource("registry.example.com/m:1"))
    first, vote = python_node("first"), stock_node("vote")
    spec = graph_spec(first, generated, image, vote)
    leaves = (TreeNode("gen", Role.MODEL, "SKLEARN_SERVER"), TreeNode("img", Role.MODEL, "X"))
    tree = TreeNode(
        "first", Role.TRANSFORMER, "UNKNOWN", (TreeNode("vote", Role.COMBINER, "UNKNOWN", leaves),)
    )
    plans = plan_graph(spec, tree)
    assert [(p.node, p.role) for p in plans] == [
        ("first", Role.TRANSFORMER),
        ("vote", Role.COMBINER),
        ("gen", Role.MODEL),
    ]
    assert plans[0] == plan_context(spec, first, Role.TRANSFORMER)
    assert plans[1] == plan_context(spec, vote, Role.COMBINER)
    assert plans[2] == plan_server_context(spec, generated)
    assert plan_node(spec, generated, Role.MODEL) == plans[2]
    assert plan_node(spec, vote, "COMBINER") == plans[1]


def test_the_tag_is_the_digest_alone_or_with_the_base_images_id() -> None:
    """12 hex digits: of the digest when the base image has no ID here, else of
    sha256("<digest>\\0<base id>") (`printf '%s\\0%s' DIGEST ID | sha256sum`)."""
    digest, base = "ab" * 32, "sha256:" + "cd" * 32
    assert image_tag(digest, "") == "abababababab"
    assert image_tag(digest, base) == "72872f0c5f07"


@pytest.mark.parametrize(
    ("version", "licence"),
    [
        ("1.17.0", "Apache-2.0"),
        ("1.17.1", "Apache-2.0"),
        ("1.18.0", "Business Source License 1.1"),
        ("1.18.10", "Business Source License 1.1"),
        ("1.19.3", "Business Source License 1.1"),
        # A version this release does not know is taken for a later one.
        ("2.0.0", "Business Source License 1.1"),
        ("1.17", "Business Source License 1.1"),
    ],
)
def test_the_runtime_licence_changes_at_1_18(version: str, licence: str) -> None:
    assert runtime_licence(version) == licence
