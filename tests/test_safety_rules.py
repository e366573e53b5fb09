"""Each check of seldon_graphs/safety.py at its edges, with the exact sentence it returns
(written to kill the mutants `make mutation` found surviving there: a limit moved by one,
a rule dropped, a message changed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seldon_graphs import safety


def test_shown_puts_control_characters_on_one_line() -> None:
    assert safety.shown("a\nb\tc\x1b") == "a\\nb\\tc\\x1b"
    assert safety.shown("plain") == "plain"


@pytest.mark.parametrize("name", ["a", "a-b", "0a9", "a" * 63])
def test_dns_labels_that_pass(name: str) -> None:
    assert safety.dns_label(name) is None


def test_dns_label_limits_and_shape() -> None:
    assert safety.dns_label("a" * 64) == (
        f"`{'a' * 64}` is 64 characters; Kubernetes names allow at most 63"
    )
    shape = (
        "is not a DNS-1123 label (lower-case letters, digits and `-`, "
        "starting and ending with a letter or digit)"
    )
    for bad in ("-a", "a-", "A", "a.b", ""):
        assert safety.dns_label(bad) == f"`{bad}` {shape}"


def test_masked_hides_only_the_userinfo_of_urls() -> None:
    assert safety.masked("pkg @ https://me:pw@host/x") == "pkg @ https://***@host/x"
    assert safety.masked("mail me@host") == "mail me@host"


@pytest.mark.parametrize(
    "line",
    [
        "numpy",
        "numpy==1.26.4",
        "scikit-learn>=1.3,<2",
        "pkg[extra1, extra2] ~= 1.0",
        "torch===2.1.0+cpu",
        "pkg; python_version >= '3.8'",
        'pkg>1 ; sys_platform == "linux" and python_version < "3.12"',
        "  numpy  ",
        "a" * 300,
    ],
)
def test_plain_requirements_pass(line: str) -> None:
    assert safety.requirement(line) is None


def test_requirements_that_are_not_one_line() -> None:
    why = "a requirement must be one non-empty line"
    for line in ("", "   ", "numpy\nscipy", "numpy\r"):
        assert safety.requirement(line) == why


def test_requirement_options_and_syntax_are_refused_with_the_credentials_masked() -> None:
    assert safety.requirement("--index-url https://u:p@x/simple") == (
        "pip options are not allowed in requirements: `--index-url https://***@x/simple`"
    )
    tail = (
        " is not a plain requirement (`name[extras] <op> version`); "
        "URLs, paths, options and shell syntax are not allowed"
    )
    # `$` passes the grammar inside a marker's quotes; the shell must still never see it
    marker_variable = "pkg; python_version == '$HOME'"
    for line in ("pkg @ https://u:p@x/p.whl", marker_variable, "a\\b", "./local", "a" * 301):
        shown = safety.shown(safety.masked(line))
        assert safety.requirement(line) == f"`{shown}`{tail}"


@pytest.mark.parametrize(
    ("line", "owned"),
    [
        ("seldon-core==1.17.1", True),
        ("Seldon_Core>=1", True),
        ("seldon.core", True),
        ("seldon-core[extra]", True),
        ("  seldon-core ; python_version > '3'", True),
        ("seldon-core-extras", False),
        ("seldon", False),
    ],
)
def test_seldon_core_requirements_belong_to_the_runtime(line: str, owned: bool) -> None:
    assert safety.requirement_owned_by_runtime(line) is owned


def test_python_identifiers() -> None:
    assert safety.python_identifier("Model_1") is None
    for bad in ("1model", "class", "mödel", "a-b", ""):
        assert safety.python_identifier(bad) == f"`{bad}` is not a Python identifier"


@pytest.mark.parametrize(
    "ref",
    [
        "nginx",
        "registry.local:5000/team/model:1.0",
        "a__b/c--d:tag_1",
        f"repo@sha256:{'a' * 64}",
        "r/" + "a" * 253,
    ],
)
def test_image_refs_that_pass(ref: str) -> None:
    assert safety.image_ref(ref) is None


def test_image_refs_that_do_not() -> None:
    for bad in ("Nginx", "a:b:c", "x;rm -rf /", "a/" + "a" * 254, f"r@sha256:{'a' * 63}"):
        assert safety.image_ref(bad) == (
            f"`{safety.shown(bad)}` is not a valid image reference (registry/name:tag)"
        )


def test_env_names() -> None:
    assert safety.env_name("_A1") is None
    for bad in ("1A", "A-B", "", "A B"):
        assert safety.env_name(bad) == f"`{bad}` is not a valid environment variable name"


def test_versions() -> None:
    for good in ("3.11", "1.17.1", "3.11.4rc1"):
        assert safety.version(good) is None
    for bad in ("3", "v3.11", "1.x", "3.11 ", ""):
        assert safety.version(bad) == f"`{bad}` is not a version number"


def test_project_paths(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "out").symlink_to("/")
    assert safety.project_path(tmp_path, "models/m.joblib") == (
        (tmp_path / "models/m.joblib").resolve(),
        None,
    )
    refused = {
        "": "empty path",
        "a\x00b": "empty path",
        "a\\b": "`a\\\\b` is not a POSIX path relative to the project directory",
        "C:/x": "`C:/x` is not a POSIX path relative to the project directory",
        "/etc/passwd": "`/etc/passwd` is absolute; paths are relative to the project directory",
        "models/../../x": "`models/../../x` leaves the project directory",
        "out/etc": "`out/etc` leaves the project directory (through a symbolic link)",
    }
    for rel, why in refused.items():
        assert safety.project_path(tmp_path, rel) == (None, why)


def test_credentials_by_folder_and_name() -> None:
    assert safety.credential("src/.git/config") == (
        "`.git` holds version-control metadata (CI tokens live in .git/config)"
    )
    for folder in (".ssh", ".aws", ".kube", ".docker", ".gnupg", ".azure", ".gcloud"):
        assert safety.credential(f"{folder}/x") == f"files under `{folder}/` hold logins and keys"
    for folder in (".git", ".hg", ".svn"):
        assert safety.credential(f"{folder}/x") == (
            f"`{folder}` holds version-control metadata (CI tokens live in {folder}/config)"
        )
    assert safety.credential("home/.config/gcloud/x.json") == (
        "files under `gcloud/` hold logins and keys"
    )
    assert safety.credential("gcloud/x.json") is None
    assert (
        safety.credential("conf/.env.prod") == "a file named `.env.prod` usually holds credentials"
    )
    assert safety.credential("tls/server.key") == (
        "a file named `server.key` usually holds credentials"
    )
    for harmless in (".env.example", "model.joblib", "keys.py", ""):
        assert safety.credential(harmless) is None


def test_credential_content_is_sniffed_in_the_first_mebibyte_only() -> None:
    key = b"-----BEGIN RSA PRIVATE KEY-----"
    why = "it holds a private key or an access secret"
    assert safety.credential_content(key) == why
    assert safety.credential_content(b'{"private_key" : "x"}') == why
    assert safety.credential_content(b"aws_secret_access_key = " + b"A" * 40) == why
    assert safety.credential_content(b"aws_secret_access_key = " + b"A" * 39) is None
    mib = 1024 * 1024  # docs/images.md: content is checked in files of at most 1 MiB
    assert safety.credential_content(b"x" * (mib - len(key)) + key) == why
    assert safety.credential_content(b"x" * (mib - len(key) + 1) + key) is None


def test_dns_subdomain_limits() -> None:
    assert safety.dns_subdomain("a." * 126 + "a") is None  # 253 characters
    long = "a" * 254
    assert safety.dns_subdomain(long) == (
        f"`{'a' * 40}...` is 254 characters; Kubernetes allows at most 253"
    )
    assert safety.dns_subdomain("a..b") == (
        "`a..b` is not a DNS-1123 subdomain (lower-case letters, digits, `-` "
        "and `.`, starting and ending with a letter or digit)"
    )


def test_qualified_names() -> None:
    chars = "letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"
    assert safety.qualified_name("example.com/My_key-1") is None
    assert safety.qualified_name("a" * 63) is None
    assert safety.qualified_name("/x") == "`/x` has an empty prefix before `/`"
    assert safety.qualified_name("a/b/c") == "`a/b/c` has more than one `/`"
    assert safety.qualified_name("Example.com/x") == (
        "`Example.com/x`: `Example.com` is not a DNS-1123 subdomain (lower-case letters, "
        "digits, `-` and `.`, starting and ending with a letter or digit)"
    )
    assert safety.qualified_name("Example.com/x", fold_case=True) is None
    assert safety.qualified_name("a.io/") == "`a.io/` has an empty name"
    assert safety.qualified_name("a" * 64) == (
        f"`{'a' * 64}`: its name part is 64 characters; at most 63"
    )
    assert safety.qualified_name("-a") == f"`-a`: its name part must be {chars}"


def test_label_values() -> None:
    assert safety.label_value("") is None
    assert safety.label_value("A" * 63) is None
    assert safety.label_value("A" * 64) == (
        f"`{'A' * 40}...` is 64 characters; label values allow 63"
    )
    assert safety.label_value("a b") == (
        "`a b` is not a valid label value (letters, digits, `-`, `_` and `.`, starting "
        "and ending with a letter or digit, or empty)"
    )


def test_annotations_size_counts_bytes_of_keys_and_values() -> None:
    limit = 256 * 1024  # Kubernetes' TotalAnnotationSizeLimitB
    assert safety.annotations_size([("k", "v" * (limit - 1))]) is None
    assert safety.annotations_size([("k", "é" * (limit // 2))]) == (
        f"the annotations take {limit + 1} bytes; Kubernetes allows {limit}"
    )
    assert safety.annotations_size([]) is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("DB_PASSWORD", "certain"),
        ("awsSecretAccessKey", "certain"),
        ("HFToken", "certain"),
        ("OPENAI_APIKEY", "certain"),
        ("api_key", "certain"),
        ("ACCESS_KEY", "certain"),
        ("private-key", "certain"),
        ("AWSACCESSKEY", "certain"),
        ("sshprivatekey", "certain"),
        ("SIGNING_KEY", "maybe"),
        ("max_tokens", None),
        ("KEY_PATH", None),
        ("PWD", None),
        ("", None),
    ],
)
def test_secret_names(name: str, kind: str | None) -> None:
    assert safety.secret_name(name) == kind
