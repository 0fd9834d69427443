"""The Jinja2 environment every hub page renders with (autoescaped; assets served by the hub itself)."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

from hub.pages.plain import excluded_why, field_name, grant_text, kind_name, period, role_name

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["field_name"] = field_name
templates.env.filters["period"] = period
templates.env.filters["excluded_why"] = excluded_why
templates.env.filters["kind_name"] = kind_name
templates.env.filters["role_name"] = role_name
templates.env.filters["grant_text"] = grant_text
