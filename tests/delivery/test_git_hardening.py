"""Delivery reads arbitrary remote sources, so its git calls carry repos' hardening: no program a repository
or the environment could name (ssh command, proxy, credential helper, hooks) ever runs."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from digital_factory.delivery import sources
from digital_factory.repos.service import GitError
from tests.delivery.gitrepo import git, make_repo

OVERRIDES = {
    "core.sshCommand": "false",
    "core.gitProxy": "",
    "credential.helper": "",
    "core.hooksPath": "/dev/null",
    "protocol.ext.allow": "never",
}


def test_delivery_git_calls_override_what_a_repository_configures(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"README.md": "hello\n"})
    for key in OVERRIDES:
        git("config", key, str(tmp_path / "evil-program"), cwd=repo.bare)
    repository = sources.Repository.open(str(repo.bare), tmp_path / "mirrors")
    for key, value in OVERRIDES.items():
        seen = sources.git("config", "--get-all", key, git_dir=repository.git_dir).splitlines()
        assert seen[-1] == value, (key, seen)  # the last value wins: the override, not the repository's


def test_every_delivery_git_process_gets_the_overrides_even_for_a_remote_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environments: list[dict[str, str]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> Any:
        environments.append(dict(kwargs["env"]))
        return real_popen(*args, **kwargs)

    repo = make_repo(tmp_path, {"README.md": "hello\n"})
    monkeypatch.setattr(subprocess, "Popen", recording_popen)  # the runner starts every git process here
    local = sources.Repository.open(str(repo.bare), tmp_path / "mirrors")
    local.log(local.resolve("main"))
    with pytest.raises(GitError):  # ssh is forced to `false`: the clone fails at once, no ssh client runs
        sources.Repository.open("ssh://git@example.invalid/repo.git", tmp_path / "mirrors")
    assert len(environments) >= 4
    for env in environments:
        configured = {
            env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))
        }
        assert {key: configured.get(key) for key in OVERRIDES} == OVERRIDES
