"""A client state directory for tests that do not need a hub: enrolled state, signing key, linkage key."""

from pathlib import Path

from anonymise.keys import generate_linkage_key
from partner_client.config import ClientSettings, ClientState, save_state
from partner_client.keystore import import_linkage_key, new_signing_key, public_key_b64

REPO = Path(__file__).resolve().parents[2]
DEMO_AGREEMENT = REPO / "policies" / "demo.yaml"


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
