"""One error base class that knows its HTTP status, and the one handler that renders it."""

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from anonymise import Refusal, RefusalProblem


class HubError(Exception):
    """A domain error. ``detail`` is shown to the caller: ids, row numbers, column names, never values."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str, *, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class NotAuthenticated(HubError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(HubError):
    status_code = 403
    code = "forbidden"


class NotFound(HubError):
    status_code = 404
    code = "not_found"


class Conflict(HubError):
    status_code = 409
    code = "conflict"


class TooLarge(HubError):
    status_code = 413
    code = "too_large"


class Rejected(HubError):
    """A submission refused whole: ``problems`` name table, row, column and rule."""

    status_code = 422
    code = "rejected"


class TooManyRequests(HubError):
    """Over a rate limit: ``retry_after`` seconds go out as the Retry-After header."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Busy(HubError):
    """The hub is busy with what this request needs for longer than it waits: 503 with Retry-After."""

    status_code = 503
    code = "busy"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def _body(error: HubError) -> dict[str, Any]:
    """The shared :class:`anonymise.Refusal` body, built (and so checked) from the model."""
    if error.problems:
        problems = [RefusalProblem.model_validate(p) for p in error.problems]
        return Refusal(error=error.code, detail=error.detail, problems=problems).wire()
    return Refusal(error=error.code, detail=error.detail).wire()


REFUSAL_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    status: {"model": Refusal, "description": text}
    for status, text in {
        401: "Not authenticated",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        413: "Too large",
        422: "Refused: each problem names where and the rule, never a value",
        429: "Too many requests (Retry-After)",
    }.items()
}
"""FastAPI ``responses=`` for routes that refuse with the shared body."""


_FIELD_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _location(error: Mapping[str, Any]) -> str:
    """Where a request is wrong, by field path and position: a key the caller sent is never repeated.

    An unknown key is the sender's text (it may be an identifier), and so is any part that does not
    look like one of our field names (a dictionary key): both are described by kind.
    """
    parts = [str(p) if isinstance(p, int) or _FIELD_NAME.match(str(p)) else "(key)" for p in error.get("loc", ())]
    if error.get("type") == "extra_forbidden" and parts:
        parts[-1] = "(unknown field)"
    return ".".join(parts)


_BUSY_SQLSTATES: Final = frozenset({"55P03", "57014"})  # lock_not_available, query_canceled (timeouts)


def _busy(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(request: Request, exc: HubError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        retry = getattr(exc, "retry_after", None)
        if isinstance(retry, int):
            headers = {"Retry-After": str(retry)}
        return JSONResponse(_body(exc), status_code=exc.status_code, headers=headers)

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> JSONResponse:
        # A lock waited for past its bound (SQLite's busy timeout while another upload writes;
        # PostgreSQL's lock_timeout or statement_timeout): the hub is busy, not broken.
        if not _busy(exc):
            raise exc
        body = Refusal(error="busy", detail="the hub is busy storing other data; try again shortly").wire()
        return JSONResponse(body, status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input back; name the place and the rule only.
        problems = [RefusalProblem(location=_location(err), rule=err.get("type", "invalid")) for err in exc.errors()]
        body = Refusal(error="invalid_request", detail="the request is not valid", problems=problems)
        return JSONResponse(body.wire(), status_code=422)
