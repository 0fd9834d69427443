"""`msht-hub demo`: the whole job on the embedded default, as a real partnership would run it.

A SQLite hub with generated demo secrets and the demo agreement; organisations and demo logins;
four synthetic partners (NGO, borough, hospital, police) each enrolling with a one-time token,
preparing several quarters of their own export with `msht-client` in separate processes, and
uploading; then the dashboard is served. Everything here announces itself as a demo.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import uvicorn
from sqlalchemy.orm import Session

from anonymise import PartnerType, ViewerRole, load_agreement
from hub.agreements import service as agreements
from hub.alerts import service as alerts
from hub.config import HubSettings
from hub.db import ROOT, make_engine, make_sessionmaker, migrate
from hub.main import create_app
from hub.partners import service as partners
from hub.premises import service as premises
from hub.secrets import generate_demo_secrets
from hub.statistics.route_nodes import OTHER_LONDON

DEMO_AGREEMENT: Final = ROOT / "policies" / "demo.yaml"
DEMO_REGISTER: Final = ROOT / "hub" / "premises" / "data" / "fhrs-synthetic.xml"
"""A synthetic premises register in the FSA FHRS layout: invented names and addresses, counts realistic enough to rank."""
PROFILES: Final = ROOT / "partner_client" / "profiles"
QUARTERS: Final = ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")
AUDIT_WAIT_SECONDS: Final = 1800
"""How long the demo waits for the audits of four quarters x every viewer class (minutes on a loaded 2-core machine)."""
CLIENT: Final = Path(sys.executable).parent / "msht-client"
DEMO_PASSWORD: Final = "demo-only-password"  # noqa: S105 - printed to the demo user on purpose

PARTNER_FILES: Final = {
    "demo-ngo": ("ngo_cases.csv", "ngo_cases.yaml"),
    "lb-newham": ("borough_safeguarding.csv", "borough_safeguarding.yaml"),
    "demo-hospital": ("hospital_flags.csv", "hospital_flags.yaml"),
    "demo-police": ("police_intel.csv", "police_intel.yaml"),
}
"""Each synthetic partner: its export file and the mapping profile shipped for its layout."""


DEMO_CONTACTS: Final = {
    "demo-ngo": "Alex Demo, casework manager, alex@ngo.example (invented)",
    "demo-police": "DS Sam Demo, modern slavery unit, msu@police.example (invented)",
}
"""The named contacts each opted-in demo partner shows another once it accepts a contact request."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    org_id: str
    role: ViewerRole
    display_name: str


LOGINS: Final = (
    DemoLogin("operator", "hub-operator", ViewerRole.operator, "Hub operator"),
    DemoLogin("newham", "lb-newham", ViewerRole.borough_officer, "Newham MSHT lead"),
    DemoLogin("towerhamlets", "lb-tower-hamlets", ViewerRole.borough_officer, "Tower Hamlets MSHT lead"),
    DemoLogin("camden", "lb-camden", ViewerRole.borough_officer, "Camden MSHT lead"),
    DemoLogin("analyst", "hub-operator", ViewerRole.analyst, "Pan-London analyst"),
)


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)  # noqa: T201 - the demo talks to the person who ran it


