"""Which project files go into a build context: credential rules, the ignore file, layout.

Real files in a temporary project (symlinks, permissions and all); the plan is what
`compile` writes and `build` sends.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from seldon_graphs import safety
from seldon_graphs.spec import Role
from seldon_graphs.wrapper.context import (
    ContextError,
    ContextPlan,
    Finding,
    check_context,
    plan_context,
)
from seldon_graphs.wrapper.ignore import load_rules, parse_rules

from .conftest import FIXTURE_PROJECT, graph_spec, python_node

PEM_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    shutil.copytree(FIXTURE_PROJECT, project)
    return project


def _put(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _plan(root: Path, *files: str, **kw: object) -> ContextPlan:
    node = python_node(files=files, **kw)
    return plan_context(graph_spec(node, root=root), node, Role.MODEL)


def _findings(root: Path, *files: str, **kw: object) -> list[tuple[str, str, bool]]:
    """(key, rule, is error) of every finding, in order."""
    node = python_node(files=files, **kw)
    return [(f.key, f.rule, f.error) for f in check_context(graph_spec(node, root=root), node)]


# --- the credential rules -------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        ".env",
        ".env.production",
        ".env.local",
        "conf/.ENV.staging",
        ".envrc",
        ".git-credentials",
        ".gitconfig",
        ".pgpass",
        ".netrc",
        "_netrc",
        ".npmrc",
        ".pypirc",
        ".yarnrc.yml",
        ".dockercfg",
        ".vault-token",
        ".s3cfg",
        "kubeconfig",
        "prod.kubeconfig",
        "kubeconfig.yaml",
        "client_secret.json",
        "client_secret_1234-abc.apps.googleusercontent.com.json",
        "credentials",
        "credentials.json",
        "service-account.json",
        "service_account_prod.json",
        "token.json",
        "secrets.yaml",
        "secret.toml",
        "id_rsa",
        "id_rsa.pub",
        "id_ed25519",
        "ssl/server.key",
        "client.p12",
        "store.pfx",
        "keys/app.jks",
        "putty.ppk",
        "terraform.tfstate",
        "prod.tfvars",
        ".aws/credentials",
        ".aws/config",
        ".docker/config.json",
        "home/.ssh/known_hosts",
        ".kube/config",
        ".gnupg/pubring.kbx",
        ".config/gcloud/application_default_credentials.json",
        ".git/config",
        ".git",
        "vendor/.hg/hgrc",
        ".svn/entries",
    ],
)
def test_credential_paths(rel: str) -> None:
    assert safety.credential(rel) is not None


@pytest.mark.parametrize(
    "rel",
    [
        "config.json",  # Hugging Face model folders
        "hf/bert/config.json",
        "tokenizer.json",
        "special_tokens_map.json",
        ".env.example",
        ".env.sample",
        ".env.template",
        "model.safetensors",
        "keys.py",
        "secret_sauce.py",
        "credentials_schema.csv",
        "ca-bundle.pem",  # by content, not by name
        "environment.yml",
        "docs/token-budget.md",
        "gcloud/helper.py",
    ],
)
def test_not_credential_paths(rel: str) -> None:
    assert safety.credential(rel) is None


@pytest.mark.parametrize(
    "content",
    [
        PEM_KEY,
        "-----BEGIN PRIVATE KEY-----\nMIIE\n",
        "-----BEGIN EC PRIVATE KEY-----\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
        '{"type": "service_account", "private_key": "-----BEGIN"}',
        '{"private_key" : "x"}',
        "[default]\naws_secret_access_key = " + "A" * 40 + "\n",
    ],
)
def test_credential_contents(content: str) -> None:
    assert safety.credential_content(content.encode()) is not None


@pytest.mark.parametrize(
    "content",
    [
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "-----BEGIN PUBLIC KEY-----\n",
        '{"hidden_size": 768, "model_type": "bert"}',
        "aws_secret_access_key = os.environ['KEY']",
    ],
)
def test_not_credential_contents(content: str) -> None:
    assert safety.credential_content(content.encode()) is None


# --- the ignore file (Docker's .dockerignore rules) -------------------------------------


@pytest.mark.parametrize(
    ("patterns", "rel", "ignored"),
    [
        ("*.bin", "a.bin", True),
        ("*.bin", "d/a.bin", False),  # `*` never crosses `/`
        ("**/*.bin", "d/e/a.bin", True),
        ("**/*.bin", "a.bin", True),
        ("data", "data/x/y.csv", True),  # a matching folder takes everything under it
        ("data/*", "data/x/y.csv", True),
        ("/data", "data/a", True),
        ("./data/", "data/a", True),
        ("data", "database/a", False),
        ("d?ta", "data/a", True),
        ("d?ta", "dta/a", False),
        ("[a-c].txt", "b.txt", True),
        ("[a-c].txt", "d.txt", False),
        ("[^a].txt", "b.txt", True),
        ("[^a].txt", "a.txt", False),
        ("[]x].txt", "].txt", True),
        ("*.txt\n!keep.txt", "keep.txt", False),
        ("*.txt\n!keep.txt", "drop.txt", True),
        ("!keep.txt\n*.txt", "keep.txt", True),  # the last matching line wins
        ("data\n!data/keep", "data/keep/x", False),
        ("data\n!data/keep", "data/other", True),
        ("# a comment\n\n   *.log   ", "a.log", True),
        ("# a comment", "# a comment", False),
        ("\\#x", "#x", True),
        ("**", "any/thing", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b/c", True),
        ("a/**", "a/x", True),
        ("a.b", "axb", False),  # `.` is literal
    ],
)
def test_ignore_patterns(patterns: str, rel: str, ignored: bool) -> None:
    rules = parse_rules(".seldon-graphs-ignore", patterns)
    assert rules.problems == ()
    assert (rules.match(rel) is not None) is ignored


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[a-", "closing"),
        ("[z-a]", "is not a valid pattern"),
        ("!", "negates nothing"),
        ("x\\", "escapes nothing"),
    ],
)
def test_bad_ignore_patterns_are_problems(line: str, problem: str) -> None:
    rules = parse_rules(".dockerignore", f"ok\n{line}\n")
    assert len(rules.problems) == 1
    assert rules.problems[0].startswith("`.dockerignore` line 2: ")
    assert problem in rules.problems[0]
    assert [p.text for p in rules.patterns] == ["ok"]


def test_seldon_graphs_ignore_wins_over_dockerignore(root: Path) -> None:
    assert load_rules(root).file is None
    _put(root, {".dockerignore": "*.txt\n"})
    assert load_rules(root).file == ".dockerignore"
    _put(root, {".seldon-graphs-ignore": "*.csv\n"})
    rules = load_rules(root)
    assert rules.file == ".seldon-graphs-ignore"
    assert rules.match("a.txt") is None and rules.match("a.csv") is not None


# --- what a folder contributes ------------------------------------------------------------

SECRETS = {
    "models/assets/.env.production": "TOKEN=x\n",
    "models/assets/.git-credentials": "https://u:t@github.com\n",
    "models/assets/.pgpass": "h:5432:*:u:p\n",
    "models/assets/kubeconfig": "apiVersion: v1\n",
    "models/assets/client_secret.json": "{}\n",
    "models/assets/.aws/credentials": "[default]\n",
    "models/assets/.docker/config.json": '{"auths": {}}\n',
    "models/assets/tls/server.pem": PEM_KEY,
    "models/assets/sa-7f3a.json": '{"type": "service_account", "private_key": "k"}\n',
}


def test_credentials_in_a_folder_are_left_out_with_a_warning_each(root: Path) -> None:
    _put(root, SECRETS)
    _put(root, {"models/assets/config.json": "{}\n", "models/assets/tls/ca.pem": "CERT\n"})
    node = python_node(files=("models/assets",))
    findings = check_context(graph_spec(node, root=root), node)
    assert all(f.key == "files[0]" and f.rule == "credential-file" for f in findings)
    assert not any(f.error for f in findings)
    named = sorted(f.message.split("`")[1] for f in findings)
    assert named == sorted(SECRETS)
    plan = _plan(root, "models/assets")
    assert {rel for rel in plan.files if rel.startswith("assets/")} == {
        "assets/config.json",
        "assets/tls/ca.pem",
    }
    assert sorted(f.message.split("`")[1] for f in plan.warnings) == sorted(SECRETS)


@pytest.mark.parametrize(
    "rel", [*SECRETS, "models/assets/.aws", "models/assets/.docker", ".git", ".git/config"]
)
def test_a_listed_credential_is_an_error(root: Path, rel: str) -> None:
    _put(root, SECRETS)
    _put(root, {".git/config": "[remote] url = https://x:tok@github.com/a/b\n"})
    assert _findings(root, "models/note.txt", rel) == [("files[1]", "credential-file", True)]
    with pytest.raises(ContextError, match="is not copied"):
        _plan(root, rel)


def test_a_link_is_judged_by_its_target_too(root: Path) -> None:
    _put(root, {".env.production": "TOKEN=x\n", "models/data/real.txt": "r\n"})
    (root / "models/data/harmless.txt").symlink_to("../../.env.production")
    (root / "models/data/alias.txt").symlink_to("real.txt")
    node = python_node(files=("models/data",))
    (finding,) = check_context(graph_spec(node, root=root), node)
    assert finding == Finding(
        "`models/data/harmless.txt` is not copied: it links to `.env.production`: a file "
        "named `.env.production` usually holds credentials",
        "credential-file",
        "files[0]",
        "double",
        finding.help,
        error=False,
    )
    plan = _plan(root, "models/data")
    assert plan.files["data/alias.txt"] == b"r\n"
    assert "data/harmless.txt" not in plan.files
    assert _findings(root, "models/data/harmless.txt") == [("files[0]", "credential-file", True)]


def test_vcs_and_cache_folders_inside_a_listed_folder_are_skipped_silently(root: Path) -> None:
    _put(root, {"models/lib/.git/config": "token\n", "models/lib/__pycache__/x.pyc": "\0"})
    _put(root, {"models/lib/.hg/hgrc": "x\n", "models/lib/util.py": "X = 1\n"})
    assert _findings(root, "models/lib") == []
    assert [rel for rel in _plan(root, "models/lib").files if "lib/" in rel] == ["lib/util.py"]


def test_a_folder_holding_the_module_copies_it_once(root: Path) -> None:
    _put(root, {"models/helpers.py": "H = 1\n"})
    assert "helpers.py" in _plan(root, "models").files
    for listed in ("models", "models/doubler.py", "."):
        plan = _plan(root, listed)
        assert "doubler.py" in plan.files and plan.warnings == ()
        assert sum(content == plan.files["doubler.py"] for content in plan.files.values()) == 1


def test_generated_names_in_a_folder_are_left_out_listed_ones_refused(root: Path) -> None:
    _put(root, {"models/Dockerfile": "FROM x\n", "models/requirements.txt": "six\n"})
    _put(root, {"models/.s2i/environment": "X=1\n", "models/seldon_graphs_entry.py": "x\n"})
    assert _findings(root, "models") == [("files[0]", "file-clash", False)] * 4
    plan = _plan(root, "models")
    assert plan.files["Dockerfile"].startswith(b"# Generated by seldon-graphs")
    assert b"six" not in plan.files["requirements.txt"]
    for rel in ("models/Dockerfile", "models/requirements.txt", "models/seldon_graphs_entry.py"):
        assert _findings(root, rel) == [("files[0]", "file-clash", True)]
    # The node's own requirements file, in a listed folder or listed, is used, not copied.
    assert (
        _findings(root, "models", requirements_file="models/requirements.txt")
        == [("files[0]", "file-clash", False)] * 3
    )
    assert (
        _findings(root, "models/requirements.txt", requirements_file="models/requirements.txt")
        == []
    )


def test_the_ignore_file_shapes_folders_and_refuses_listed_files(root: Path) -> None:
    _put(root, {"models/data/a.csv": "1\n", "models/data/b.csv": "2\n", "models/data/c.bin": "3"})
    _put(root, {".seldon-graphs-ignore": "models/data/*.csv\n!models/data/b.csv\n"})
    plan = _plan(root, "models/data")
    assert sorted(rel for rel in plan.files if rel.startswith("data/")) == [
        "data/b.csv",
        "data/c.bin",
    ]
    assert plan.warnings == ()
    node = python_node(files=("models/data/a.csv",))
    (finding,) = check_context(graph_spec(node, root=root), node)
    assert (finding.rule, finding.error) == ("ignored-file", True)
    assert "line 1 of `.seldon-graphs-ignore` (`models/data/*.csv`)" in finding.message
    _put(root, {".seldon-graphs-ignore": "models/data/*.csv\n[oops\n"})
    assert _findings(root, "models/data") == [("files", "ignore-file", True)]


def test_an_ignored_credential_is_not_reported(root: Path) -> None:
    _put(root, {"models/data/.env": "X=1\n", ".dockerignore": "**/.env\n"})
    assert _findings(root, "models/data") == []
    assert "data/.env" not in _plan(root, "models/data").files


def test_links_inside_a_folder(root: Path, tmp_path: Path) -> None:
    _put(root, {"shared/vocab.txt": "v\n", "models/data/x.txt": "x\n"})
    (root / "models/data/shared").symlink_to("../../shared")  # a folder inside: followed
    (root / "models/data/loop").symlink_to(".")  # a cycle: followed no further
    plan = _plan(root, "models/data")
    assert {"data/x.txt", "data/shared/vocab.txt"} <= set(plan.files)
    assert not any("loop" in rel for rel in plan.files)
    (root / "models/data/gone").symlink_to("missing.txt")
    assert _findings(root, "models/data") == [("files[0]", "broken-link", False)]
    (tmp_path / "outside").mkdir()
    (root / "models/data/out-dir").symlink_to(tmp_path / "outside")
    (root / "models/data/out-file").symlink_to("/etc/hostname")
    assert _findings(root, "models/data") == [
        ("files[0]", "broken-link", False),
        ("files[0]", "path-escape", True),
        ("files[0]", "path-escape", True),
    ]
    with pytest.raises(ContextError, match="`models/data/out-dir` links outside the project"):
        _plan(root, "models/data")


def test_special_files_are_never_read(root: Path) -> None:
    (root / "models/data").mkdir()
    os.mkfifo(root / "models/data/pipe")
    assert _findings(root, "models/data") == []  # skipped in a folder
    assert _findings(root, "models/data/pipe") == [("files[0]", "io", True)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_an_error_not_a_traceback(root: Path) -> None:
    _put(root, {"models/data/locked.txt": "x\n"})
    (root / "models/data/locked.txt").chmod(0)
    try:
        assert _findings(root, "models/data") == [("files[0]", "io", True)]
    finally:
        (root / "models/data/locked.txt").chmod(0o644)


def test_the_tag_does_not_depend_on_the_project_folders_name(tmp_path: Path) -> None:
    plans = []
    for name in ("clone-a", "some other name"):
        project = tmp_path / name
        shutil.copytree(FIXTURE_PROJECT, project)
        _put(project, {"shared/vocab/en.txt": "a b\n"})
        plans.append([_plan(project, listed) for listed in (".", "shared/vocab", "./models")])
    assert [p.image for p in plans[0]] == [p.image for p in plans[1]]
    assert {"graph.yaml", "models/note.txt", "shared/vocab/en.txt"} <= set(plans[0][0].files)
    assert not any("clone-a" in rel for p in plans[0] for rel in p.files)
    assert "vocab/en.txt" in plans[0][1].files and "note.txt" in plans[0][2].files


def test_a_requirements_file_that_looks_like_a_credential_is_never_read(root: Path) -> None:
    _put(root, {".env": "API_TOKEN=hunter2\n"})
    node = python_node(requirements_file=".env")
    (finding,) = check_context(graph_spec(node, root=root), node)
    assert (finding.key, finding.rule) == ("requirements", "credential-file")
    assert "hunter2" not in finding.message


def test_a_requirement_never_shows_url_credentials(root: Path) -> None:
    _put(root, {"models/reqs.txt": "six\n--extra-index-url https://bob:s3cret@pypi.example/\n"})
    node = python_node(requirements_file="models/reqs.txt")
    (finding,) = check_context(graph_spec(node, root=root), node)
    assert finding.message == (
        "`models/reqs.txt` line 2: pip options are not allowed in requirements: "
        "`--extra-index-url https://***@pypi.example/`"
    )


@pytest.mark.parametrize("registry", ["Registry.example.com/ml", "LOCALHOST:5000/x"])
def test_upper_case_registry_hosts_are_refused(registry: str) -> None:
    node = python_node()
    with pytest.raises(ContextError, match="lower case"):
        plan_context(graph_spec(node, registry=registry), node, Role.MODEL)
