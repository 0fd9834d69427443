"""Agreement rules enforced on real statistics: for random grants and records, every headline counts
exactly the records of providers whose rules admit the viewer — never one more."""

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from anonymise.agreement import Agreement, ViewerRole, parse_agreement
from hub.agreements import service as agreements
from hub.auth.principal import Principal
from hub.db import make_engine, make_sessionmaker, migrate
from hub.errors import Forbidden
from hub.models import Incident, IncidentCode, Person, Submission
from hub.statistics import service as statistics
from tests.factories.stats_seed import (
    CAMDEN,
    DEMO_AGREEMENT,
    NEWHAM,
    PROVIDERS,
    add_incidents,
    add_orgs,
    published_incidents,
)

LGO = "LocalGovernmentOrganisation"
VIEWER = Principal(None, "c", "C", "lb-camden", LGO, CAMDEN, ViewerRole.borough_officer)
DEMO = parse_agreement(DEMO_AGREEMENT.read_text(encoding="utf-8"))

GRANTS = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "subject": st.sampled_from(
                [
                    ("kind", LGO),
                    ("kind", "NGO"),
                    ("org", "lb-camden"),
                    ("org", "lb-newham"),
                    ("role", "borough_officer"),
                    ("role", "analyst"),
                ]
            ),
            "level": st.sampled_from(["pooled_london", "borough_detail"]),
            "boroughs": st.sampled_from([(), (NEWHAM,), (CAMDEN, NEWHAM)]),
        }
    ),
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('enforce') / 'hub.db'}"
    migrate(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        add_orgs(s)
        s.commit()
    yield factory
    engine.dispose()


def _grant(spec: dict[str, Any]) -> dict[str, Any]:
    kind, who = spec["subject"]
    grant: dict[str, Any] = {kind: who, "level": spec["level"]}
    if spec["level"] == "borough_detail" and spec["boroughs"]:
        grant["boroughs"] = list(spec["boroughs"])
    return grant


def _agreement(version: int, status: str, grants: list[dict[str, Any] | None]) -> Agreement:
    data = DEMO.model_dump(mode="json")
    data["version"] = version
    data["status"] = status
    data["sharing"] = [
        {"provider": p, "grants": [_grant(g)] if g else []}
        for p, g in zip(PROVIDERS, grants, strict=True)
    ]
    return Agreement.model_validate(data)


def _admits(grant: dict[str, Any] | None, scope: str) -> bool:
    """The rules read plainly for the Camden officer."""
    if grant is None:
        return False
    kind, who = grant["subject"]
    names_viewer = (kind, who) in {("kind", LGO), ("org", "lb-camden"), ("role", "borough_officer")}
    if not names_viewer:
        return False
    if scope == "london":
        return True
    return grant["level"] == "borough_detail" and scope in (grant["boroughs"] or (CAMDEN,))


def _incidents(session: Session, area: str) -> int | None:
    """The headline incident count; 0 when no agreement opens this scope to the viewer (403)."""
    try:
        answer = statistics.overview(session, VIEWER, area, "2026-Q1")
    except Forbidden:
        return 0
    headline = next((h for h in answer.headlines if h.key == "incidents"), None)
    return 0 if headline is None else headline.figure.value


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    grants=st.lists(GRANTS, min_size=4, max_size=4),
    in_camden=st.lists(st.sampled_from([0, 5, 10, 20]), min_size=4, max_size=4),
    in_newham=st.lists(st.sampled_from([0, 5, 15]), min_size=4, max_size=4),
    status=st.sampled_from(["active", "active", "active", "suspended", "revoked"]),
)
def test_statistics_count_only_what_the_rules_allow(
    db: sessionmaker[Session],
    grants: list[dict[str, Any] | None],
    in_camden: list[int],
    in_newham: list[int],
    status: str,
) -> None:
    with db() as s:
        for model in (IncidentCode, Person, Incident, Submission):
            s.query(model).delete()
        text = yaml.safe_dump(
            _agreement(1, status, grants).model_dump(mode="json"), sort_keys=False
        )
        agreements.load_version(s, text, actor="test")
        for i, provider in enumerate(PROVIDERS):
            for gss, n in ((CAMDEN, in_camden[i]), (NEWHAM, in_newham[i])):
                if n:
                    add_incidents(s, provider=provider, quarter="2026-Q1", gss=gss, n=n, seed_=i)
        active = status == "active"
        camden = [p for p, g in zip(PROVIDERS, grants, strict=True) if active and _admits(g, CAMDEN)]
        london = [p for p, g in zip(PROVIDERS, grants, strict=True) if active and _admits(g, "london")]
        # Counts are never small, so each headline is the perturbed count of exactly those records.
        expect_camden = published_incidents(s, camden, CAMDEN, "2026-Q1")
        expect_london = published_incidents(s, london, "london", "2026-Q1")
        assert _incidents(s, CAMDEN) == expect_camden
        assert _incidents(s, "london") == expect_london
        s.rollback()
