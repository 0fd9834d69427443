"""anonymise.policy: upload decisions and viewer visibility, table-driven and property-tested."""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.agreement import Agreement, AgreementStatus
from anonymise.bundle import Manifest
from anonymise.policy import (
    LONDON,
    Viewer,
    allowed_records,
    check_upload,
    quarter_bounds,
    visible_sources,
)

TODAY = date(2026, 6, 15)
A, B, C = "E09000001", "E09000002", "E09000003"
LGO = "LocalGovernmentOrganisation"


def party(org: str, kind: str, *roles: str, gss: str | None = None) -> dict[str, Any]:
    return {"org": org, "kind": kind, "roles": list(roles), "gss_code": gss}


def make_agreement(**overrides: Any) -> Agreement:
    data: dict[str, Any] = {
        "id": "ag-1",
        "version": 4,
        "title": "Test agreement",
        "status": "active",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
        "purposes": ["testing"],
        "lawful_basis": "Public task",
        "parties": [
            party("lb-a", LGO, "provider", "recipient", gss=A),
            party("lb-b", LGO, "recipient", gss=B),
            party("ngo-detail", "NGO", "provider"),
            party("ngo-pooled", "NGO", "provider"),
            party("ngo-org", "NGO", "provider"),
            party("ngo-listed", "NGO", "provider"),
            party("ngo-analysts", "NGO", "provider"),
            party("ngo-silent", "NGO", "provider"),
            party("mopac", "CentralGovernmentOrganisation", "recipient"),
            party("hub-operator", "CentralGovernmentOrganisation", "recipient"),
        ],
        "sharing": [
            {"provider": "lb-a", "grants": [{"kind": LGO, "level": "borough_detail"}]},
            {"provider": "ngo-detail", "grants": [{"kind": LGO, "level": "borough_detail"}]},
            {"provider": "ngo-pooled", "grants": [{"kind": LGO, "level": "pooled_london"}]},
            {"provider": "ngo-org", "grants": [{"org": "lb-a", "level": "borough_detail"}]},
            {
                "provider": "ngo-listed",
                "grants": [{"org": "lb-a", "level": "borough_detail", "boroughs": [B]}],
            },
            {"provider": "ngo-analysts", "grants": [{"role": "analyst", "level": "pooled_london"}]},
            {
                "provider": "ngo-silent",
                "fields": ["incidents.county_lines", "gender"],
                "grants": [],
            },
        ],
    }
    data.update(overrides)
    return Agreement.model_validate(data)


OFFICER_A = Viewer("lb-a", LGO, "borough_officer", A)
OFFICER_B = Viewer("lb-b", LGO, "borough_officer", B)
ANALYST_A = Viewer("lb-a", LGO, "analyst", A)
ANALYST_MOPAC = Viewer("mopac", "CentralGovernmentOrganisation", "analyst", None)
OPERATOR = Viewer("hub-operator", "CentralGovernmentOrganisation", "operator", None)
OUTSIDER = Viewer("lb-c", LGO, "borough_officer", C)
PROVIDER_ONLY = Viewer("ngo-detail", "NGO", "partner_uploader", None)

ALL_LGO_LONDON = {"lb-a", "ngo-detail", "ngo-pooled"}

# viewer × scope → the providers whose records the viewer's figures may draw on
VISIBILITY_TABLE = [
    (OFFICER_A, LONDON, ALL_LGO_LONDON | {"ngo-org", "ngo-listed"}),
    (OFFICER_A, A, {"lb-a", "ngo-detail", "ngo-org"}),
    (OFFICER_A, B, {"ngo-listed"}),
    (OFFICER_A, C, set()),
    (OFFICER_B, LONDON, ALL_LGO_LONDON),
    (OFFICER_B, B, {"lb-a", "ngo-detail"}),
    (OFFICER_B, A, set()),
    (ANALYST_A, LONDON, ALL_LGO_LONDON | {"ngo-org", "ngo-listed", "ngo-analysts"}),
    (ANALYST_A, A, {"lb-a", "ngo-detail", "ngo-org"}),
    (ANALYST_MOPAC, LONDON, {"ngo-analysts"}),
    (ANALYST_MOPAC, A, set()),
    (OPERATOR, LONDON, set()),
    (OPERATOR, A, set()),
    (OUTSIDER, LONDON, set()),
    (OUTSIDER, C, set()),
    (PROVIDER_ONLY, LONDON, set()),
]


@pytest.mark.parametrize(
    ("viewer", "scope", "expected"),
    VISIBILITY_TABLE,
    ids=[f"{v.org_id}-{v.role}-{s}" for v, s, _ in VISIBILITY_TABLE],
)
def test_visibility_by_role_provider_and_level(
    viewer: Viewer, scope: str, expected: set[str]
) -> None:
    visibility = visible_sources([make_agreement()], viewer, scope=scope, today=TODAY)
    assert visibility.providers == expected
    assert visibility.sources == {("ag-1", p) for p in expected}


