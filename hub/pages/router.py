"""All web pages: sign-in (login.py), the operator console (console.py), the dashboard (dashboard.py)."""

from fastapi import APIRouter

from hub.pages import console, dashboard, login

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(console.router)
router.include_router(dashboard.router)
