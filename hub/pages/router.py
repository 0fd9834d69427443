"""All web pages: sign-in (login.py), the operator console (console.py; its changes that cannot be undone in console_confirm.py), the dashboard (dashboard.py; its "Where to look" page in premises.py, its "Routes" page in routes_page.py)."""

from fastapi import APIRouter

from hub.pages import console, console_confirm, dashboard, login, premises, routes_page

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(console_confirm.router)
router.include_router(console.router)
router.include_router(dashboard.router)
router.include_router(premises.router)
router.include_router(routes_page.router)
