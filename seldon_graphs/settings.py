"""The image settings every command sees: registry, base image and seldon-core runtime.

`build`, `dockerfile`, `compile`, `deploy` and the docker runtime all name wrapper images,
so they must all read these settings the same way. One precedence, highest first:

    1. command-line flags     --registry, --base-image, --seldon-core
    2. environment            SELDON_GRAPHS_REGISTRY, SELDON_GRAPHS_BASE_IMAGE,
                              SELDON_GRAPHS_SELDON_CORE (an empty value counts as unset)
    3. seldon-graphs.toml     in the project root, table [images]: registry, base_image,
                              seldon_core
    4. the graph file         registry:, runtime.base_image, runtime.seldon_core
    5. the defaults           seldon-graphs, python:3.11-slim, 1.17.1

`apply(spec, flags)` returns the spec with the winning values; `api.analyze` applies it
right after parsing, so the checks see (and report) the values actually used.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import safety
from .errors import SeldonGraphsError
from .spec import GraphSpec, Runtime

__all__ = [
    "CONFIG_FILE",
    "ENV",
    "KEYS",
    "Flags",
    "Setting",
    "SettingsError",
    "add_flags",
    "apply",
    "base_image_id",
    "registry_problem",
    "resolve",
    "use_engine",
]

KEYS = ("registry", "base_image", "seldon_core")
ENV = {key: f"SELDON_GRAPHS_{key.upper()}" for key in KEYS}
FLAG = {key: "--" + key.replace("_", "-") for key in KEYS}
CONFIG_FILE = "seldon-graphs.toml"
TABLE = "images"
DEFAULT_REGISTRY = "seldon-graphs"
_GRAPH_KEY = {"registry": "registry", "base_image": "runtime.base_image"}
_GRAPH_KEY["seldon_core"] = "runtime.seldon_core"
# Docker's reference grammar, lower case (see registry_problem), without tag or digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REGISTRY = re.compile(rf"{_COMPONENT}(?:\.{_COMPONENT})*(?::[0-9]+)?(?:/{_COMPONENT})*\Z")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


# The seldon-core releases wrapper images are built on (1.17.x to 1.19.x).
SELDON_CORE_RELEASES = re.compile(r"1\.(1[7-9])\.(0|[1-9][0-9]*)\Z")
SELDON_CORE_HELP = (
    "use 1.17.x (Apache-2.0, the default 1.17.1), or 1.18.x / 1.19.x (Business Source License 1.1)"
)
# Where a flag's or a variable's value comes from, in place of a file: line 0, no column.
COMMAND_LINE = "command line"
ENVIRONMENT = "environment"


class SettingsError(SeldonGraphsError, ValueError):
    """A setting's value or the config file is wrong; `file`/`line`/`col` say where (line 0:
    `file` is COMMAND_LINE or ENVIRONMENT); `help` what to write instead, when known."""

    def __init__(
        self, message: str, file: str = "", line: int = 1, col: int = 1, help: str | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.file, self.line, self.col = message, file, line, col
        self.help = help


@dataclass(frozen=True)
class Flags:
    """The command-line layer; None means the flag was not given."""

    registry: str | None = None
    base_image: str | None = None
    seldon_core: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Flags:
        return cls(**{key: getattr(args, key, None) for key in KEYS})


@dataclass(frozen=True)
class Setting:
    value: str | None  # None: no registry configured anywhere (the default prefix is used)
    source: str  # "--registry", "SELDON_GRAPHS_REGISTRY", "seldon-graphs.toml", ...
    file: str = ""  # the config file, for a value read from one
    line: int = 1


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The three flags, with the same names and help on every command that names images."""
    parser.add_argument("--registry", help="image repository prefix (see docs/images.md)")
    parser.add_argument("--base-image", metavar="IMAGE", help="base image of wrapper images")
    parser.add_argument(
        "--seldon-core",
        metavar="VERSION",
        help="seldon-core runtime version (default 1.17.1, Apache-2.0; 1.18.x and 1.19.x are "
        "Business Source License 1.1)",
    )


def resolve(
    spec: GraphSpec, flags: Flags | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Setting]:
    """Each key's winning value and where it came from."""
    flags = flags or Flags()
    environ = os.environ if environ is None else environ
    config = _config(spec.root)
    return {key: _pick(key, spec, flags, environ, config) for key in KEYS}


def apply(
    spec: GraphSpec, flags: Flags | None = None, environ: Mapping[str, str] | None = None
) -> GraphSpec:
    """`spec` with every setting at its winning value; SettingsError for a bad one."""
    chosen = resolve(spec, flags, environ)
    for key, setting in chosen.items():
        _validate(key, setting)
    runtime = Runtime(
        seldon_core=chosen["seldon_core"].value or Runtime.seldon_core,
        base_image=chosen["base_image"].value or Runtime.base_image,
    )
    return dataclasses.replace(spec, registry=chosen["registry"].value, runtime=runtime)


