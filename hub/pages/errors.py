"""How pages show what went wrong, in one place: sign in, the 403 page, a refused action, a refused form.

A page handler calls a service and lets its domain error travel: ``PageFailed`` says which page
to go back to; the request's transaction is rolled back by the session dependency, as for the
API, and the handler below renders the error page. A form that must be shown again with its
input runs its service call in ``attempt``: a refusal undoes that call's changes only (a
SAVEPOINT), and the page renders the form, errors and values in the same request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from hub.auth.pages import LoginRedirect, PageForbidden
from hub.errors import HubError
from hub.pages.templating import templates


class PageFailed(Exception):
    """A service refused what a page asked; ``back`` is where the error page links to."""

    def __init__(self, error: HubError, back: str) -> None:
        super().__init__(error.detail)
        self.error = error
        self.back = back


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """A service call whose refusal leaves nothing behind, so the form can be shown again."""
    with session.begin_nested():
        yield


def _base(request: Request) -> dict[str, Any]:
    return {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "notice": None,
    }


def install_page_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRedirect)
    async def _login(request: Request, exc: LoginRedirect) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return templates.TemplateResponse(request, "forbidden.html", _base(request), status_code=403)

    @app.exception_handler(PageFailed)
    async def _failed(request: Request, exc: PageFailed) -> Response:
        context = _base(request) | {"error": exc.error.detail, "problems": exc.error.problems, "back": exc.back}
        return templates.TemplateResponse(request, "console_error.html", context, status_code=exc.error.status_code)
