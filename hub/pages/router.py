"""All web pages: sign-in (login.py), the operator console (console.py; its audit log in console_audit.py; its changes that cannot be undone in console_confirm.py; returns owed and reminders in console_returns.py; a page per partner in console_partner.py; guided onboarding in console_onboarding.py), the dashboard (dashboard.py; its "Where to look" page in premises.py, its "Routes" page in routes_page.py; the PDF report in report_pdf.py)."""

from fastapi import APIRouter

from hub.pages import (
    console,
    console_audit,
    console_confirm,
    console_onboard,
    console_onboarding,
    console_partner,
    console_people,
    console_returns,
    dashboard,
    login,
    networks,
    premises,
    report_pdf,
    routes_page,
)

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(console_confirm.router)
router.include_router(console_audit.router)
router.include_router(console_onboard.router)
router.include_router(console_people.router)
router.include_router(console_returns.router)
router.include_router(console_partner.router)
router.include_router(console_onboarding.router)
router.include_router(console.router)
router.include_router(dashboard.router)
router.include_router(premises.router)
router.include_router(report_pdf.router)
router.include_router(networks.router)
router.include_router(routes_page.router)
