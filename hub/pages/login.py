"""Pages: sign in and sign out (local accounts), with CSRF protection and rate-limited attempts."""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from hub import audit, ratelimit
from hub.auth.dependencies import resolve_principal
from hub.auth.pages import CsrfForm
from hub.auth.passwords import authenticate_password
from hub.auth.web_sessions import SESSION_COOKIE, end_session, set_session_cookie, start_session
from hub.deps import SecretsDep, SessionDep, SettingsDep
from hub.pages.templating import templates
from hub.partners import service as partners

router = APIRouter()

LOGIN_CSRF_COOKIE: Final = "msht_login_csrf"
ATTEMPT_WINDOW: Final = timedelta(minutes=15)
ATTEMPTS_PER_USERNAME: Final = 10
ATTEMPTS_PER_CLIENT: Final = 50
WRONG: Final = "Wrong username or password."


def safe_next(value: str | None) -> str:
    """Only a path on this hub: never another site, never a scheme-relative URL."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 for c in value):
        return "/"
    return value


def _form(request: Request, settings: Any, *, next_url: str, error: str | None, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"principal": None, "csrf_token": "", "login_csrf": token, "next": next_url, "error": error},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login", secure=settings.https, httponly=True, samesite="strict"
    )
    return response


@router.get("/login")
def login_page(
    request: Request, session: SessionDep, settings: SettingsDep, secrets_: SecretsDep, next: str = "/"
) -> Response:
    if resolve_principal(request, session, settings, secrets_, cookie_only=True) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, settings, next_url=safe_next(next), error=None, status=200)


def _key(kind: str, value: str) -> str:
    return f"login:{kind}:" + hashlib.sha256(value.encode()).hexdigest()[:32]


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    secrets_: SecretsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    next_url = safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return _form(request, settings, next_url=next_url, error="The form expired; please try again.", status=403)
    client = request.client.host if request.client else "unknown"
    by_user = ratelimit.count_hit(session, _key("user", username.casefold()), window=ATTEMPT_WINDOW)
    by_client = ratelimit.count_hit(session, _key("client", client), window=ATTEMPT_WINDOW)
    if by_user > ATTEMPTS_PER_USERNAME or by_client > ATTEMPTS_PER_CLIENT:
        return _form(
            request, settings, next_url=next_url,
            error="Too many sign-in attempts. Wait 15 minutes and try again.", status=429,
        )
    user = authenticate_password(session, username, password)
    if user is None:
        if partners.user_exists(session, username):
            # only for real accounts: a mistyped name (or a password typed into it) is never stored
            audit.record(session, actor="anonymous", action="session.login_failed", target=f"user:{username}")
        return _form(request, settings, next_url=next_url, error=WRONG, status=401)
    token, _row = start_session(session, settings, secrets_, user)
    audit.record(session, actor=f"user:{user.username}", action="session.login", target=f"user:{user.username}")
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, settings, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, principal: CsrfForm, session: SessionDep, settings: SettingsDep) -> Response:
    end_session(session, str(request.state.session_id))
    audit.record(session, actor=principal.actor, action="session.logout", target=f"user:{principal.username}")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=settings.https, httponly=True, samesite="strict")
    return response
