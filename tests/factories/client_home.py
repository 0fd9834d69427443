"""A client state directory for tests that do not need a hub (enrolled state, signing key, linkage key),
and a small export of three good rows with the mapping profile that reads it."""

from pathlib import Path

from anonymise.keys import generate_linkage_key
from partner_client.config import ClientSettings, ClientState, save_state
from partner_client.keystore import import_linkage_key, new_signing_key, public_key_b64

REPO = Path(__file__).resolve().parents[2]
DEMO_AGREEMENT = REPO / "policies" / "demo.yaml"

PROFILE = """\
profile_format: 1
version: t-1
fields:
  incident.local_id: {column: Ref}
  incident.first_known_date: {column: Opened}
  incident.exploitation_types:
    column: Type
    values: {Labour: labour, Sexual: sexual}
  person.role: {default: potential_victim}
  person.gender:
    column: Sex
    values: {M: male, F: female}
  person.nationality: {column: Nationality}
  incident.borough: {column: Borough}
identifiers:
  full_name: {column: Name}
  dob: {column: DOB}
  phone: {column: Phone}
"""
HEADER = "Ref,Opened,Name,DOB,Sex,Nationality,Type,Borough,Phone"
GOOD = [
    "R1,03/07/2026,Ardit Hoxha,01/02/1990,M,Albanian,Labour,Newham,07700 900001",
    "R2,15/08/2026,Mai Nguyen,11/12/2004,F,Vietnamese,Sexual,Tower Hamlets,07700 900002",
    "R3,20/09/2026,Tesfaye Woldu,05/05/1999,M,Eritrean,Labour,Camden,",
]


def make_home(home: Path, org_id: str = "demo-ngo", hub_url: str = "http://127.0.0.1:9") -> ClientSettings:
    settings = ClientSettings(home=home)
    key = new_signing_key(settings)
    save_state(
        settings, ClientState(hub_url=hub_url, org_id=org_id, kid="test-kid", hub_public_key=public_key_b64(key))
    )
    key_file = home.parent / f"{home.name}-linkage.key"
    key_file.write_text(generate_linkage_key().hex(), encoding="utf-8")
    import_linkage_key(settings, key_file, 1)
    return settings