def registry_problem(registry: str) -> str | None:
    """Why `registry` cannot prefix an image name, or None.

    Docker's reference grammar allows upper case in the host, but the Docker SDK's tag
    check does not (`invalid tag`), and host names are case-insensitive anyway: upper case
    is refused with the lower-case spelling to use instead.
    """
    if registry != registry.lower() and not safety.image_ref(registry.lower()):
        return (
            f"registry `{safety.shown(registry)}` has upper case letters: image names must be "
            f"lower case (the Docker SDK refuses them); write `{registry.lower()}`"
        )
    if not _REGISTRY.match(registry) or len(registry) > 200:
        return (
            f"registry `{safety.shown(registry)}` is not an image repository prefix "
            "(host[:port]/path, lower case, no tag)"
        )
    return None


def _no_engine(_ref: str) -> str:
    return ""


# The compiler needs the base image's ID (it is part of every wrapper image's tag) but talks
# to no engine itself: the facade (seldon_graphs.api) installs engine.image_id here.
_image_ids: Callable[[str], str] = _no_engine


def use_engine(image_ids: Callable[[str], str]) -> None:
    """Where `base_image_id` asks for an image's ID (engine.image_id once the package is
    imported; tests may install a stand-in)."""
    global _image_ids
    _image_ids = image_ids
    base_image_id.cache_clear()


@functools.cache
def base_image_id(ref: str) -> str:
    """The local engine's ID (`sha256:...`) for `ref`, or "" when no engine has it.

    Cached per process: build, compile and deploy in one process see one answer.
    """
    return _image_ids(ref)


# --- the layers ---------------------------------------------------------------------------


def _pick(
    key: str,
    spec: GraphSpec,
    flags: Flags,
    environ: Mapping[str, str],
    config: Mapping[str, Setting],
) -> Setting:
    if (flag := getattr(flags, key)) is not None:
        return Setting(flag, FLAG[key])
    if environ.get(ENV[key]):
        return Setting(environ[ENV[key]], ENV[key])
    if key in config:
        return config[key]
    value = spec.registry if key == "registry" else getattr(spec.runtime, key)
    return Setting(value, "graph file" if _GRAPH_KEY[key] in spec.positions else "default")


def _validate(key: str, setting: Setting) -> None:
    if setting.source in ("graph file", "default") or setting.value is None:
        return  # the compiler's own checks report graph-file values at their position
    hint = None
    if key == "registry":
        why = registry_problem(setting.value)
    elif key == "base_image":
        why = safety.image_ref(setting.value)
    else:
        why = safety.version(setting.value)
        if not why and not SELDON_CORE_RELEASES.match(setting.value):
            why = f"seldon-core `{safety.shown(setting.value)}` is not supported"
            hint = SELDON_CORE_HELP
    if not why:
        return
    if setting.file:  # a config file's value needs its key
        raise SettingsError(f"{setting.source} `{key}`: {why}", setting.file, setting.line, 1, hint)
    origin = COMMAND_LINE if setting.source.startswith("--") else ENVIRONMENT
    raise SettingsError(f"{setting.source}: {why}", origin, 0, 0, hint)


def _config(root: Path) -> dict[str, Setting]:
    """The [images] table of `<root>/seldon-graphs.toml` ({} when there is no such file)."""
    path = Path(root) / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read {CONFIG_FILE}: {exc}", str(path)) from None
    import tomllib  # here: most projects have no settings file (2 ms of validate's start-up)

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_POSITION.search(str(exc))
        line, col = (int(where.group(1)), int(where.group(2))) if where else (1, 1)
        message = _TOML_POSITION.sub("", str(exc)).strip()
        raise SettingsError(f"{CONFIG_FILE}: {message}", str(path), line, col) from None
    return _images_table(doc.get(TABLE, {}), text, str(path))


def _images_table(table: Any, text: str, file: str) -> dict[str, Setting]:
    if not isinstance(table, dict):
        where = _line_of(TABLE, text)
        raise SettingsError(f"{CONFIG_FILE}: [{TABLE}] must be a table", file, where)
    out: dict[str, Setting] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise SettingsError(
                f"{CONFIG_FILE}: unknown key `{safety.shown(key)}` in [{TABLE}] "
                f"(known: {', '.join(KEYS)})",
                file,
                _line_of(key, text),
            )
        if not isinstance(value, str):
            raise SettingsError(
                f"{CONFIG_FILE}: [{TABLE}] {key} must be a string", file, _line_of(key, text)
            )
        out[key] = Setting(value, CONFIG_FILE, file, _line_of(key, text))
    return out


def _line_of(key: str, text: str) -> int:
    """The first line that assigns (or opens) `key`: tomllib keeps no positions."""
    pattern = re.compile(rf"^\s*(\[\s*)?{re.escape(key)}\s*(=|\])")
    return next((n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)), 1)