@contextmanager
def _session(settings: HubSettings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


def _settings(workdir: Path, port: int) -> HubSettings:
    secret_paths = generate_demo_secrets(workdir / "secrets")
    return HubSettings(
        database_url=f"sqlite:///{workdir / 'hub.db'}",
        base_url=f"http://127.0.0.1:{port}",
        host="127.0.0.1",
        port=port,
        policies_dir=ROOT / "policies",
        demo=True,
        pseudonym_key_file=secret_paths["pseudonym_key_file"],
        session_key_file=secret_paths["session_key_file"],
        signing_key_file=secret_paths["signing_key_file"],
    )


DEMO_NAMES: Final = {
    "demo-ngo": "Demo NGO",
    "lb-newham": "London Borough of Newham",
    "demo-hospital": "Demo Hospital Trust",
    "demo-police": "Demo Police",
    "lb-tower-hamlets": "London Borough of Tower Hamlets",
    "lb-camden": "London Borough of Camden",
    "hub-operator": "Hub operator",
}
"""The demo parties' display names (what pages show instead of their ids)."""


def _seed(settings: HubSettings) -> None:
    agreement = load_agreement(DEMO_AGREEMENT)
    with _session(settings) as session:
        agreements.load_version(session, DEMO_AGREEMENT.read_text(encoding="utf-8"), actor="demo")
        for party in agreement.parties:
            partners.add_org(
                session,
                org_id=party.org,
                name=DEMO_NAMES.get(party.org, party.org),
                kind=PartnerType(party.kind),
                gss_code=party.gss_code,
                actor="demo",
            )
        for login in LOGINS:
            partners.add_user(
                session,
                username=login.username,
                display_name=login.display_name,
                org_id=login.org_id,
                role=login.role,
                password=DEMO_PASSWORD,
                actor="demo",
            )
        premises.import_register(session, [DEMO_REGISTER], actor="demo")
        for org_id, contact in DEMO_CONTACTS.items():
            alerts.set_contact(session, org_id, contact, actor="demo")


class _Server:
    def __init__(self, settings: HubSettings) -> None:
        self.app = create_app(settings)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://{settings.host}:{settings.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the hub did not start on {self.url} (is the port taken?)")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _client(*args: str, home: Path | None = None) -> str:
    """Run `msht-client` as its own process, as the partner would on its own machine; returns what it printed."""
    command = [str(CLIENT), *args, *(("--home", str(home)) if home is not None else ())]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own CLI
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise RuntimeError(f"msht-client {args[0]} failed (exit {result.returncode})")
    return result.stdout


def _partners_upload(settings: HubSettings, url: str, workdir: Path, rows: int) -> None:
    data = workdir / "data"
    from anonymise import DEMO_LINKAGE_KEY

    key_file = workdir / "demo-linkage.key"
    key_file.write_text(DEMO_LINKAGE_KEY.hex(), encoding="ascii")
    os.chmod(key_file, 0o600)
    for org_id in PARTNER_FILES:
        home = workdir / "clients" / org_id
        with _session(settings) as session:
            token = partners.issue_enrolment_token(session, org_id, "demo", timedelta(hours=1))
        _client("init", "--hub", url, "--token", token, home=home)
        _client("key", "import", str(key_file), "--demo", home=home)
        say(f"{org_id}: enrolled (signing key made on its machine), linkage key imported")
    for index, quarter in enumerate(QUARTERS):
        folder = data / quarter
        _client(
            "demo-data", "--out", str(folder), "--seed", str(7 + index), "--rows", str(rows), "--quarter", quarter
        )
        for org_id, (csv_name, profile) in PARTNER_FILES.items():
            home = workdir / "clients" / org_id
            bundle = workdir / "bundles" / f"{org_id}-{quarter}.msht.zip"
            bundle.parent.mkdir(parents=True, exist_ok=True)
            _client(
                "prepare", str(folder / csv_name), "--profile", str(PROFILES / profile),
                "--quarter", quarter, "--out", str(bundle), "--demo", home=home,
            )
            _client("upload", str(bundle), home=home)
            say(f"{org_id}: {quarter} prepared, reviewed and uploaded")


def _show_alerts(workdir: Path) -> None:
    """The NGO's alerts, as its caseworkers see them: its own case references, never the police's records."""
    counts = {}
    for org_id in DEMO_CONTACTS:
        listed = json.loads(_client("alerts", "--json", home=workdir / "clients" / org_id))["alerts"]
        counts[org_id] = len(listed)
        if not listed:
            raise RuntimeError(f"{org_id} got no alert: the demo partners should share people and selectors")
    say(f"alerts (agreement `alerts: true` for the NGO and the police): demo-ngo {counts['demo-ngo']}, "
        f"demo-police {counts['demo-police']}; the NGO's, from `msht-client alerts`:")
    for line in _client("alerts", home=workdir / "clients" / "demo-ngo").splitlines()[:14]:
        say(f"  {line}")


def _signed_in(url: str, username: str) -> httpx.Client:
    web = httpx.Client(base_url=url, follow_redirects=True, timeout=120)  # a shared, loaded machine: sign-in hashes slowly
    login = web.get("/login")
    login.raise_for_status()
    token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = web.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}, follow_redirects=False
    )  # not on to the landing dashboard: the callers fetch the pages they check
    if signed.status_code != 303:
        raise RuntimeError(f"demo sign-in as {username} failed ({signed.status_code})")
    return web


def _check_pages(url: str) -> None:
    with closing(_signed_in(url, "newham")) as web:  # already opened by the sign-in: closing(), not the client's own with
        for path in ("/", "/docs", "/healthz", "/dashboard/E09000025/where-to-look", "/dashboard/E09000025/networks"):
            web.get(path).raise_for_status()


