"""`msht-client alerts` and the local page's alerts against a real hub: the NGO sees its own case
references linked to police records and nothing of those records; a contact request goes from
request to acceptance (CLI, and the pages in headless Chromium); withdrawal removes the alerts."""

import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hub.alerts import service as alerts_service
from partner_client.cli import app
from partner_client.config import ClientSettings, load_state
from partner_client.keystore import load_signing_key
from partner_client.upload import PARTNER_TYP, make_token
from tests.factories.client_home import HEADER, PROFILE
from tests.hubs import LiveHub, run_hub

runner = CliRunner()

EXPORTS = {
    "demo-ngo": [
        "NGO-CASE-4411,03/07/2026,Ardit Hoxha,01/02/1990,M,Albanian,Labour,Newham,07700 900001",
        "NGO-CASE-4412,15/08/2026,Mai Nguyen,11/12/2004,F,Vietnamese,Sexual,Tower Hamlets,07700 900002",
        "NGO-CASE-4413,20/09/2026,Tesfaye Woldu,05/05/1999,M,Eritrean,Labour,Camden,",
    ],
    "demo-police": [
        "POL-77001,10/07/2026,Ardit Hoxha,01/02/1990,M,Albanian,Labour,Newham,07700 900001",
        "POL-77002,12/08/2026,Dritan Kola,03/03/1985,M,Albanian,Sexual,Newham,07700 900002",
        "POL-77003,01/09/2026,Ioana Popa,07/07/1995,F,Romanian,Labour,Camden,07700 900099",
    ],
    # Not opted in to alerts (policies/demo.yaml): shares the NGO's first person and phone, and is never told.
    "lb-newham": ["LBN-5001,05/07/2026,Ardit Hoxha,01/02/1990,M,Albanian,Labour,Newham,07700 900001"],
}
CONTACTS = {"demo-ngo": "Alex Caseworker, alex@ngo.example", "demo-police": "DS Sam Officer, msu@police.example"}
OTHER_SIDE = ("demo-police", "POL-77", "Ioana", "Dritan", "Hoxha")


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"msht-client {' '.join(args[:2])} failed:\n{result.output}"
    return result.output


