"""What a graph file may put into a Dockerfile, a manifest or a file copy.

Each check returns None when the value is safe, else a sentence saying why it is not.
The compiler reports these with positions; the build-context writer calls them again
as a last line of defence.
"""

from __future__ import annotations

import functools
import itertools
import keyword
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# PEP 508 name, extras, version spec and markers; no pip options, URLs or shell syntax.
_MARKER = r"""[a-z_]+\s*(===|==|!=|<=|>=|<|>|~=|in|not in)\s*('[^'\\]*'|"[^"\\]*")"""
_OP = r"(===|==|!=|<=|>=|~=|<|>)"
_REQUIREMENT = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,\s-]+\])?"
    rf"\s*({_OP}\s*[A-Za-z0-9.*+!_-]+\s*(,\s*{_OP}\s*[A-Za-z0-9.*+!_-]+\s*)*)?"
    rf"(\s*;\s*{_MARKER}(\s+(and|or)\s+{_MARKER})*)?\s*$"
)
# Docker's reference grammar: components joined by `.`, `_`, `__` or runs of `-`.
_COMPONENT = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"^{_COMPONENT}(\.{_COMPONENT})*(:[0-9]+)?(/{_COMPONENT})*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$"
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,2}([a-z0-9.+-]*)$")
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
# Build-context credential rules (docs/images.md states them): by file name ...
_CREDENTIAL_NAME = re.compile(
    r"""(
      \.env(\..+)? | \.envrc | \.netrc | _netrc | \.pgpass | \.pypirc | \.npmrc
    | \.yarnrc(\.yml)? | \.dockercfg | \.git-credentials | \.gitconfig | \.vault-token
    | \.htpasswd | \.s3cfg | \.boto | (.+\.)?kubeconfig(\.ya?ml)?
    | credentials(\.(json|ya?ml|toml))? | client_secrets?([-_.].*)?\.json
    | service[-_]?account.*\.json | token\.(json|pickle) | secrets?\.(json|ya?ml|toml|env|ini|cfg)
    | id_(rsa|dsa|ecdsa|ed25519)(\..+)? | .+\.(key|p12|pfx|jks|keystore|ppk|tfstate|tfvars)
    )\Z""",
    re.IGNORECASE | re.VERBOSE,
)
# ... except the templates that are committed to be shared ...
_CREDENTIAL_TEMPLATE = re.compile(r"\.env\.(example|sample|template|dist)\Z", re.IGNORECASE)
# ... by folder (anything inside): tool configs that hold logins, and VCS metadata (CI
# checkout tokens live in .git/config) ...
_CREDENTIAL_DIRS = frozenset({".ssh", ".aws", ".kube", ".docker", ".gnupg", ".azure", ".gcloud"})
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})
# ... and by content, for names that say nothing (PEM keys, service-account JSON).
_CREDENTIAL_CONTENT = re.compile(
    rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|\"private_key\"\s*:|"
    rb"aws_secret_access_key\s*=\s*[A-Za-z0-9/+]{40}",
    re.IGNORECASE,
)
SNIFFED_BYTES = 1 << 20  # larger files are data, not keys: not read for the content rule


def shown(text: str) -> str:
    """`text` on one line: control characters in a message would forge diagnostic lines."""
    return text.encode("unicode_escape").decode("ascii")


def dns_label(name: str) -> str | None:
    if len(name) > 63:
        return f"`{name}` is {len(name)} characters; Kubernetes names allow at most 63"
    if not DNS1123_LABEL.match(name):
        return (
            f"`{name}` is not a DNS-1123 label (lower-case letters, digits and `-`, "
            "starting and ending with a letter or digit)"
        )
    return None


def masked(text: str) -> str:
    """`text` with any `user:password@` of a URL replaced, so a message never shows it."""
    return _URL_USERINFO.sub("***@", text)


def requirement(line: str) -> str | None:
    text = masked(line.strip())
    if not text or "\n" in line or "\r" in line:
        return "a requirement must be one non-empty line"
    if text.startswith("-"):
        return f"pip options are not allowed in requirements: `{shown(text)}`"
    if "$" in text or "\\" in text or len(text) > 300 or not _REQUIREMENT.match(text):
        return (
            f"`{shown(text)}` is not a plain requirement (`name[extras] <op> version`); "
            "URLs, paths, options and shell syntax are not allowed"
        )
    return None