@pytest.mark.parametrize(
    "status",
    [
        AgreementStatus.suspended,
        AgreementStatus.revoked,
        AgreementStatus.expired,
        AgreementStatus.draft,
    ],
)
def test_an_agreement_not_in_force_shows_nothing_and_says_so(status: AgreementStatus) -> None:
    visibility = visible_sources(
        [make_agreement(status=status)], OFFICER_A, scope=LONDON, today=TODAY
    )
    assert visibility.sources == frozenset()
    assert (
        f"agreement ag-1 is {status.value}: its 7 partners are not included"
        in visibility.explanations
    )


def test_an_agreement_outside_its_dates_shows_nothing() -> None:
    late = date(2028, 1, 1)
    assert (
        visible_sources([make_agreement()], OFFICER_A, scope=LONDON, today=late).sources
        == frozenset()
    )
    assert (
        "out of date"
        in visible_sources([make_agreement()], OFFICER_A, scope=LONDON, today=late).explanations[1]
    )


def test_explanation_counts_partners_and_why_some_are_left_out() -> None:
    visibility = visible_sources([make_agreement()], OFFICER_B, scope=B, today=TODAY)
    assert visibility.explanations[0] == (
        "based on 2 of 7 partners; 1 does not share borough detail with your organisation; "
        "4 do not share with your organisation"
    )
    assert visibility.providers_considered == 7


def test_disclosure_is_the_strictest_of_the_contributing_agreements() -> None:
    strict = make_agreement(
        id="ag-2",
        disclosure={"min_count": 10, "rounding_base": 3},
        location={"upload_h3_resolution": 8, "view_h3_resolution": 6},
        linkage={"cross_partner": True},
    )
    loose = make_agreement(disclosure={"min_count": 3, "rounding_base": 10})
    visibility = visible_sources([loose, strict], OFFICER_A, scope=LONDON, today=TODAY)
    assert (visibility.min_count, visibility.rounding_base, visibility.view_h3_resolution) == (
        10,
        10,
        6,
    )
    assert dict(visibility.linkage) == {"ag-1": False, "ag-2": True}
    assert visibility.agreements == (("ag-1", 4), ("ag-2", 4))
    # A suspended strict agreement contributes nothing, so does not tighten anything either.
    suspended = strict.model_copy(update={"status": AgreementStatus.suspended})
    visibility = visible_sources([loose, suspended], OFFICER_A, scope=LONDON, today=TODAY)
    assert (visibility.min_count, visibility.rounding_base) == (3, 10)


def test_removing_a_provider_party_removes_its_records() -> None:
    agreement = make_agreement()
    before = visible_sources([agreement], OFFICER_A, scope=LONDON, today=TODAY)
    parties = [p.model_dump() for p in agreement.parties if p.org != "ngo-detail"]
    sharing = [r.model_dump() for r in agreement.sharing if r.provider != "ngo-detail"]
    after = visible_sources(
        [make_agreement(version=5, parties=parties, sharing=sharing)],
        OFFICER_A,
        scope=LONDON,
        today=TODAY,
    )
    assert "ngo-detail" in before.providers
    assert "ngo-detail" not in after.providers


# --- uploads -----------------------------------------------------------------------------------


def manifest(**overrides: Any) -> Manifest:
    data: dict[str, Any] = {
        "submission_id": UUID(int=1),
        "client_version": "1.0",
        "profile_version": "1",
        "partner_id": "ngo-silent",
        "partner_type": "NGO",
        "agreement_id": "ag-1",
        "agreement_version": 4,
        "reporting_period": "2026-Q1",
        "key_version": 1,
        "h3_resolution": 8,
        "created_at": "2026-04-02T00:00:00Z",
        "record_counts": {},
        "files": {},
    }
    data.update(overrides)
    return Manifest.model_validate(data)


OK_FIELDS = {
    "incidents": {"incident_pid", "county_lines", "reporting_quarter"},
    "persons": {"gender"},
}

