"""The client's use cases, shared by the CLI and the web page: enrol, prepare a bundle, upload it."""

from datetime import date
from pathlib import Path

import httpx
import yaml
from pydantic import ValidationError

from anonymise.agreement import Agreement, parse_agreement
from partner_client import caseindex
from partner_client.config import (
    ClientSettings,
    ClientState,
    agreements_dir,
    load_state,
    save_agreement,
)
from partner_client.enrol import enrol
from partner_client.errors import ClientError
from partner_client.keystore import load_linkage_key, load_signing_key
from partner_client.prepare import Party, Pipeline, Prepared, Progress
from partner_client.profile import Profile
from partner_client.upload import PARTNER_TYP, make_token

AGREEMENTS_PATH = "/api/v1/partner/agreements"


def enrol_and_fetch(
    settings: ClientSettings, hub_url: str, token: str, *, transport: httpx.BaseTransport | None = None
) -> tuple[ClientState, list[str]]:
    state = enrol(settings, hub_url, token, transport=transport)
    return state, fetch_agreements(settings, transport=transport)


def fetch_agreements(settings: ClientSettings, *, transport: httpx.BaseTransport | None = None) -> list[str]:
    """Fetch the agreements this partner belongs to, when the hub offers them; keep them locally."""
    state = load_state(settings)
    key = load_signing_key(settings)
    headers = {"Authorization": f"Bearer {make_token(state, key, PARTNER_TYP)}"}
    try:
        with httpx.Client(timeout=settings.timeout_seconds, transport=transport) as client:
            response = client.get(f"{state.hub_url}{AGREEMENTS_PATH}", headers=headers)
    except httpx.TransportError:
        return []
    if response.status_code != 200:
        return []
    fetched = []
    items = response.json()
    for item in items.get("agreements", []) if isinstance(items, dict) else items:
        document = item.get("document") if isinstance(item, dict) else None
        if not isinstance(document, str):
            continue
        try:
            agreement = parse_agreement(document)
        except (ValidationError, ValueError, yaml.YAMLError):
            continue
        save_agreement(settings, agreement.id, document)
        fetched.append(f"{agreement.id} v{agreement.version}")
    return fetched


def agreement_title(settings: ClientSettings, agreement_id: str, agreement_file: Path | None = None) -> str | None:
    """The title of the agreement ``agreement_id`` as kept here (or in ``agreement_file``), for
    naming it in words; None when no readable copy holds that id."""
    candidates = [p for p in (agreement_file, agreements_dir(settings) / f"{agreement_id}.yaml") if p is not None]
    for path in candidates:
        try:
            agreement = parse_agreement(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError, yaml.YAMLError):
            continue
        if agreement.id == agreement_id:
            return agreement.title
    return None


def load_agreement_for(settings: ClientSettings, org_id: str, agreement_file: Path | None) -> Agreement:
    candidates = [agreement_file] if agreement_file is not None else sorted(agreements_dir(settings).glob("*.yaml"))
    found: list[Agreement] = []
    for path in candidates:
        try:
            agreement = parse_agreement(path.read_text(encoding="utf-8"))
        except OSError:
            raise ClientError(f"The agreement file {path} cannot be read.", hint="Check the path.") from None
        except (ValidationError, ValueError, yaml.YAMLError):
            raise ClientError(f"{path.name} is not a valid agreement file.", hint="Ask your hub operator for it again.") from None
        if agreement.party(org_id) is not None:
            found.append(agreement)
    if not found:
        raise ClientError(
            f"No agreement names {org_id} as a party.",
            hint="Give the agreement file with --agreement FILE (your hub operator has it).",
        )
    if len(found) > 1:
        raise ClientError(
            f"{org_id} is a party of several agreements ({', '.join(a.id for a in found)}).",
            hint="Choose one with --agreement FILE.",
        )
    return found[0]


def prepare_bundle(
    settings: ClientSettings,
    csv_path: Path,
    profile: Profile,
    profile_dir: Path,
    quarter: str,
    out: Path,
    *,
    agreement_file: Path | None = None,
    ner: bool | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    workers: int | None = None,
) -> Prepared:
    state = load_state(settings)
    if agreement_file is None:
        fetch_agreements(settings)  # best effort: pick up a new version if the hub answers; offline is fine
    agreement = load_agreement_for(settings, state.org_id, agreement_file)
    party = agreement.party(state.org_id)
    assert party is not None  # load_agreement_for only returns agreements naming the partner
    key = load_linkage_key(settings, agreement.linkage.key_version)
    pipeline = Pipeline(
        profile=profile,
        profile_dir=profile_dir,
        quarter=quarter,
        party=Party(partner_id=state.org_id, partner_type=party.kind.value, agreement=agreement),
        linkage_key=key,
        today=today,
        ner=ner,
        workers=settings.workers if settings.workers is not None else workers,
        progress=progress,
    )
    prepared = pipeline.run(csv_path, out, load_signing_key(settings))
    caseindex.record_bundle(settings, prepared.bundle_path, prepared.case_refs)
    return prepared
