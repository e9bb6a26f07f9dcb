"""The REST client behind resource commands: `FACTORY_URL` + `FACTORY_TOKEN`, so the CLI works remotely."""

from __future__ import annotations

import os
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from digital_factory.core import errors

T = TypeVar("T")
DEFAULT_URL = "http://127.0.0.1:8420"
_ERRORS: dict[int, type[errors.DomainError]] = {
    401: errors.Unauthenticated,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    422: errors.ValidationFailed,
    400: errors.ValidationFailed,
}


class ApiClient:
    def __init__(self, base_url: str, token: str | None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self._headers = {"X-Factory-Client": "cli"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._transport = transport

    @classmethod
    def from_environment(cls) -> ApiClient:
        token = os.environ.get("FACTORY_TOKEN")
        if not token:
            raise errors.Unauthenticated(
                "set FACTORY_TOKEN to an API token (create one with `factory token create --user NAME` "
                "or on your account page) and FACTORY_URL to the server"
            )
        return cls(os.environ.get("FACTORY_URL", DEFAULT_URL), token)

    # Usable as a context manager for symmetry with other clients; each request opens and closes its own
    # connection, so there is nothing left to close.
    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._respond(method, path, **kwargs)
        return response.json() if response.content else None

    def text(self, path: str, **params: Any) -> str:
        """GET `path` for a document (HTML, YAML): the answer's text, not JSON."""
        return self._respond("GET", path, params={k: v for k, v in params.items() if v is not None}).text

    def _respond(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            # one connection per command: CLI invocations are short-lived, so nothing is left open
            with httpx.Client(
                base_url=self.base_url, headers=self._headers, timeout=30.0, transport=self._transport
            ) as http:
                response = http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise errors.DomainError(f"cannot reach the server at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def read(self, shape: type[T] | Any, path: str, **params: Any) -> T:
        """GET `path` and validate the answer into `shape` (a schema of the domain, or e.g. `Page[Item]`)."""
        result: T = _validated(shape, self.get(path, **params), path)
        return result

    def send(self, shape: type[T] | Any, method: str, path: str, **kwargs: Any) -> T:
        """A changing request whose answer is validated into `shape`."""
        result: T = _validated(shape, self.request(method, path, **kwargs), path)
        return result


def segment(value: object) -> str:
    """A path segment from what a person typed: `/`, `?`, `#`, `%` and `..` stay inside the segment, so a
    key can only ever name an object, never another path (a script passing untrusted text included)."""
    text = quote(str(value), safe="")
    return text.replace(".", "%2E") if text in {".", ".."} else text


def api() -> ApiClient:
    """The client every resource command uses: `FACTORY_URL` and `FACTORY_TOKEN` from the environment."""
    return ApiClient.from_environment()


def _validated(shape: Any, body: Any, path: str) -> Any:
    try:
        return TypeAdapter(shape).validate_python(body)
    except ValidationError as exc:
        raise errors.DomainError(f"the server's answer to {path} is not what this CLI expects: {exc}") from exc


def _error_from(response: httpx.Response) -> errors.DomainError:
    try:
        body = response.json()
        detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
    except ValueError:
        detail = f"{response.status_code} {response.reason_phrase}"
    error_type = _ERRORS.get(response.status_code, errors.DomainError)
    if error_type is errors.ValidationFailed:
        return errors.ValidationFailed(detail, _problems(response))
    return error_type(detail)


def _problems(response: httpx.Response) -> list[errors.FieldProblem]:
    """The problem JSON's `errors` (field and reason of each), so a command can list them one per line."""
    try:
        found = response.json().get("errors") or []
        return [errors.FieldProblem(str(item["field"]), str(item["reason"])) for item in found]
    except (ValueError, AttributeError, KeyError, TypeError):
        return []