def _audited_ahead(server: "_Server") -> None:
    """Wait for the hub's worker to finish the disclosure audits the uploads made due (it starts
    after each upload commits), so the first dashboard question reads stored hide sets."""
    worker = server.app.state.audit_worker
    started = time.monotonic()
    if worker is None or not worker.wait_idle(AUDIT_WAIT_SECONDS):
        raise RuntimeError("the disclosure audits were not computed ahead of the questions")
    say(f"disclosure audits computed ahead of any question (every viewer class and quarter): "
        f"done {time.monotonic() - started:.0f} s after the last upload")


def _check_london_analyst(url: str) -> None:
    """The pan-London analyst sees borough-to-borough flows and the premises ranking (issue 15)."""
    with closing(_signed_in(url, "analyst")) as web:
        started = time.monotonic()
        routes = web.get("/api/v1/stats/london/routes")
        routes.raise_for_status()
        first = time.monotonic() - started
        body = routes.json()
        shown = [f for f in body["flows"] if f["figure"]["value"]]
        # within London: a named borough or "other London boroughs" (small borough pairs roll up to it) at both ends
        between = [f for f in shown if all(e.startswith("E09") or e == OTHER_LONDON for e in (f["origin"], f["destination"]))]
        named = [f for f in shown if f["origin"].startswith("E09") or f["destination"].startswith("E09")]
        pairs = [f for f in shown if f["origin"].startswith("E09") and f["destination"].startswith("E09") and f["origin"] != f["destination"]]
        if not body["boroughs_named"] or not between or not named or not pairs:
            raise RuntimeError("the demo analyst sees no flow between two named boroughs on the London routes page")
        ranked = web.get("/api/v1/stats/london/premises")
        ranked.raise_for_status()
        rankings = [r for r in ranked.json()["rankings"] if sum(1 for a in r["areas"] if a["rank"] is not None) >= 2]
        if not rankings:
            raise RuntimeError("the demo analyst sees no premises ranking on the Where to look page")
        for path in ("/dashboard/london/routes", "/dashboard/london/where-to-look"):
            page = web.get(path)
            page.raise_for_status()
            if "data-no-boroughs" in page.text:
                raise RuntimeError(f"{path}: no borough's figures are open to the demo analyst")
    say(f"analyst (every borough's detail): first London question {first:.2f} s; "
        f"{len(between)} flows within London, {len(pairs)} between two named boroughs "
        f"({'; '.join(_pair_text(p) for p in pairs)}) "
        f"and {len(named)} naming a borough on the London routes page, "
        f"{len(rankings)} premises types ranked across boroughs on Where to look")


def _pair_text(flow: dict[str, Any]) -> str:
    return f"{flow['origin_label']} → {flow['destination_label']} {flow['figure']['display']}"


def _show_networks(url: str) -> None:
    """The networks the demo analyst sees: incidents the partners' shared people, phones, vans, houses and labour providers join."""
    with closing(_signed_in(url, "analyst")) as web:
        listed = web.get("/api/v1/networks")
        listed.raise_for_status()
        body = listed.json()
        if not body["networks"]:
            raise RuntimeError("the demo analyst sees no network: the demo partners should share people and selectors")
        web.get("/dashboard/london/networks").raise_for_status()
        web.get(f"/dashboard/london/networks/{body['networks'][0]['number']}").raise_for_status()
    across = sum(1 for n in body["networks"] if len(n["partners"]) > 1)
    spans = sum(1 for n in body["networks"] if n["spans_boroughs"])
    top = body["networks"][0]
    say(f"networks (analyst, grant level `networks`): {body['total']}; of the {len(body['networks'])} largest, "
        f"{across} join several partners and {spans} span boroughs; the largest: {top['incidents']} incidents, "
        f"{top['people']} people, selectors {top['selectors']}, partners {', '.join(top['partners'])}")


def run(*, workdir: Path, port: int, rows: int, check: bool) -> None:
    say("DEMO MODE: synthetic data, generated secrets, public demo linkage key. Never use for real data.")
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    settings = _settings(workdir, port)
    migrate(settings.database_url)
    _seed(settings)
    say("hub database migrated; demo agreement, organisations, logins and the synthetic premises register loaded")
    server = _Server(settings)
    server.start()
    try:
        _partners_upload(settings, server.url, workdir, rows)
        _audited_ahead(server)
        _show_alerts(workdir)
        _show_networks(server.url)
        _check_pages(server.url)
        _check_london_analyst(server.url)
        say(f"dashboard: {server.url}/  (API reference: {server.url}/docs)")
        for login in LOGINS:
            say(f"  login {login.username:<13} password {DEMO_PASSWORD}  ({login.display_name})")
        if check:
            say("check passed: the hub answers and the pages render")
            return
        say("serving until Ctrl-C")
        while server.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping")
    finally:
        server.stop()
