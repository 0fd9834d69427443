"""Reminders for late returns: the operator sees who owes which quarter, reminds after a confirmation
(audited with who and when), the partner reads it from the hub; a script does the same from the CLI."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.models import AuditEntry, Organisation, ReturnReminder, Submission
from hub.returns import service
from hub.returns.grid import recent_quarters
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY
from tests.factories import FakePartner, add_agreement, add_partner
from tests.factories.accounts import add_org, add_user, login
from tests.hubs import HubUnderTest

RETURNS = "/api/v1/partner/returns"


def _quarters() -> tuple[str, str]:
    """A quarter whose deadline (30 days after it ends) has surely passed, and the current one."""
    shown = recent_quarters(datetime.now(UTC).date())
    return shown[-3], shown[-1]


def _submit(session: object, org_id: str, quarter: str) -> None:
    session.add(Submission(  # type: ignore[attr-defined]
        id=str(uuid.uuid4()), org_id=org_id, agreement_id="test-agreement", agreement_version=1, quarter=quarter,
        status="active", bundle_sha256=uuid.uuid4().hex * 2, signing_kid="k", manifest={}, receipt={},
        record_counts={"incidents": 3}, received_at=datetime.now(UTC) - timedelta(days=400),
    ))


@pytest.fixture
def two(hub: HubUnderTest) -> dict[str, FakePartner]:
    """ngo-late owes the old quarter; ngo-ontime sent it. Both joined long ago, so it is expected."""
    def arrange(s: object) -> dict[str, FakePartner]:
        made = {org: add_partner(s, org) for org in ("ngo-late", "ngo-ontime")}  # type: ignore[arg-type]
        add_agreement(s, ["ngo-late", "ngo-ontime"])  # type: ignore[arg-type]
        s.execute(update(Organisation).values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))  # type: ignore[attr-defined]
        _submit(s, "ngo-ontime", _quarters()[0])
        add_org(s, "hub-operator", kind="CentralGovernmentOrganisation", gss_code=None)  # type: ignore[arg-type]
        add_user(s, "olive", "operator", "hub-operator")  # type: ignore[arg-type]
        return made

    result: dict[str, FakePartner] = hub.arrange(arrange)
    return result


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def test_the_operator_sees_who_is_late_and_reminds_after_confirming(hub: HubUnderTest, two: dict[str, FakePartner]) -> None:
    old, _ = _quarters()
    login(hub.client, "olive")
    page = hub.client.get("/console/returns")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-org="([^"]+)" data-quarter="([^"]+)"', page.text)
    assert ("ngo-late", old) in rows
    assert ("ngo-ontime", old) not in rows  # it was received
    assert 'href="/console/organisations/ngo-late"' in page.text

    target = f"test-agreement|ngo-late|{old}"
    confirm = hub.client.get("/console/returns/remind", params={"target": target})
    assert confirm.status_code == 200
    assert "Send 1 reminder?" in confirm.text
    with hub.session() as s:
        assert s.scalars(select(ReturnReminder)).all() == []  # opening the confirmation sends nothing

    sent = hub.client.post("/console/returns/remind", data={"csrf_token": _csrf(confirm.text), "target": target}, follow_redirects=False)
    assert sent.status_code == 303
    with hub.session() as s:
        reminders = s.scalars(select(ReturnReminder)).all()
        assert [(r.org_id, r.quarter, r.sent_by) for r in reminders] == [("ngo-late", old, "user:olive")]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "returns.remind")).one()
    assert entry.actor == "user:olive"
    assert entry.target == "org:ngo-late"
    assert entry.details["quarter"] == old
    assert entry.details["state"] == "late"


def test_a_return_already_received_cannot_be_reminded(hub: HubUnderTest, two: dict[str, FakePartner]) -> None:
    old, _ = _quarters()
    login(hub.client, "olive")
    target = f"test-agreement|ngo-ontime|{old}"
    confirm = hub.client.get("/console/returns/remind", params={"target": target})
    assert "there is nobody to remind" in confirm.text
    refused = hub.client.post("/console/returns/remind", data={"csrf_token": _csrf(confirm.text), "target": target})
    assert refused.status_code == 200
    assert "data-error-summary" in refused.text
    with hub.session() as s:
        assert s.scalars(select(ReturnReminder)).all() == []
        with pytest.raises(Exception, match="no return is owed"):
            service.remind(s, agreement_id="test-agreement", org_id="ngo-ontime", quarter=old, actor="test", on=datetime.now(UTC).date())


def test_the_partner_reads_its_own_reminders_until_the_return_arrives(hub: HubUnderTest, two: dict[str, FakePartner]) -> None:
    old, current = _quarters()
    with hub.session() as s, s.begin():
        service.remind(s, agreement_id="test-agreement", org_id="ngo-late", quarter=old, actor="user:olive", on=datetime.now(UTC).date())

    mine = hub.partner_call(two["ngo-late"], "GET", RETURNS)
    assert mine.status_code == 200
    owed = {r["quarter"]: r for r in mine.json()["returns"]}
    assert owed[old]["late"] is True
    assert len(owed[old]["reminders"]) == 1
    assert owed[current]["late"] is False  # the current quarter is due, not late

    with hub.session() as s:
        seen = s.scalars(select(AuditEntry).where(AuditEntry.action == "returns.listed")).one()
        assert (seen.actor, seen.target) == ("partner:ngo-late", "org:ngo-late")
        assert seen.details["reminders"] == 1
        assert service.last_checked(s, "ngo-late") == seen.at  # its console page says when it last looked
        assert service.last_checked(s, "ngo-ontime") is None

    theirs = hub.partner_call(two["ngo-ontime"], "GET", RETURNS).json()["returns"]
    assert theirs, "ngo-ontime owes the current quarter"
    assert old not in {r["quarter"] for r in theirs}
    assert all(r["reminders"] == [] for r in theirs)  # ngo-late's reminder is not shown to another partner

    hub.arrange(_submit, "ngo-late", old)
    after = hub.partner_call(two["ngo-late"], "GET", RETURNS).json()["returns"]
    assert old not in {r["quarter"] for r in after}


def test_msht_hub_returns_remind_for_scripts(hub: HubUnderTest, two: dict[str, FakePartner], db_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"MSHT_DATABASE_URL": db_url, "MSHT_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY, "MSHT_SESSION_KEY": TEST_SESSION_KEY,
                        "MSHT_SIGNING_KEY_FILE": str(tmp_path / "hub-signing.pem")}.items():
        monkeypatch.setenv(name, value)
    old, _ = _quarters()
    runner = CliRunner()
    listed = runner.invoke(cli, ["returns", "list", "--quarter", old])
    assert listed.exit_code == 0, listed.stderr
    assert "ngo-late" in listed.stdout
    assert "LATE" in listed.stdout
    assert "ngo-ontime" not in listed.stdout
    declined = runner.invoke(cli, ["returns", "remind", "--quarter", old], input="n\n")
    assert declined.exit_code != 0
    done = runner.invoke(cli, ["returns", "remind", "--quarter", old, "--yes"])
    assert done.exit_code == 0, done.stderr
    assert "1 reminder(s)" in done.stdout
    with hub.session() as s:
        assert [(r.org_id, r.quarter) for r in s.scalars(select(ReturnReminder))] == [("ngo-late", old)]
        assert s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "returns.remind")).one().startswith("cli:")
