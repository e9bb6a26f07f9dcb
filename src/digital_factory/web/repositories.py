"""The repository browser: hosted repositories' files, README, commits with their diffs, branches, clone URL.

Git is read through the repos face (bounded, `read` checked there). Code is highlighted with Pygments and
README files rendered with markdown-it in CommonMark mode with raw HTML off: both escape what they show.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup
from pygments import highlight as pygmentize
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import DiffLexer, TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from digital_factory.core.pagination import PageRequest
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import Blob, Repository
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import read, runtime
from digital_factory.web.pages import PageViewer
from digital_factory.web.paging import Offset
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)
ACTIVE = "platform"
COMMITS_PER_PAGE = 30
HIGHLIGHT_MAX_CHARS = 200_000  # past this a file is shown plain (highlighting is the slow part)
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
_FORMATTER = HtmlFormatter(linenos="table", cssclass="highlight", wrapcode=True)
_DIFF_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


def _lexer(path: str, text: str) -> Lexer:
    if len(text) > HIGHLIGHT_MAX_CHARS:
        return TextLexer()
    try:
        return get_lexer_for_filename(path.rsplit("/", 1)[-1], text)
    except ClassNotFound:
        return TextLexer()


def highlighted(path: str, text: str) -> Markup:
    """A file's text as highlighted HTML with line numbers (Pygments escapes the text)."""
    return Markup(pygmentize(text, _lexer(path, text), _FORMATTER))  # noqa: S704  (Pygments output is escaped)


def highlighted_diff(patch: str) -> Markup:
    return Markup(pygmentize(patch, DiffLexer(), _DIFF_FORMATTER))  # noqa: S704  (Pygments output is escaped)


def markdown(text: str) -> Markup:
    """Markdown as HTML: raw HTML in it is escaped, unsafe link schemes (javascript:, data:) refused."""
    return Markup(_MARKDOWN.render(text))  # noqa: S704  (html off: markdown-it escapes every raw tag)


def _clone_url(request: Request, key: str) -> str:
    rt = runtime(request)
    return rt.repo_host.clone_url(key, rt.public_url)


def _crumbs(path: str) -> list[tuple[str, str]]:
    """(name, path) for each folder on the way to `path`."""
    parts = [p for p in path.split("/") if p]
    return [(name, "/".join(parts[: i + 1])) for i, name in enumerate(parts)]


def _page(request: Request, viewer: Any, template: str, repository: Repository, **context: Any) -> Response:
    return render(
        request,
        template,
        viewer,
        active=ACTIVE,
        repository=repository,
        clone_url=_clone_url(request, repository.key),
        **context,
    )


@router.get("/repositories", response_class=HTMLResponse)
def index(request: Request, viewer: PageViewer, offset: Offset = 0) -> Response:
    page = read(request, viewer, lambda uow: repos.list_repositories(uow, PageRequest(limit=50, offset=offset)))
    urls = {r.key: _clone_url(request, r.key) for r in page.items}
    return render(request, "repositories.html", viewer, active=ACTIVE, page=page, urls=urls)


@router.get("/repositories/{key}", response_class=HTMLResponse)
def overview(request: Request, viewer: PageViewer, key: str, ref: str | None = None) -> Response:
    return tree(request, viewer, key, "", ref)


@router.get("/repositories/{key}/tree/{path:path}", response_class=HTMLResponse)
def tree(request: Request, viewer: PageViewer, key: str, path: str, ref: str | None = None) -> Response:
    host = runtime(request).repo_host

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        repository = repos.get_repository(uow, key)
        branches = repos.list_branches(uow, host, key)
        if not branches:
            return {"repository": repository, "branches": [], "listing": None, "readme": None, "last": None}
        listing = repos.list_tree(uow, host, key, ref=ref, path=path)
        last = repos.list_commits(uow, host, key, PageRequest(limit=1), ref=listing.sha, path=listing.path)
        return {
            "repository": repository,
            "branches": branches,
            "listing": listing,
            "readme": repos.find_readme(uow, host, key, listing),
            "last": last.items[0] if last.items else None,
        }

    found = read(request, viewer, gather)
    readme: Blob | None = found.pop("readme")
    rendered = None
    if readme is not None and readme.text is not None:
        is_markdown = readme.path.lower().endswith((".md", ".markdown"))
        rendered = markdown(readme.text) if is_markdown else Markup("<pre>{}</pre>").format(readme.text)
    listing = found["listing"]
    return _page(
        request,
        viewer,
        "repository.html",
        found.pop("repository"),
        ref=listing.ref if listing else None,
        crumbs=_crumbs(listing.path) if listing else [],
        readme=readme,
        readme_html=rendered,
        tab="code",
        **found,
    )


@router.get("/repositories/{key}/blob/{path:path}", response_class=HTMLResponse)
def blob(request: Request, viewer: PageViewer, key: str, path: str, ref: str | None = None) -> Response:
    host = runtime(request).repo_host

    def gather(uow: UnitOfWork) -> tuple[Repository, Blob]:
        return repos.get_repository(uow, key), repos.read_blob(uow, host, key, path, ref)

    repository, file = read(request, viewer, gather)
    code = highlighted(file.path, file.text) if file.text is not None and file.kind == "blob" else None
    return _page(
        request,
        viewer,
        "repository_blob.html",
        repository,
        file=file,
        code=code,
        ref=file.ref,
        crumbs=_crumbs(file.path),
        max_bytes=repos.MAX_BLOB_BYTES,
        tab="code",
    )


@router.get("/repositories/{key}/commits", response_class=HTMLResponse)
def commits(
    request: Request,
    viewer: PageViewer,
    key: str,
    ref: str | None = None,
    offset: Offset = 0,
) -> Response:
    host = runtime(request).repo_host

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        repository = repos.get_repository(uow, key)
        if not repos.list_branches(uow, host, key):
            return {"repository": repository, "log": None}
        log = repos.list_commits(uow, host, key, PageRequest(limit=COMMITS_PER_PAGE, offset=offset), ref=ref)
        return {"repository": repository, "log": log}

    found = read(request, viewer, gather)
    repository = found.pop("repository")
    return _page(
        request,
        viewer,
        "repository_commits.html",
        repository,
        ref=ref or repository.default_branch,
        tab="commits",
        **found,
    )


@router.get("/repositories/{key}/commits/{sha}", response_class=HTMLResponse)
def commit(request: Request, viewer: PageViewer, key: str, sha: str) -> Response:
    host = runtime(request).repo_host

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        return {"repository": repos.get_repository(uow, key), "diff": repos.commit_diff(uow, host, key, sha)}

    found = read(request, viewer, gather)
    patches = {f.path: highlighted_diff(f.patch) for f in found["diff"].files if f.patch}
    return _page(
        request,
        viewer,
        "repository_commit.html",
        found["repository"],
        diff=found["diff"],
        patches=patches,
        ref=None,
        tab="commits",
    )


@router.get("/repositories/{key}/branches", response_class=HTMLResponse)
def branches(request: Request, viewer: PageViewer, key: str) -> Response:
    host = runtime(request).repo_host

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        return {"repository": repos.get_repository(uow, key), "branches": repos.list_branches(uow, host, key)}

    found = read(request, viewer, gather)
    return _page(
        request,
        viewer,
        "repository_branches.html",
        found["repository"],
        branches=found["branches"],
        ref=None,
        tab="branches",
    )
