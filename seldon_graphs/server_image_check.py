"""Checks of `server_image`: where the key may be used, and whether the generated image of
a node can be built and load its model (generated_servers.py says what it pins).

Misuse is an error at the key: on a node that is not a server, on a server we generate no
image for, next to `image:`, under a protocol whose servers are MLServer's, or without the
`local_uri` its versions are read from. A version with no wheel for the base image's Python
is an error; a model written by other versions than this environment's is a warning (local
runs load it with this environment's libraries, the generated image with the model's).
"""

from __future__ import annotations

from typing import assert_never

from .diagnostics import Reporter
from .generated_servers import (
    GENERATED,
    GENERATORS,
    Pins,
    base_python,
    installed,
    lacks_wheel,
    model_file,
    model_folder,
    pins,
)
from .spec import (
    SERVERS,
    BuiltinSource,
    GraphSpec,
    ImageSource,
    NodeSpec,
    NoSource,
    PythonSource,
    ServerSource,
    StockSource,
)

_KEY = "server_image"
_DSL_NAMES = {impl: name for name, impl in SERVERS.items()}


def check_server_images(spec: GraphSpec, r: Reporter) -> None:
    for node in spec.nodes:
        if _KEY in node.positions and _usable(spec, node, r):
            _check_generated(spec, node, r)


def _usable(spec: GraphSpec, node: NodeSpec, r: Reporter) -> bool:
    """Whether the key is used where it means something (else one error says why)."""
    problem = _misuse(spec, node)
    if problem is not None:
        message, help = problem
        r.error(node.at(_KEY), message, "server-image", help)
        return False
    # Under another protocol (tensorflow, a misspelt one) the server node itself is wrong,
    # and already reported as such.
    server = node.server
    generated = server is not None and server.server_image == GENERATED
    return generated and spec.protocol == "seldon" and node.implementation in GENERATORS


def _misuse(spec: GraphSpec, node: NodeSpec) -> tuple[str, str] | None:
    match node.source:
        case NoSource():  # what the node runs is already reported as unknown
            return None
        case ServerSource() as server:
            return _server_misuse(spec, node, server)
        case PythonSource() | StockSource() | ImageSource() | BuiltinSource() as other:
            return (
                f"`server_image` applies only to server nodes; `{node.name}` is "
                f"{'an' if other.key[0] in 'aeiou' else 'a'} {other.key} node",
                "remove it",
            )
        case _:
            assert_never(node.source)


def _server_misuse(spec: GraphSpec, node: NodeSpec, server: ServerSource) -> tuple[str, str] | None:
    impl = server.implementation
    if server.server_image != GENERATED or impl is None:
        return None
    if impl not in GENERATORS:
        made = ", ".join(f"`{_DSL_NAMES[i]}`" for i in GENERATORS)
        return (
            f"seldon-graphs generates no image for `server: {_DSL_NAMES[impl]}`",
            f"generated server images exist for {made}; remove `server_image`",
        )
    if server.image is not None:
        return (
            "`image` and `server_image: generated` both choose the node's image",
            "keep one of them",
        )
    if spec.protocol == "v2":
        return (
            f"a generated server image speaks the seldon protocol; under `protocol: "
            f"{spec.protocol}` the operator serves {impl} with MLServer",
            "use `protocol: seldon`, or remove `server_image`",
        )
    if node.local_uri is None:
        return (
            "a generated server image pins the versions that wrote the model at "
            f"`local_uri`, and node `{node.name}` has none",
            f"add `local_uri: models/{node.name}` (the folder model_uri's copy is made from)",
        )
    return None


def _model_present(spec: GraphSpec, node: NodeSpec) -> bool:
    folder = model_folder(spec, node)
    gen = GENERATORS[node.implementation or ""]
    return folder is not None and model_file(folder, gen.files) is not None


def _no_version(node: NodeSpec, library: str, present: bool, r: Reporter) -> None:
    where = f"the model at `{node.local_uri}`"
    model = f"{where} does not say which version wrote it" if present else f"{where} is not there"
    r.error(
        node.at(_KEY),
        f"cannot tell which {library} to pin: {model}, and {library} is not installed "
        "where seldon-graphs runs",
        "server-image",
        f"save the model in a format that records its version (xgboost: JSON or UBJSON), or "
        f"install the {library} that wrote it here"
        if present
        else f"train the model first (its file says which {library} wrote it), or install "
        f"{library} here",
    )


def _check_generated(spec: GraphSpec, node: NodeSpec, r: Reporter) -> None:
    pinned = pins(spec, node, companions=False)
    library = GENERATORS[node.implementation or ""].library
    if pinned is None:
        _no_version(node, library, _model_present(spec, node), r)
        return
    if not _has_wheel(spec, node, pinned, r):
        return
    if pinned.read_from == "this environment" and _model_present(spec, node):
        r.warning(
            node.at("local_uri"),
            f"the model file does not say which {library} wrote it; the generated image "
            f"pins {library} {pinned.version}, installed here",
            "model-server",
            f"check that {library} {pinned.version} loads it, or save it in a format that "
            "records its version",
        )
    elif pinned.read_from == "the model" and installed(library) != pinned.version:
        _local_versions_differ(node, pinned, r)


def _has_wheel(spec: GraphSpec, node: NodeSpec, pinned: Pins, r: Reporter) -> bool:
    python = base_python(spec.runtime.base_image)
    oldest = lacks_wheel(pinned.library, pinned.version, python)
    if oldest is None:
        return True
    library, shown = pinned.library, ".".join(map(str, python or ()))
    r.error(
        node.at(_KEY),
        f"the model was written by {library} {pinned.version}, which has no wheel for "
        f"Python {shown} (base image {spec.runtime.base_image}; the oldest is {oldest})",
        "server-image",
        f"train with {library}>={oldest}, or remove `server_image` to use Seldon's server "
        "image if its version matches",
    )
    return False


def _local_versions_differ(node: NodeSpec, pinned: Pins, r: Reporter) -> None:
    library, here = pinned.library, installed(pinned.library)
    local = (
        f"load it with {library} {here}, installed here"
        if here
        else f"cannot load it: {library} is not installed here"
    )
    r.warning(
        node.at("local_uri"),
        f"the model was written by {library} {pinned.version}, which its generated image "
        f"(and so the cluster) loads it with; local process and in-process runs {local}",
        "model-server",
        f"install {library}=={pinned.version} here, or use `--runtime docker`, which "
        "runs the generated image",
    )