@dataclass
class Partnership:
    hub: LiveHub
    homes: dict[str, Path]

    def alerts(self, org: str) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = json.loads(cli("alerts", "--json", "--home", str(self.homes[org])))["alerts"]
        return listed

    def raw(self, org: str) -> str:
        """The hub's answer to the partner, as it comes over the wire."""
        settings = ClientSettings(home=self.homes[org])
        token = make_token(load_state(settings), load_signing_key(settings), PARTNER_TYP)
        response = httpx.get(f"{self.hub.url}/api/v1/partner/alerts", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        return response.text


@contextmanager
def partnership(tmp_path: Path) -> Iterator[Partnership]:
    """The NGO, the police and a borough enrol, import one linkage key, prepare and upload their small exports."""
    key = tmp_path / "linkage.key"
    cli("key", "generate", "--out", str(key))
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    with run_hub(tmp_path / "hub") as hub:
        with hub.session() as session:
            for org, contact in CONTACTS.items():
                alerts_service.set_contact(session, org, contact, actor="test-operator")
        homes = {}
        for org, rows in EXPORTS.items():
            home = tmp_path / "clients" / org
            cli("init", "--hub", hub.url, "--token", hub.enrolment_token(org), "--home", str(home))
            cli("key", "import", str(key), "--home", str(home))
            export = tmp_path / f"{org}.csv"
            export.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
            bundle = tmp_path / "bundles" / f"{org}.zip"
            cli("prepare", str(export), "--profile", str(profile), "--quarter", "2026Q3", "--out", str(bundle), "--home", str(home))
            cli("upload", str(bundle), "--home", str(home))
            homes[org] = home
        yield Partnership(hub, homes)


@pytest.mark.slow
def test_the_ngo_sees_its_own_cases_linked_to_police_records_and_nothing_of_them(tmp_path: Path) -> None:
    with partnership(tmp_path) as p:
        ngo = p.alerts("demo-ngo")
        assert {a["case"] for a in ngo} == {"NGO-CASE-4411", "NGO-CASE-4412"}
        assert all("phone" in a["kinds"] for a in ngo)
        assert all(re.fullmatch(r"\d{4}-\d{2}", a["month"]) and a["quarter"] == "2026-Q3" for a in ngo)
        body = p.raw("demo-ngo")
        assert body.count('"id"') == len(ngo)
        for text in (*OTHER_SIDE, "NGO-CASE", "lb-newham", "LBN-"):  # nor its own case references: resolved locally
            assert text not in body, text
        assert not re.search(r"[vh]1\.[0-9a-f]{16}", body)
        listing = cli("alerts", "--home", str(p.homes["demo-ngo"]))
        assert "NGO-CASE-4411" in listing
        cases = json.loads(cli("alerts", "--json", "--home", str(p.homes["demo-ngo"])))["cases"]
        assert sorted(c["case"] for c in cases) == ["NGO-CASE-4411", "NGO-CASE-4412"]  # one row per case
        assert sum(len(c["links"]) for c in cases) == len(ngo)
        assert not [t for t in OTHER_SIDE if t in listing]
        assert {a["case"] for a in p.alerts("demo-police")} == {"POL-77001", "POL-77002"}
        assert p.alerts("lb-newham") == []  # not opted in: told nothing, though it shares a person and a phone
        # The local index stays on the partner's machine; the hub holds no case reference.
        index = p.homes["demo-ngo"] / "case-index.json"
        assert stat.S_IMODE(os.stat(index).st_mode) == 0o600
        assert "NGO-CASE-4411" in index.read_text(encoding="utf-8")
        stored = p.hub.stored_bytes()
        assert stored
        assert not [path.name for path, data in stored.items() if b"NGO-CASE-44" in data or b"POL-7700" in data]

        # A contact request: asked by the NGO, seen by the police against their own case, accepted.
        alert = next(a for a in ngo if a["case"] == "NGO-CASE-4411")
        assert "sent through the hub" in cli("alerts", "contact", str(alert["id"]), "--home", str(p.homes["demo-ngo"]))
        received = [a for a in p.alerts("demo-police") if a["contact_request"]]
        assert [a["case"] for a in received] == ["POL-77001"]
        request = received[0]["contact_request"]
        assert (request["direction"], request["status"], request["organisation"], request["contact"]) == ("received", "pending", None, None)
        assert "ngo" not in p.raw("demo-police").lower().replace("ngo-case", "")
        refused = runner.invoke(app, ["alerts", "accept", str(request["id"]), "--home", str(p.homes["lb-newham"])])
        assert refused.exit_code == 1  # a third partner cannot answer it
        accepted = cli("alerts", "accept", str(request["id"]), "--home", str(p.homes["demo-police"]))
        assert CONTACTS["demo-ngo"] in accepted
        mine = next(a for a in p.alerts("demo-ngo") if a["id"] == alert["id"])
        assert mine["contact_request"]["status"] == "accepted"
        assert mine["contact_request"]["contact"] == CONTACTS["demo-police"]
        assert CONTACTS["demo-police"] in cli("alerts", "--home", str(p.homes["demo-ngo"]))

        # The police withdraw their quarter: the alerts go, on both sides.
        cli("withdraw", "2026Q3", "--yes", "--home", str(p.homes["demo-police"]))
        assert p.alerts("demo-ngo") == []
        assert p.alerts("demo-police") == []


@pytest.mark.browser
@pytest.mark.slow
def test_a_contact_request_goes_from_request_to_acceptance_through_the_pages(tmp_path: Path, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    from partner_client.ui.server import start
    from tests.browser import CHROMIUM_ARGS

    with partnership(tmp_path) as p:
        pages = {org: start(ClientSettings(home=p.homes[org])) for org in ("demo-ngo", "demo-police")}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
                errors: list[str] = []
                ngo = browser.new_page()
                police = browser.new_page()
                for page, org in ((ngo, "demo-ngo"), (police, "demo-police")):
                    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                    page.goto(pages[org].url)
                    page.get_by_text(f"Sending as {org}").wait_for()
                    page.click("#alerts-load")
                    page.locator("#alerts-table").wait_for(state="visible")
                assert "NGO-CASE-4412" in ngo.inner_text("#alerts-table")
                assert "POL-77" not in ngo.inner_text("#alerts")
                ngo.get_by_role("button", name=re.compile("Ask to be put in touch.*NGO-CASE-4412")).click()
                ngo.get_by_text("you asked, pending").wait_for()
                police.click("#alerts-load")
                police.get_by_text("another partner asked you, pending").wait_for()
                assert "NGO-CASE" not in police.inner_text("#alerts")
                assert "demo-ngo" not in police.inner_text("#alerts-table")
                police.get_by_role("button", name=re.compile("^Accept.*POL-77002")).click()
                police.get_by_text(CONTACTS["demo-ngo"]).wait_for()
                ngo.click("#alerts-load")
                ngo.get_by_text(CONTACTS["demo-police"]).wait_for()
                browser.close()
            assert errors == []
        finally:
            for running in pages.values():
                running.stop()


def test_alerts_are_grouped_one_row_per_case_listing_its_links() -> None:
    from partner_client.alerts import LocalAlert, by_case

    links = [
        LocalAlert(1, "NGO-1", "2026-Q3", ["person"], "2026-08", None, ("s1", 4)),
        LocalAlert(2, "NGO-2", "2026-Q3", ["phone"], "2026-08", None, ("s1", 5)),
        LocalAlert(3, "NGO-1", "2026-Q3", ["phone", "vehicle"], "2026-07", None, ("s1", 4)),
    ]
    cases = by_case(links)
    assert [(c.case, [a.id for a in c.links]) for c in cases] == [("NGO-1", [1, 3]), ("NGO-2", [2])]
    assert cases[0].summary == "2 links: same person, phone, vehicle"
    assert cases[0].first_found == "2026-07"
    assert cases[1].summary == "1 link: phone"