UPLOAD_TABLE: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], str | None]] = [
    # name, agreement overrides, manifest overrides, check kwargs, expected reason fragment
    ("ok", {}, {}, {}, None),
    ("suspended", {"status": "suspended"}, {}, {}, "is suspended, not active"),
    ("draft", {"status": "draft"}, {}, {}, "is draft, not active"),
    ("expired-dates", {}, {}, {"today": date(2028, 2, 1)}, "not in its validity period"),
    ("old-version", {}, {"agreement_version": 3}, {}, "the current version is 4"),
    ("other-agreement", {}, {"agreement_id": "ag-9"}, {}, "names agreement ag-9"),
    ("not-provider", {}, {"partner_id": "lb-b"}, {"partner_id": "lb-b"}, "not a provider party"),
    (
        "unknown-partner",
        {},
        {"partner_id": "ngo-x"},
        {"partner_id": "ngo-x"},
        "not a provider party",
    ),
    ("spoofed-partner", {}, {"partner_id": "ngo-detail"}, {}, "not the authenticated partner"),
    ("wrong-kind", {}, {"partner_type": "LawEnforcement"}, {}, "partner_type"),
    ("key-version", {}, {"key_version": 2}, {}, "linkage key version 2"),
    (
        "too-fine",
        {"location": {"upload_h3_resolution": 7, "view_h3_resolution": 7}},
        {},
        {},
        "finer than",
    ),
    ("quarter-before", {}, {"reporting_period": "2025-Q4"}, {}, "outside the agreement's validity"),
    ("quarter-future", {}, {"reporting_period": "2026-Q4"}, {}, "has not begun"),
    (
        "field",
        {},
        {},
        {"present_fields": {"persons": {"gender", "nationality"}}},
        "persons.nationality",
    ),
    ("narrative", {}, {}, {"present_fields": {"incidents": {"narrative"}}}, "narrative"),
    ("unknown-table", {}, {}, {"present_fields": {"people": {"x"}}}, "people: not a table"),
    ("demo", {"demo": True}, {}, {}, "demo agreement"),
]


@pytest.mark.parametrize(
    ("agreement_over", "manifest_over", "kwargs", "reason"),
    [row[1:] for row in UPLOAD_TABLE],
    ids=[row[0] for row in UPLOAD_TABLE],
)
def test_check_upload(
    agreement_over: dict[str, Any],
    manifest_over: dict[str, Any],
    kwargs: dict[str, Any],
    reason: str | None,
) -> None:
    call: dict[str, Any] = {"partner_id": "ngo-silent", "present_fields": OK_FIELDS, "today": TODAY}
    call.update(kwargs)
    decision = check_upload(
        make_agreement(**agreement_over), manifest=manifest(**manifest_over), **call
    )
    if reason is None:
        assert decision.allowed
        assert decision.reasons == []
    else:
        assert not decision.allowed
        assert any(reason in r for r in decision.reasons), decision.reasons


def test_demo_agreement_allowed_in_demo_mode_and_narrative_when_agreed() -> None:
    demo = make_agreement(demo=True)
    assert check_upload(
        demo,
        partner_id="ngo-silent",
        manifest=manifest(),
        present_fields=OK_FIELDS,
        today=TODAY,
        demo_mode=True,
    ).allowed
    agreement = make_agreement(
        sharing=[{"provider": "ngo-silent", "narrative": True, "fields": ["county_lines"]}]
    )
    decision = check_upload(
        agreement,
        partner_id="ngo-silent",
        manifest=manifest(),
        present_fields={"incidents": {"narrative", "county_lines", "incident_pid"}},
        today=TODAY,
    )
    assert decision.allowed, decision.reasons


def test_every_reason_is_listed_at_once() -> None:
    decision = check_upload(
        make_agreement(status="suspended"),
        partner_id="ngo-silent",
        manifest=manifest(agreement_version=1, key_version=3),
        present_fields={"incidents": {"narrative"}},
        today=TODAY,
    )
    assert len(decision.reasons) == 4


def test_quarter_bounds() -> None:
    assert quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds("2024-Q1") == (date(2024, 1, 1), date(2024, 3, 31))


# --- property: no visible record ever comes from a provider whose rules exclude the viewer ------

ORGS = ["lb-a", "lb-b", "lb-c", "ngo-1", "ngo-2", "pol-1", "nhs-1"]
KINDS = {"lb-a": LGO, "lb-b": LGO, "lb-c": LGO, "ngo-1": "NGO", "ngo-2": "NGO"}
KINDS |= {"pol-1": "LawEnforcement", "nhs-1": "HealthServiceOrganisation"}
GSS = {"lb-a": A, "lb-b": B, "lb-c": C}
ROLES = ["operator", "borough_officer", "analyst", "partner_uploader"]


