"""Ingest: malformed bundles are refused whole with problems by table/row/column; stored data is re-keyed."""

import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from anonymise.schema import TABLES
from hub.models import Incident, IncidentCode, Person, PersonKey, Referral, Selector, Submission
from hub.submissions.validate import MAX_PROBLEMS, Problems, validate_table
from tests.conftest import make_settings
from tests.factories import (
    FakePartner,
    add_agreement,
    add_partner,
    all_pseudonyms,
    make_tables,
    raw_bundle,
    record_rows,
    zip_files,
)
from tests.hubs import HubUnderTest, start_hub


def rows_of(n: int = 3, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    return {table: record_rows(records) for table, records in make_tables(n, **kwargs).items()}


def nothing_stored(hub: HubUnderTest) -> bool:
    return not any(hub.counts(Submission, Incident, IncidentCode, Person, Selector, Referral).values())


def rejected(hub: HubUnderTest, partner: FakePartner, bundle: bytes) -> list[dict[str, Any]]:
    response = hub.upload(partner, bundle)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "rejected"
    assert nothing_stored(hub)
    problems: list[dict[str, Any]] = body["problems"]
    return problems


def test_raw_valid_rows_are_accepted(hub: HubUnderTest, partner: FakePartner) -> None:
    rows = rows_of(3)
    response = hub.upload(partner, raw_bundle(partner, rows))
    assert response.status_code == 201, response.text
    sent = {table: len(table_rows) for table, table_rows in rows.items()}
    assert sent == {"incidents": 3, "persons": 6, "selectors": 3, "referrals": 3, "person_keys": 12}
    with hub.session() as session:
        submission = session.scalars(select(Submission)).one()
        assert (submission.id, submission.org_id, submission.status) == (response.json()["receipt"]["submission_id"], "ngo-one", "active")
        assert submission.record_counts == sent
        stored = {
            table: session.scalar(select(func.count()).select_from(model).where(model.submission_id == submission.id))
            for table, model in (("incidents", Incident), ("persons", Person), ("selectors", Selector), ("referrals", Referral),
                                 ("person_keys", PersonKey))
        }
        assert stored == {**sent, "person_keys": 12 + 4 * 6}  # the partner's linkage keys and each person's four match keys
        fields = ("first_known_month", "source_channel", "county_lines", "premises_type", "la_gss_code", "h3_cell", "narrative")
        kept = sorted(tuple(getattr(i, f) for f in fields) for i in session.scalars(select(Incident)))
        assert kept == sorted(tuple(row[f] for f in fields) for row in rows["incidents"])
        people = sorted((p.role, p.gender, p.age_band, p.nationality) for p in session.scalars(select(Person)))
        assert people == sorted((r["role"], r["gender"], r["age_band"], r["nationality"]) for r in rows["persons"])


def test_not_a_zip_is_rejected(hub: HubUnderTest, partner: FakePartner) -> None:
    problems = rejected(hub, partner, b"PK\x03\x04 this is not a zip archive")
    assert problems[0]["rule"] == "bundle"


def test_table_not_matching_its_hash_is_rejected(hub: HubUnderTest, partner: FakePartner) -> None:
    other = rows_of(3, seed=7)
    from tests.factories import raw_table

    bundle = raw_bundle(partner, rows_of(3), tamper={"persons.parquet": raw_table(other["persons"])})
    problems = rejected(hub, partner, bundle)
    assert "persons.parquet does not match its SHA-256" in problems[0]["message"]


def test_extra_file_in_bundle_is_rejected(hub: HubUnderTest, partner: FakePartner) -> None:
    good = raw_bundle(partner, rows_of(2))
    with zipfile.ZipFile(__import__("io").BytesIO(good)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["notes.csv"] = b"raw,export\n"
    problems = rejected(hub, partner, zip_files(files))
    assert [(p["table"], p["row"], p["column"], p["rule"]) for p in problems] == [(None, None, None, "bundle")]
    assert "1 unexpected member(s), missing []" in problems[0]["message"]
    assert "notes.csv" not in problems[0]["message"]  # a member's name is the sender's text


def test_bad_rows_are_named_by_table_row_and_column(hub: HubUnderTest, partner: FakePartner) -> None:
    rows = rows_of(4)
    rows["incidents"][1]["premises_type"] = "secret-premises-value"
    rows["persons"][5]["age_band"] = "thirty-ish"
    for row in rows["persons"]:
        row["surname"] = "Smith"
    rows["selectors"][2]["selector_pid"] = "07700900123"
    problems = rejected(hub, partner, raw_bundle(partner, rows))
    places = {(p["table"], p["row"], p["column"]) for p in problems}
    assert ("incidents", 2, "premises_type") in places
    assert ("persons", 6, "age_band") in places
    assert ("persons", None, "(column 13, not in the schema)") in places  # named by position, never by its name
    assert ("selectors", 3, "selector_pid") in places
    rules = {(p["table"], p["row"]): p["rule"] for p in problems}
    assert rules[("persons", None)] == "unknown_column"
    assert rules[("selectors", 3)] == "string_pattern_mismatch"
    text = str(problems)
    for value in ("secret-premises-value", "thirty-ish", "Smith", "surname", "07700900123"):
        assert value not in text


def test_every_row_is_checked_and_the_list_is_capped(hub: HubUnderTest, partner: FakePartner) -> None:
    rows = rows_of(150)
    for row in rows["persons"]:
        row["gender"] = "not-a-gender"
    response = hub.upload(partner, raw_bundle(partner, rows))
    assert response.status_code == 422
    body = response.json()
    assert len(body["problems"]) == MAX_PROBLEMS
    assert "300 problem(s)" in body["detail"]
    assert [p["row"] for p in body["problems"][:3]] == [1, 2, 3]
    assert nothing_stored(hub)


def test_references_must_point_into_the_bundle(hub: HubUnderTest, partner: FakePartner) -> None:
    rows = rows_of(3)
    orphan = "v1." + "ab" * 32
    rows["persons"][0]["incident_pid"] = orphan
    rows["selectors"][1]["incident_pid"] = orphan
    rows["referrals"][2]["incident_pid"] = orphan
    rows["referrals"][0]["person_seq"] = 9
    rows["person_keys"][3]["person_seq"] = 9
    problems = rejected(hub, partner, raw_bundle(partner, rows))
    found = {(p["table"], p["row"], p["column"], p["rule"]) for p in problems}
    assert found == {
        ("persons", 1, "incident_pid", "unknown_incident"),
        ("person_keys", 1, "person_seq", "unknown_person"),  # their person moved to the orphan incident
        ("person_keys", 2, "person_seq", "unknown_person"),
        ("person_keys", 4, "person_seq", "unknown_person"),
        ("selectors", 2, "incident_pid", "unknown_incident"),
        ("referrals", 3, "incident_pid", "unknown_incident"),
        ("referrals", 1, "person_seq", "unknown_person"),
    }


def test_duplicate_keys_and_wrong_quarter_are_rejected(hub: HubUnderTest, partner: FakePartner) -> None:
    rows = rows_of(3)
    rows["incidents"][2]["incident_pid"] = rows["incidents"][0]["incident_pid"]
    rows["incidents"][1]["reporting_quarter"] = "2026-Q2"
    problems = rejected(hub, partner, raw_bundle(partner, rows))
    found = {(p["table"], p["row"], p["rule"]) for p in problems}
    assert ("incidents", 3, "duplicate_key") in found
    assert ("incidents", 2, "quarter_mismatch") in found


def test_manifest_counts_must_match(hub: HubUnderTest, partner: FakePartner) -> None:
    rows = rows_of(3)
    problems = rejected(hub, partner, raw_bundle(partner, rows, record_counts={"incidents": 2, "persons": 6, "selectors": 3, "referrals": 3, "person_keys": 12}))
    assert {(p["table"], p["rule"]) for p in problems} == {("incidents", "count_mismatch")}


def test_row_limit_is_enforced(db_url: str, tmp_path: Path) -> None:
    small = start_hub(make_settings(db_url, tmp_path, max_rows_per_table=5))
    try:
        partner = small.arrange(add_partner, "ngo-one")
        small.arrange(add_agreement, ["ngo-one"])
        response = small.upload(partner, raw_bundle(partner, rows_of(3)))
        assert response.status_code == 413
        assert {p["table"] for p in response.json()["problems"]} == {"persons"}
        assert nothing_stored(small)
    finally:
        small.client.close()
        small.app.state.engine.dispose()


def test_agreement_rules_are_applied(hub: HubUnderTest) -> None:
    strict: FakePartner = hub.arrange(add_partner, "ngo-three")
    hub.arrange(add_agreement, ["ngo-three"], agreement_id="no-narrative", narrative=False)
    bundle = raw_bundle(strict, rows_of(2), agreement_id="no-narrative")
    problems = rejected(hub, strict, bundle)
    assert any(p["rule"] == "agreement" and "narrative" in p["message"] for p in problems)


def test_unknown_agreement_and_non_party_are_rejected(hub: HubUnderTest, partner: FakePartner) -> None:
    problems = rejected(hub, partner, raw_bundle(partner, rows_of(2), agreement_id="no-such-agreement"))
    assert [p["rule"] for p in problems] == ["agreement_unknown"]
    outsider: FakePartner = hub.arrange(add_partner, "ngo-outside")
    problems = rejected(hub, outsider, raw_bundle(outsider, rows_of(2)))
    assert any("not a provider party" in p["message"] for p in problems)


CLASSIC_KINDS = {"name_dob", "initial_surname_dob", "sorted_tokens_yob", "surname_dob_sex"}


def test_nothing_stored_equals_a_partner_pseudonym(hub: HubUnderTest, partner: FakePartner) -> None:
    tables = make_tables(6)
    sent = all_pseudonyms(tables)
    assert len(sent) > 20  # incidents, selectors and four match keys per person
    assert hub.upload(partner, partner.bundle(tables)).status_code == 201
    stored: set[str] = set()
    with hub.session() as session:
        stored.update(session.scalars(select(Incident.incident_key)))
        stored.update(session.scalars(select(Selector.selector_key)))
        for column in (Person.mk_name_dob, Person.mk_initial_surname_dob, Person.mk_sorted_tokens_yob, Person.mk_surname_dob_sex):
            stored.update(v for v in session.scalars(select(column)) if v is not None)
        dumped = " ".join(str(row) for row in session.execute(select(Submission.manifest, Submission.receipt)))
    with hub.session() as session:
        linkage = {(str(kind), int(k)) for kind, k in session.execute(select(PersonKey.kind, PersonKey.key))}
    sent_keys = {pk.key_pid for pk in tables["person_keys"]}  # type: ignore[attr-defined]
    assert len(stored) == len(sent) - len(sent_keys)  # one hub value per partner value, nothing merged
    assert not stored & sent
    new_kinds = {(kind, k) for kind, k in linkage if kind not in CLASSIC_KINDS}
    assert len(new_kinds) == len(sent_keys)  # linkage keys: re-keyed too, 60 bits of the hub value
    assert not {k for _, k in linkage} & {int(v[3:18], 16) for v in sent}
    assert all(v.startswith("h1.") and len(v) == 67 for v in stored)
    for value in sent:
        assert value not in dumped
        assert value.split(".", 1)[1] not in dumped


def test_the_same_person_at_two_partners_links_at_the_hub(hub: HubUnderTest, partner: FakePartner) -> None:
    second: FakePartner = hub.arrange(add_partner, "ngo-two")
    one, two = rows_of(2, seed=1), rows_of(2, seed=2)
    two["persons"][0]["mk_name_dob"] = one["persons"][0]["mk_name_dob"]
    assert hub.upload(partner, raw_bundle(partner, one)).status_code == 201
    assert hub.upload(second, raw_bundle(second, two)).status_code == 201
    with hub.session() as session:
        shared = session.execute(
            select(Person.mk_name_dob, func.count(func.distinct(Person.org_id)))
            .group_by(Person.mk_name_dob)
            .having(func.count(func.distinct(Person.org_id)) > 1)
        ).all()
    assert len(shared) == 1


def test_multi_valued_fields_are_stored_one_row_per_code(hub: HubUnderTest, partner: FakePartner) -> None:
    tables = make_tables(3)
    assert hub.upload(partner, partner.bundle(tables)).status_code == 201
    expected = sum(
        len(getattr(r, f))
        for r in tables["incidents"]
        for f in ("exploitation_types", "labour_sectors", "methods_of_control", "recruitment_methods")
    )
    with hub.session() as session:
        assert session.scalar(select(func.count()).select_from(IncidentCode)) == expected
        supports = set(session.scalars(select(Referral.support_provided)))
    assert supports == {"accommodation|legal"}


PLANTED = "Planted-Zq7Xv-Marisol-Okonkwo"


def test_values_of_rejected_rows_never_reach_logs_or_responses(
    hub: HubUnderTest, partner: FakePartner, caplog: pytest.LogCaptureFixture
) -> None:
    rows = rows_of(3)
    rows["incidents"][0]["narrative"] = f"{PLANTED} rang 07700 900123 on 12/03/1990"
    rows["persons"][1]["gender"] = PLANTED
    rows["persons"][2]["nationality"] = PLANTED
    rows["selectors"][0]["kind"] = PLANTED
    for row in rows["persons"]:
        row[PLANTED] = PLANTED
    caplog.set_level(logging.DEBUG)
    bundle = raw_bundle(partner, rows)
    response = hub.upload(partner, bundle)
    assert response.status_code == 422
    assert PLANTED not in response.text
    assert PLANTED.lower() not in response.text.lower()
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )
    assert caplog.records, "the rejection should be logged (ids and counts)"
    assert "ngo-one" in logged
    assert PLANTED.lower() not in logged.lower()
    assert "07700" not in logged
    assert response.json()["detail"].startswith("the bundle was refused whole")


# --- column-wise validation accepts exactly what the record models accept -------------------


_VALID = {table: record_rows(records) for table, records in make_tables(4, seed=11).items()}
_ODD_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["unknown", "not_asked", "yes", "labour", "2026-Q3", "2026-13", "E09000030", "GB", "XX",
                     "region:east_asia", "v1." + "0" * 64, "V1." + "0" * 64, "h1." + "0" * 64, "88195da49ffffff",
                     "call 07700 900123", "", " unknown", "UNKNOWN", "female", "18-20", "nrm", "phone"]),
    st.text(max_size=12),
    st.integers(min_value=-2, max_value=1200),
    st.lists(st.sampled_from(["labour", "sexual", "unknown", "accommodation", "debt_bondage", "nope"]), max_size=4),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=st.sampled_from(sorted(TABLES)),
    edits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), _ODD_VALUES), max_size=6),
)
def test_column_wise_validation_matches_the_record_models(table: str, edits: list[tuple[int, int, Any]]) -> None:
    model = TABLES[table]  # type: ignore[index]
    names = list(model.model_fields)
    rows = [dict(r) for r in _VALID[table][:4]]
    for row_index, field_index, value in edits:
        rows[row_index % len(rows)][names[field_index % len(names)]] = value
    failing = set()
    for number, row in enumerate(rows, start=1):
        try:
            model.model_validate(row)
        except ValueError:
            failing.add(number)
    columns = {name: [row[name] for row in rows] for name in names}
    problems = Problems()
    checked = validate_table(table, columns, len(rows), problems)  # type: ignore[arg-type]
    assert (checked is None) == bool(failing)
    assert {p["row"] for p in problems.items} == failing
    if checked is not None:
        for number, row in enumerate(rows):
            record = model.model_validate(row).model_dump(mode="json")
            for name in names:
                expected = record[name]
                got = checked[name][number]
                assert (list(got) if isinstance(got, tuple) else got) == expected
