"""The hub re-checks the agreement's upload_min_k: a bundle the client would not send is refused whole."""

import json
from datetime import UTC, datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise.agreement import Agreement
from anonymise.bundle import sha256_hex
from anonymise.schema import Incident, Person, Record, TableName
from hub.models import AgreementVersion, Submission
from hub.models import Incident as IncidentRow
from hub.models import Person as PersonRow
from tests.anonymise.kanon_oracle import enforce_k
from tests.factories import FakePartner, add_partner, agreement_document, make_tables, record_rows
from tests.hubs import HubUnderTest


def _add_agreement_with_k(session: Session, providers: list[str], k: int) -> None:
    agreement = Agreement.model_validate(agreement_document(providers) | {"upload_min_k": k})
    text = yaml.safe_dump(json.loads(agreement.model_dump_json()), sort_keys=False)
    session.add(
        AgreementVersion(agreement_id=agreement.id, version=agreement.version, status=agreement.status.value,
                         document=text, sha256=sha256_hex(text.encode()), created_by="tests",
                         created_at=datetime.now(UTC))
    )
    session.flush()


def _partner_with_k(hub: HubUnderTest, k: int) -> FakePartner:
    partner: FakePartner = hub.arrange(add_partner, "ngo-one")
    hub.arrange(_add_agreement_with_k, ["ngo-one", "ngo-two"], k)
    return partner




def _as_client_sends(tables: dict[TableName, list[Record]], k: int) -> dict[TableName, list[Record]]:
    """The tables after the core's enforce_k, which the client's compact version matches exactly."""
    persons = [p for p in tables["persons"] if isinstance(p, Person)]
    incidents = [i for i in tables["incidents"] if isinstance(i, Incident)]
    out = enforce_k(persons, incidents, k=k)
    return {**tables, "persons": list(out.persons), "incidents": list(out.incidents)}


def _values(tables: dict[TableName, list[Record]]) -> set[str]:
    found: set[str] = set()
    for table in ("persons", "incidents"):
        for row in record_rows(tables[table]):
            found.update(v for v in row.values() if isinstance(v, str) and len(v) > 2)
    return found


def test_a_bundle_below_the_agreements_k_is_refused_whole(hub: HubUnderTest) -> None:
    partner = _partner_with_k(hub, 3)
    tables = make_tables(6, seed=4)  # random ages, genders and nationalities: mostly unique groups
    response = hub.upload(partner, partner.bundle(tables))
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == "rejected"
    [problem] = body["problems"]
    assert problem["rule"] == "upload_min_k"
    assert problem["table"] == "persons"
    assert problem["column"] == "age_band, age_group, gender, nationality"
    assert "at least 3 (upload_min_k)" in problem["message"]
    assert "first_known_month" in problem["message"]
    assert hub.counts(Submission)["submissions"] == 0
    # Counts and column names only: no value of any record comes back.
    assert not {v for v in _values(tables) if v in response.text} - {"unknown", "adult"}


def test_what_the_client_sends_under_the_same_k_is_accepted(hub: HubUnderTest) -> None:
    partner = _partner_with_k(hub, 3)
    tables = _as_client_sends(make_tables(6, seed=4), 3)
    response = hub.upload(partner, partner.bundle(tables))
    assert response.status_code == 201, response.text
    assert hub.counts(Submission)["submissions"] == 1


def test_the_default_agreement_k_of_1_changes_nothing(hub: HubUnderTest, partner: FakePartner) -> None:
    tables = make_tables(6, seed=4)  # refused under k=3 (above): accepted here, and stored as sent
    response = hub.upload(partner, partner.bundle(tables))
    assert response.status_code == 201, response.text
    fields = ("age_band", "age_group", "gender", "nationality")
    sent = sorted(tuple(row[f] for f in fields) for row in record_rows(tables["persons"]))
    assert len(sent) == 12
    with hub.session() as s:
        stored = sorted((p.age_band, p.age_group, p.gender, p.nationality) for p in s.scalars(select(PersonRow)))
        cells = sorted(i.h3_cell for i in s.scalars(select(IncidentRow)))
    assert stored == sent  # nothing generalised or suppressed
    assert cells == sorted(row["h3_cell"] for row in record_rows(tables["incidents"]))


def test_other_problems_are_still_named_by_receive(hub: HubUnderTest) -> None:
    """A bundle under another version of the agreement is refused for that, not for k."""
    partner = _partner_with_k(hub, 3)
    response = hub.upload(partner, partner.bundle(make_tables(6, seed=4), agreement_version=2))
    assert response.status_code == 422
    assert [p["rule"] for p in response.json()["problems"]] == ["agreement"]