@st.composite
def agreements(draw: st.DrawFn, agreement_id: str) -> Agreement:
    members = draw(st.lists(st.sampled_from(ORGS), min_size=3, unique=True))
    parties = [
        party(
            org,
            KINDS[org],
            *draw(st.sampled_from([["provider"], ["recipient"], ["provider", "recipient"]])),
            gss=GSS.get(org),
        )
        for org in members
    ]
    providers = [p["org"] for p in parties if "provider" in p["roles"]]
    grant = (
        st.fixed_dictionaries(
            {"level": st.sampled_from(["borough_detail", "pooled_london"])},
        )
        .flatmap(
            lambda g: st.one_of(
                st.sampled_from(members).map(lambda o: {**g, "org": o}),
                st.sampled_from(sorted(set(KINDS.values()))).map(lambda k: {**g, "kind": k}),
                st.sampled_from(ROLES).map(lambda r: {**g, "role": r}),
            )
        )
        .flatmap(
            lambda g: (
                st.just(g)
                if g["level"] == "pooled_london"
                else st.lists(st.sampled_from([A, B, C]), max_size=2, unique=True).map(
                    lambda b: {**g, "boroughs": b}
                )
            )
        )
    )
    sharing = [
        {"provider": p, "grants": draw(st.lists(grant, min_size=1, max_size=3))}
        for p in providers
        if draw(st.integers(0, 3))
    ]
    return Agreement.model_validate(
        {
            "id": agreement_id,
            "version": draw(st.integers(1, 9)),
            "title": "Random agreement",
            # Mostly in force, so the property exercises grants rather than dead agreements.
            "status": draw(st.sampled_from(["active"] * 4 + list(AgreementStatus))),
            "valid_from": "2026-01-01",
            "valid_until": draw(st.sampled_from(["2026-03-31", "2027-12-31", "2027-12-31"])),
            "purposes": ["p"],
            "lawful_basis": "basis",
            "parties": parties,
            "sharing": sharing,
            "disclosure": {
                "min_count": draw(st.integers(3, 20)),
                "rounding_base": draw(st.integers(1, 10)),
            },
        }
    )


@dataclass(frozen=True)
class Row:
    agreement_id: str
    org_id: str


def excluded_by_rules(
    agreement: Agreement | None, provider: str, viewer: Viewer, scope: str
) -> bool:
    """The rules read plainly, independently of the implementation: True when the viewer is shut out."""
    if agreement is None or agreement.status != "active":
        return True
    if not (agreement.valid_from <= TODAY <= agreement.valid_until):
        return True
    me = agreement.party(viewer.org_id)
    them = agreement.party(provider)
    if me is None or "recipient" not in me.roles or them is None or "provider" not in them.roles:
        return True
    rule = agreement.rule_for(provider)
    for g in rule.grants if rule else ():
        names_me = g.org == viewer.org_id or g.kind == viewer.org_kind or g.role == viewer.role
        if not names_me:
            continue
        if scope == LONDON:
            return False
        wanted: list[str | None] = [*g.boroughs] or [viewer.gss_code]
        if g.level == "borough_detail" and scope in wanted:
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(
    first=agreements("ag-x"),
    second=agreements("ag-y"),
    data=st.data(),
    role=st.sampled_from(ROLES),
    scope=st.sampled_from([LONDON, A, B, C]),
    rows=st.lists(
        st.tuples(st.sampled_from(["ag-x", "ag-y", "ag-z"]), st.sampled_from(ORGS)), max_size=40
    ),
)
def test_no_visible_record_comes_from_a_provider_that_excludes_the_viewer(
    first: Agreement,
    second: Agreement,
    data: st.DataObject,
    role: str,
    scope: str,
    rows: list[tuple[str, str]],
) -> None:
    # Mostly a member of the first agreement, so grants are exercised; sometimes anyone at all.
    members = [p.org for p in first.parties]
    viewer_org = data.draw(st.sampled_from(members * 3 + ORGS + ["hub-op"]))
    viewer = Viewer(
        viewer_org,
        KINDS.get(viewer_org, "CentralGovernmentOrganisation"),
        role,
        GSS.get(viewer_org),
    )
    by_id = {first.id: first, second.id: second}
    visibility = visible_sources([first, second], viewer, scope=scope, today=TODAY)
    records = [Row(a, o) for a, o in rows]
    shown = allowed_records(records, visibility)
    for row in shown:
        assert not excluded_by_rules(by_id.get(row.agreement_id), row.org_id, viewer, scope)
    # ...and nothing the rules allow is left out (the answer is exact, not merely safe).
    for row in records:
        if not excluded_by_rules(by_id.get(row.agreement_id), row.org_id, viewer, scope):
            assert row in shown
    for agreement_id, provider in visibility.sources:
        assert not excluded_by_rules(by_id[agreement_id], provider, viewer, scope)
    contributing = [by_id[a] for a, _ in visibility.agreements]
    for agreement in contributing:
        assert visibility.min_count >= agreement.disclosure.min_count
        assert visibility.rounding_base >= agreement.disclosure.rounding_base
