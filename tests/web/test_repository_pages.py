"""The repository browser over HTTP: files highlighted, README rendered safely, commits with diffs, branches,
the clone URL; `/git/<key>.git` in a web browser goes there while git clients keep their protocol."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from tests.factories import make_user, web_login
from tests.repos.hosted import make_hosted

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def signed_in(client: TestClient, runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    commits = make_hosted(runtime, tmp_path)
    web_login(client, make_user(runtime, "ron"))
    return commits


def test_overview_lists_files_renders_the_readme_and_offers_the_clone_url(
    client: TestClient, runtime: Runtime, signed_in: dict[str, str]
) -> None:
    page = client.get("/repositories/rocket")
    assert page.status_code == 200
    html = page.text
    assert 'href="/repositories/rocket/tree/src?ref=main">src/</a>' in html
    assert 'href="/repositories/rocket/blob/README.md?ref=main">README.md</a>' in html
    assert "<h1>Rocket</h1>" in html  # the README, rendered
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'value="{runtime.public_url}/git/rocket.git"' in html and 'data-copy="#clone-url"' in html
    assert '<script src="/static/repositories.js" defer></script>' in html
    assert "More thrust" in html  # the last commit
    listing = client.get("/repositories")
    assert listing.status_code == 200 and 'href="/repositories/rocket"' in listing.text


def test_files_are_highlighted_and_links_are_not_followed(client: TestClient, signed_in: dict[str, str]) -> None:
    code = client.get("/repositories/rocket/blob/src/motor.py")
    assert code.status_code == 200
    assert '<div class="highlight">' in code.text and '<span class="k">def</span>' in code.text
    link = client.get("/repositories/rocket/blob/passwd")
    assert link.status_code == 200 and "Points to <code>/etc/passwd</code>" in link.text and "root:" not in link.text
    assert "binary file" in client.get("/repositories/rocket/blob/logo.bin").text
    assert "larger than" in client.get("/repositories/rocket/blob/big.txt").text
    older = client.get("/repositories/rocket/tree/src", params={"ref": "experiment"})
    assert older.status_code == 200 and "engine.py" in older.text and "motor.py" not in older.text
    refused = client.get("/repositories/rocket/blob/src/../../etc/passwd")
    assert refused.status_code in {404, 422}
    assert client.get("/repositories/rocket/blob/nothing.txt").status_code == 404


def test_commits_diffs_and_branches(client: TestClient, signed_in: dict[str, str]) -> None:
    log = client.get("/repositories/rocket/commits")
    assert log.status_code == 200
    assert f'href="/repositories/rocket/commits/{signed_in["second"]}"' in log.text and "First flight" in log.text
    diff = client.get(f"/repositories/rocket/commits/{signed_in['second']}")
    assert diff.status_code == 200
    assert "renamed from src/engine.py" in diff.text and "return 43" in diff.text and 'class="gd"' in diff.text
    branches = client.get("/repositories/rocket/branches")
    assert branches.status_code == 200 and "experiment" in branches.text and ">default<" in branches.text
    assert client.get("/repositories/rocket/commits/not-a-sha").status_code == 422


def test_git_url_in_a_browser_goes_to_the_repository_page(client: TestClient, signed_in: dict[str, str]) -> None:
    for path in ("/git/rocket.git", "/git/rocket.git/", "/git/rocket"):
        opened = client.get(path, headers=HTML, follow_redirects=False)
        assert (opened.status_code, opened.headers["location"]) == (303, "/repositories/rocket"), path
    # a git client asks for the protocol, not a page: it keeps getting git's answers
    assert client.get("/git/rocket.git", headers={"Accept": "*/*"}, follow_redirects=False).status_code == 404
    refs = client.get("/git/rocket.git/info/refs", params={"service": "git-upload-pack"}, headers=HTML)
    assert refs.status_code == 401 and "www-authenticate" in refs.headers