def requirement_owned_by_runtime(line: str) -> bool:
    """seldon-core's version comes from `runtime.seldon_core`, never from requirements."""
    name = re.split(r"[\s\[<>=!~;]", line.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower() == "seldon-core"


def python_identifier(name: str) -> str | None:
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        return f"`{name}` is not a Python identifier"
    return None


def image_ref(ref: str) -> str | None:
    if not _IMAGE.match(ref) or len(ref) > 255:
        return f"`{shown(ref)}` is not a valid image reference (registry/name:tag)"
    return None


def env_name(name: str) -> str | None:
    if not _ENV_NAME.match(name):
        return f"`{shown(name)}` is not a valid environment variable name"
    return None


def version(text: str) -> str | None:
    if not _VERSION.match(text):
        return f"`{shown(text)}` is not a version number"
    return None


def project_path(root: Path, rel: str) -> tuple[Path | None, str | None]:
    """Resolve `rel` inside `root`; (path, None) if safe, else (None, why)."""
    if not rel or "\x00" in rel:
        return None, "empty path"
    pure = PurePosixPath(rel)
    if "\\" in rel or re.match(r"[A-Za-z]:", rel):
        return None, f"`{shown(rel)}` is not a POSIX path relative to the project directory"
    if pure.is_absolute() or Path(rel).is_absolute():
        return None, f"`{rel}` is absolute; paths are relative to the project directory"
    if ".." in pure.parts:
        return None, f"`{rel}` leaves the project directory"
    resolved = (root / rel).resolve()
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        return None, f"`{rel}` leaves the project directory (through a symbolic link)"
    return resolved, None


def credential(rel: str) -> str | None:
    """Why the project file or folder at POSIX path `rel` looks like a credential, or None."""
    parts = PurePosixPath(rel).parts
    for i, part in enumerate(parts):
        if part in _VCS_DIRS:
            return f"`{part}` holds version-control metadata (CI tokens live in {part}/config)"
        if part in _CREDENTIAL_DIRS or parts[i - 1 : i + 1] == (".config", "gcloud"):
            return f"files under `{part}/` hold logins and keys"
    name = parts[-1] if parts else ""
    if _CREDENTIAL_NAME.match(name) and not _CREDENTIAL_TEMPLATE.match(name):
        return f"a file named `{shown(name)}` usually holds credentials"
    return None


def credential_content(data: bytes) -> str | None:
    """Why `data` (a file's first SNIFFED_BYTES) looks like a key or a login, or None."""
    if _CREDENTIAL_CONTENT.search(data[:SNIFFED_BYTES]):
        return "it holds a private key or an access secret"
    return None


# Kubernetes' own validation (k8s.io/apimachinery/pkg/util/validation), rule for rule.
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_NAME_CHARS = "letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"
ANNOTATIONS_MAX_BYTES = 256 * 1024  # TotalAnnotationSizeLimitB


def dns_subdomain(name: str) -> str | None:
    """Names of Secrets, ServiceAccounts and other objects that allow dots (at most 253)."""
    if len(name) > 253:
        return f"`{shown(name[:40])}...` is {len(name)} characters; Kubernetes allows at most 253"
    if not DNS1123_SUBDOMAIN.match(name):
        return (
            f"`{shown(name)}` is not a DNS-1123 subdomain (lower-case letters, digits, `-` "
            "and `.`, starting and ending with a letter or digit)"
        )
    return None


def qualified_name(key: str, *, fold_case: bool = False) -> str | None:
    """A label or annotation key: an optional DNS subdomain prefix and `/`, then a name.

    Kubernetes checks annotation keys lower-cased (`fold_case`), label keys as written.
    """
    prefix, slash, name = (key.lower() if fold_case else key).rpartition("/")
    if slash and not prefix:
        return f"`{shown(key)}` has an empty prefix before `/`"
    if prefix and "/" in prefix:
        return f"`{shown(key)}` has more than one `/`"
    if prefix and (why := dns_subdomain(prefix)):
        return f"`{shown(key)}`: {why}"
    if not name:
        return f"`{shown(key)}` has an empty name"
    if len(name) > 63:
        return f"`{shown(key)}`: its name part is {len(name)} characters; at most 63"
    if not _QUALIFIED_NAME.match(name):
        return f"`{shown(key)}`: its name part must be {_NAME_CHARS}"
    return None


def label_value(value: str) -> str | None:
    """Label values: empty, or at most 63 of the same characters as a key's name part."""
    if len(value) > 63:
        return f"`{shown(value[:40])}...` is {len(value)} characters; label values allow 63"
    if not _LABEL_VALUE.match(value):
        return f"`{shown(value)}` is not a valid label value ({_NAME_CHARS}, or empty)"
    return None


def annotations_size(pairs: Iterable[tuple[str, str]]) -> str | None:
    """All annotations of one object together: keys and values, at most 256 KiB."""
    size = sum(len(k.encode()) + len(v.encode()) for k, v in pairs)
    if size > ANNOTATIONS_MAX_BYTES:
        return f"the annotations take {size} bytes; Kubernetes allows {ANNOTATIONS_MAX_BYTES}"
    return None


# Words, not substrings: `max_tokens`, TOKENIZERS_PARALLELISM and PWD are not secrets.
_SECRET_PARTS = ("password", "passwd", "passphrase", "secret", "credential")
_SECRET_ENDINGS = ("token", "apikey", "accesskey", "privatekey")
_SECRET_WORD_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key")})


def name_words(name: str) -> list[str]:
    """`awsSecretAccessKey`, `AWS_SECRET_ACCESS_KEY`, `HFToken` -> lower-case words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])|([A-Z])([A-Z][a-z])", r"\1\3 \2\4", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


@functools.lru_cache(maxsize=4096)  # every key of a graph file is asked, twice; few differ
def secret_name(name: str) -> str | None:
    """'certain' for names that say they hold a secret, 'maybe' for `*_key`, else None."""
    words = name_words(name)
    if any(part in w for w in words for part in _SECRET_PARTS):
        return "certain"
    if any(w.endswith(_SECRET_ENDINGS) for w in words):
        return "certain"
    if _SECRET_WORD_PAIRS & set(itertools.pairwise(words)):
        return "certain"
    if words and words[-1] == "key":
        return "maybe"
    return None
