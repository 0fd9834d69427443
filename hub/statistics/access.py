"""Who may see what: the agreements in force, the viewer, and the sources a question may read.

Each statistics question first asks the agreement rules (``anonymise.policy.visible_sources``)
which providers' records may be used for the area asked, and only those are read.
"""

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Final, NamedTuple

from sqlalchemy.orm import Session

from anonymise import (
    BY_GSS,
    LONDON,
    Agreement,
    Viewer,
    Visibility,
    parse_agreement,
    visible_sources,
)
from hub.agreements import service as agreements
from hub.auth.principal import Principal
from hub.errors import Forbidden, HubError, NotFound
from hub.statistics import queries
from hub.statistics.caching import BoundedCache
from hub.statistics.queries import Scope

QUARTER: Final = re.compile(r"^(19|20)[0-9]{2}-Q[1-4]$")
PARSED_KEPT: Final = 256
"""Parsed agreement versions kept per process (keyed by SHA-256: a new version is a new key)."""

VISIBLE_KEPT: Final = 4096
"""Visibilities kept per process: (viewer, current agreement digests, day, area) -> what it may see."""

_PARSED: BoundedCache[str, Agreement] = BoundedCache(PARSED_KEPT)
_VISIBLE: BoundedCache[tuple[Viewer, tuple[str, ...], date, str], Visibility] = BoundedCache(VISIBLE_KEPT)


class BadQuestion(HubError):
    status_code = 400
    code = "bad_question"


class Question(NamedTuple):
    """What one question may read: the visibility, its scope, the quarters sent, the quarter chosen."""

    visibility: Visibility
    scope: Scope
    quarters: list[str]
    quarter: str | None


def scope_name(area: str) -> str:
    return "London (all boroughs)" if area == LONDON else BY_GSS[area].name


def governing_agreements(session: Session, digests: Sequence[str] | None = None) -> list[Agreement]:
    """Every agreement's current version, each stored version parsed once per process (keyed
    by its SHA-256): parsing YAML on every statistics call cost more than the GROUP BYs.
    ``digests``: the current versions' digests, if the caller has just read them."""
    digests = agreements.current_digests(session) if digests is None else digests
    parsed: dict[str, Agreement] = {}
    for digest in digests:
        hit = _PARSED.get(digest)
        if hit is not None:
            parsed[digest] = hit
    if len(parsed) < len(set(digests)):
        for row in agreements.current_versions(session):
            if row.sha256 not in parsed:
                parsed[row.sha256] = parse_agreement(row.document)
                _PARSED.put(row.sha256, parsed[row.sha256])
    return [parsed[digest] for digest in digests if digest in parsed]


def viewer_of(principal: Principal) -> Viewer:
    return Viewer(principal.org_id, principal.org_kind, str(principal.role), principal.gss_code)


def visibility_for(session: Session, principal: Principal, area: str, today: date | None = None) -> Visibility:
    """What this principal may see for ``area``; 403 when no agreement opens another borough."""
    if area != LONDON and area not in BY_GSS:
        raise NotFound("no such borough: use a London GSS code (E09…) or 'london'")
    day = today or datetime.now(UTC).date()
    digests = tuple(agreements.current_digests(session))
    key = (viewer_of(principal), digests, day, area)
    visibility = _VISIBLE.get(key)
    if visibility is None:  # a function of the agreements in force, the viewer and the day: kept under them
        visibility = visible_sources(governing_agreements(session, digests), key[0], scope=area, today=day)
        _VISIBLE.put(key, visibility)
    if not visibility.sources and area != principal.gss_code:
        what = "pooled London figures" if area == LONDON else "this borough's detail"
        raise Forbidden(f"no agreement shares {what} with your organisation")
    return visibility


def check_quarter(quarter: str | None) -> str | None:
    if quarter is not None and not QUARTER.match(quarter):
        raise BadQuestion("quarter must look like 2026-Q3")
    return quarter


def question(session: Session, principal: Principal, area: str, quarter: str | None) -> Question:
    """The visibility and scope of one question; the quarter asked, or the latest with data."""
    visibility = visibility_for(session, principal, area)
    scope = Scope(area, visibility.sources)
    quarters = queries.submitted_quarters(session, scope)
    chosen = check_quarter(quarter) or (quarters[-1] if quarters else None)
    return Question(visibility, scope, quarters, chosen)
