"""Where credentials come from (the docker CLI's own places), and that they never show."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from seldon_graphs.registry import (
    Credentials,
    RegistryError,
    docker_config_json,
    hosts_in_docker_config_json,
    lookup,
    registry_host,
    repository_path,
)


def _config(folder: Path, body: object) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(body))
    return {"DOCKER_CONFIG": str(folder), "PATH": os.environ["PATH"]}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("reference", "host", "path"),
    [
        ("127.0.0.1:5000/team/income-label", "127.0.0.1:5000", "team/income-label"),
        ("registry.example.com/ml/x", "registry.example.com", "ml/x"),
        ("localhost/x", "localhost", "x"),
        ("seldon-graphs/income-label", "docker.io", "seldon-graphs/income-label"),
        ("python", "docker.io", "library/python"),
        ("docker.io/library/python", "docker.io", "library/python"),
        ("ghcr.io/org/team/model", "ghcr.io", "org/team/model"),
    ],
)
def test_registry_host_and_path_follow_dockers_rule(reference: str, host: str, path: str) -> None:
    assert registry_host(reference) == host
    assert repository_path(reference) == path


@pytest.mark.parametrize(
    "key",
    ["reg.example.com:5000", "https://reg.example.com:5000", "http://reg.example.com:5000/v1/"],
)
def test_auths_entry_by_host_or_by_the_urls_old_logins_wrote(tmp_path: Path, key: str) -> None:
    env = _config(tmp_path, {"auths": {key: {"auth": _b64("alice:pa:ss")}}})
    found = lookup("reg.example.com:5000", environ=env)
    assert found is not None
    assert (found.username, found.password) == ("alice", "pa:ss")  # split at the first colon
    assert found.source == str(tmp_path / "config.json")
    assert lookup("other.example.com", environ=env) is None


def test_username_and_password_fields_and_the_hub_key(tmp_path: Path) -> None:
    hub = {"https://index.docker.io/v1/": {"username": "bob", "password": "hub-secret"}}
    env = _config(tmp_path, {"auths": hub})
    found = lookup("docker.io", environ=env)
    assert found is not None and found.auth_config() == {
        "username": "bob",
        "password": "hub-secret",
    }


def test_no_config_file_is_anonymous_but_a_missing_auth_file_is_an_error(tmp_path: Path) -> None:
    assert lookup("r.example.com", environ={"DOCKER_CONFIG": str(tmp_path / "none")}) is None
    with pytest.raises(RegistryError, match=r"--registry-auth-file .*absent.json does not exist"):
        lookup("r.example.com", tmp_path / "absent.json")


def test_an_auth_file_replaces_the_docker_config(tmp_path: Path) -> None:
    env = _config(tmp_path / "home", {"auths": {"r.example.com": {"auth": _b64("home:one")}}})
    auth_file = tmp_path / "ci-auth.json"
    auth_file.write_text(json.dumps({"auths": {"r.example.com": {"auth": _b64("ci:two")}}}))
    found = lookup("r.example.com", auth_file, environ=env)
    assert found is not None and (found.username, found.source) == ("ci", str(auth_file))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"auths": {"r.example.com": {"auth": "hunter2-not-json', "is not a JSON Docker config"),
        ('["hunter2-in-a-list"]', "is not a JSON object (a Docker config)"),
        ('{"auths": {"r.example.com": {"auth": "aHVudGVyMg=="}}}', "not base64 of user:password"),
    ],
)
def test_broken_configs_are_named_never_quoted(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(RegistryError) as failure:
        lookup("r.example.com", environ={"DOCKER_CONFIG": str(tmp_path)})
    assert message in failure.value.message
    assert "hunter2" not in failure.value.render()


def _helper(folder: Path, name: str, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real credential helper program (docker-credential-NAME, a script) first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / f"docker-credential-{name}"
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_cred_helpers_are_asked_with_get_and_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real helper program (a script, as docker-credential-* are programs) on PATH."""
    bin_dir = tmp_path / "bin"
    _helper(
        bin_dir,
        "team",
        'read host; [ "$1" = get ] && [ "$host" = r.example.com ] && '
        'echo \'{"ServerURL":"r.example.com","Username":"helped","Secret":"from-helper"}\'\n',
        monkeypatch,
    )
    env = _config(tmp_path / "cfg", {"credHelpers": {"r.example.com": "team"}})
    found = lookup("r.example.com", environ=env)
    assert found is not None
    assert (found.username, found.password, found.source) == (
        "helped",
        "from-helper",
        "docker-credential-team",
    )


def test_a_helper_that_is_not_installed_is_named(tmp_path: Path) -> None:
    env = _config(tmp_path, {"credHelpers": {"r.example.com": "nowhere"}})
    with pytest.raises(RegistryError) as failure:
        lookup("r.example.com", environ=env)
    assert failure.value.message.endswith(
        "names the credential helper nowhere, but docker-credential-nowhere is not on PATH"
    )


def test_a_creds_store_without_an_entry_is_anonymous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _helper(
        tmp_path / "bin",
        "desk",
        'echo "credentials not found in native keychain"; exit 1\n',
        monkeypatch,
    )
    env = _config(tmp_path / "cfg", {"auths": {"r.example.com": {}}, "credsStore": "desk"})
    assert lookup("r.example.com", environ=env) is None


def test_a_creds_store_holds_what_docker_login_left_out_of_auths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _helper(
        tmp_path / "bin",
        "desk",
        'read host; echo "{\\"Username\\":\\"u-$host\\",\\"Secret\\":\\"from-store\\"}"\n',
        monkeypatch,
    )
    env = _config(tmp_path / "cfg", {"auths": {"r.example.com": {}}, "credsStore": "desk"})
    found = lookup("r.example.com", environ=env)
    assert found is not None
    assert (found.username, found.password, found.source) == (
        "u-r.example.com",
        "from-store",
        "docker-credential-desk",
    )


def test_credentials_never_show_in_repr() -> None:
    found = Credentials("alice", "s3cret-value", "somewhere")
    assert "s3cret" not in repr(found) and "alice" not in repr(found)


@pytest.mark.parametrize(
    ("host", "key"),
    [("127.0.0.1:5000", "127.0.0.1:5000"), ("docker.io", "https://index.docker.io/v1/")],
)
def test_the_pull_secrets_docker_config_grants_the_registry(host: str, key: str) -> None:
    text = docker_config_json(host, Credentials("alice", "pa:ss"))
    entry = json.loads(text)["auths"][key]
    assert entry == {"username": "alice", "password": "pa:ss", "auth": _b64("alice:pa:ss")}
    assert hosts_in_docker_config_json(text) == {host}
    assert hosts_in_docker_config_json("not json") is None
