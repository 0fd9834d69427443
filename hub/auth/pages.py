"""Page dependencies: a redirect to sign in, a 403 page for the wrong role, and the CSRF field of every form."""

import hmac
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request

from anonymise import ViewerRole
from hub.auth.dependencies import resolve_principal
from hub.auth.principal import Principal
from hub.deps import SecretsDep, SessionDep, SettingsDep
from hub.errors import Forbidden


class LoginRedirect(Exception):
    """Raised by page dependencies when nobody is signed in; main.py turns it into a redirect."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in needed")
        self.location = "/login?next=" + quote(next_url, safe="/")


class PageForbidden(Exception):
    """Raised by page dependencies for a signed-in user whose role may not see the page."""


def _page_target(request: Request) -> str:
    url = request.url.path
    return url + ("?" + request.url.query if request.url.query else "")


def page_roles(*roles: ViewerRole) -> Callable[..., Principal]:
    """A page dependency: redirect to /login when signed out, 403 page when the role is wrong."""
    allowed = frozenset(roles) if roles else frozenset(ViewerRole)

    def _check(request: Request, session: SessionDep, settings: SettingsDep, secrets_: SecretsDep) -> Principal:
        principal = resolve_principal(request, session, settings, secrets_, cookie_only=True)
        if principal is None:
            raise LoginRedirect(_page_target(request))
        request.state.principal = principal
        if principal.role not in allowed:
            raise PageForbidden
        return principal

    return _check


PagePrincipal = Annotated[Principal, Depends(page_roles())]
OperatorPage = Annotated[Principal, Depends(page_roles(ViewerRole.operator))]


def csrf_token(request: Request) -> str:
    """The signed-in session's CSRF token, for the hidden field of every form."""
    return str(getattr(request.state, "csrf_token", ""))


def _check_csrf(request: Request, principal: PagePrincipal, csrf_token: Annotated[str, Form()] = "") -> Principal:
    expected = getattr(request.state, "csrf_token", "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), str(expected).encode()):
        raise Forbidden("the form has expired or did not come from this site; reload the page")
    return principal


CsrfForm = Annotated[Principal, Depends(_check_csrf)]
