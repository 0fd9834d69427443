"""The hub's OpenAPI document, told as the hub behaves (issue 17, L3).

FastAPI's own document says every route may answer 422 with its ``HTTPValidationError`` and
nothing else, and names no credentials. The hub answers every refusal with one body
(:class:`anonymise.Refusal`), and its routes take one of three credentials. So, per operation:

* ``security``: from the route's own dependencies — a partner's signed JWT (``partnerJwt``), a
  user's API or OIDC bearer token or the pages' session cookie (``userToken``/``sessionCookie``,
  either), or none;
* ``responses``: every refusal the hub sends on any route (400, 401, 403, 404, 409, 413, 422, 429, 503) with the shared body, beside what the route declares.
"""

from collections.abc import Callable, Iterator
from typing import Any, Final

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from hub.auth import dependencies, partner
from hub.auth.web_sessions import SESSION_COOKIE

SCHEMES: Final[dict[str, dict[str, Any]]] = {
    "partnerJwt": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A partner's Ed25519-signed token (typ msht-partner+jwt; uploads msht-upload+jwt, bound to the "
                       "bundle's SHA-256), short-lived, each jti used once.",
    },
    "userToken": {
        "type": "http", "scheme": "bearer",
        "description": "A user's API token (msht_...) or, where the hub trusts an identity provider, its OIDC access token.",
    },
    "sessionCookie": {
        "type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
        "description": "The pages' signed-in session; a POST also needs the x-csrf-token header.",
    },
}
REFUSALS: Final = {
    "400": "Bad request",
    "403": "Not allowed",
    "404": "Not found",
    "409": "Conflict",
    "413": "Too large",
    "422": "Refused: each problem names where and the rule, never a value",
    "429": "Too many requests (Retry-After)",
    "503": "Busy: try again after Retry-After seconds",
}
_REFUSAL: Final = {"application/json": {"schema": {"$ref": "#/components/schemas/Refusal"}}}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every API route, through included routers too (newer FastAPI keeps them as one route each)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None) or getattr(route, "router", None)
        if included is not None and included is not route:
            yield from _api_routes(list(getattr(included, "routes", [])))


def _security(route: APIRoute) -> list[dict[str, list[str]]] | None:
    calls = set(_calls(route.dependant))
    names = {getattr(c, "__qualname__", "") for c in calls}
    if partner._partner_call in calls or partner._upload_caller in calls:
        return [{"partnerJwt": []}]
    if dependencies._optional in calls:
        required = dependencies._current in calls or any(n.startswith("require_roles") for n in names)
        either: list[dict[str, list[str]]] = [{"userToken": []}, {"sessionCookie": []}]
        return either if required else [*either, {}]
    return None


def describe(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s routes, with their credentials and refusals."""
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
    components = spec.setdefault("components", {})
    components["securitySchemes"] = SCHEMES
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    if "Refusal" not in schemas:  # every app has at least one route declaring it; keep the reference whole anyway
        from anonymise import Refusal

        schemas["Refusal"] = Refusal.model_json_schema(ref_template="#/components/schemas/{model}")
    routes = {(r.path_format, m.lower()): r for r in _api_routes(list(app.routes)) for m in r.methods or ()}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            security = _security(route) if route is not None else None
            responses = operation.setdefault("responses", {})
            if security:
                operation["security"] = security
            responses.setdefault("401", {"description": "Not authenticated (WWW-Authenticate)"})["content"] = _REFUSAL
            for status, text in REFUSALS.items():
                declared = responses.setdefault(status, {"description": text})
                declared["content"] = _REFUSAL
    return spec


def install(app: FastAPI) -> None:
    """Serve :func:`describe`'s document (built once) at ``/openapi.json`` and ``/docs``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
