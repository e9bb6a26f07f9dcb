"""Hosted repositories over HTTP with a real git client: clone, commit, push with a token; refused without."""

from __future__ import annotations

from pathlib import Path

import httpx

from digital_factory.accounts.schemas import Role
from digital_factory.core.pagination import PageRequest
from digital_factory.repos import service as repos
from digital_factory.repos.events import PushReceived
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd
from tests.browser import LiveServer
from tests.factories import actor_of, make_user
from tests.platform.support import git, onboard, with_token


def test_clone_commit_push_with_a_token(live_server: LiveServer, tmp_path: Path) -> None:
    rt = live_server.runtime
    make_user(rt, "pia", Role.PLATFORM)
    erin = make_user(rt, "erin", Role.TEAM)
    result = onboard(rt, actor_of(rt, "pia"), members=["erin"])
    pushes: list[PushReceived] = []
    rt.store.bus.subscribe(PushReceived, pushes.append)

    url = f"{live_server.url}/git/engine-control.git"
    assert result.clone_url == url.replace(live_server.url, rt.public_url)
    anonymous = git("clone", url, str(tmp_path / "anon"), check=False)
    assert anonymous.returncode != 0 and "could not read Username" in anonymous.stderr  # asked for credentials
    challenge = httpx.get(url + "/info/refs", params={"service": "git-upload-pack"})
    assert challenge.status_code == 401 and challenge.headers["www-authenticate"] == 'Basic realm="factory"'
    assert not (tmp_path / "anon").exists()

    work = tmp_path / "work"
    git("clone", with_token(url, erin.token, "erin"), str(work))
    log = git("log", "--format=%s", cwd=work).stdout.splitlines()
    assert log == ["Start engine-control from the python-service v1.0.0 golden-path template"]
    assert (work / ".factory" / "pipeline.yml").is_file()

    (work / "CHANGELOG.md").write_text("first change\n")
    git("add", "CHANGELOG.md", cwd=work)
    git("commit", "-m", "Add a changelog", cwd=work)
    pushed = git("push", "origin", "main", cwd=work)
    assert pushed.returncode == 0, pushed.stderr
    head = git("rev-parse", "HEAD", cwd=work).stdout.strip()

    assert [(e.repository_key, e.ref, e.after, e.pusher) for e in pushes] == [
        ("engine-control", "refs/heads/main", head, "erin")
    ]
    with rt.store.unit_of_work(actor_of(rt, "pia"), write=False) as uow:
        recorded = repos.list_pushes(uow, "engine-control", PageRequest())
    assert next((p.ref, p.after, p.pusher) for p in recorded.items) == ("refs/heads/main", head, "erin")
    assert recorded.total == 2  # the onboarding's first push and this one


def test_push_needs_team_membership(live_server: LiveServer, tmp_path: Path) -> None:
    rt = live_server.runtime
    make_user(rt, "pia", Role.PLATFORM)
    outsider = make_user(rt, "olga", Role.TEAM)
    viewer = make_user(rt, "vic", Role.VIEWER)
    onboard(rt, actor_of(rt, "pia"))
    url = f"{live_server.url}/git/engine-control.git"

    work = tmp_path / "work"
    git("clone", with_token(url, viewer.token), str(work))  # reading needs only `read`
    (work / "x.txt").write_text("x\n")
    git("add", "x.txt", cwd=work)
    git("commit", "-m", "x", cwd=work)
    refused = git("push", with_token(url, outsider.token), "main", cwd=work, check=False)
    assert refused.returncode != 0 and "403" in refused.stderr

    with rt.store.unit_of_work(actor_of(rt, "pia")) as uow:
        teams.add_member(uow, "engines", MemberAdd(username="olga"))
    accepted = git("push", with_token(url, outsider.token), "main", cwd=work, check=False)
    assert accepted.returncode == 0, accepted.stderr
    wrong = git("clone", with_token(url, "dfat_not_a_token"), str(tmp_path / "bad"), check=False)
    assert wrong.returncode != 0
