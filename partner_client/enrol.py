"""`init`: generate the partner's Ed25519 key pair here and register its public half with the hub."""

from typing import Any

import httpx

from partner_client.config import ClientSettings, ClientState, save_state
from partner_client.errors import ClientError
from partner_client.keystore import new_signing_key, public_key_b64


def enrol(settings: ClientSettings, hub_url: str, token: str, *, transport: httpx.BaseTransport | None = None) -> ClientState:
    hub_url = hub_url.rstrip("/")
    if not hub_url.startswith(("https://", "http://127.", "http://localhost", "http://[::1]")):
        raise ClientError(
            "The hub address must start with https:// (plain http only to this machine).",
            hint="Use the address your hub operator gave you, e.g. https://hub.example.org.",
        )
    key = new_signing_key(settings)
    try:
        with httpx.Client(timeout=settings.timeout_seconds, transport=transport) as client:
            response = client.post(
                f"{hub_url}/api/v1/enrol", json={"token": token, "public_key": public_key_b64(key)}
            )
    except httpx.TransportError:
        raise ClientError(
            f"The hub at {hub_url} cannot be reached.", hint="Check the address and your network, then run init again."
        ) from None
    if response.status_code == 401:
        raise ClientError(
            "The hub refused the enrolment token: it is unknown, expired or already used.",
            hint="Ask your hub operator for a new enrolment token.",
        )
    if response.status_code == 422:
        raise ClientError(
            "That enrolment token is not in the right form.",
            hint="Copy it again exactly as your hub operator sent it: one line of letters, digits, - and _, no spaces.",
        )
    if response.status_code >= 400:
        raise ClientError(f"The hub refused enrolment ({response.status_code}): {_detail(response)}.")
    body = response.json()
    state = ClientState(
        hub_url=hub_url, org_id=body["org_id"], kid=body["kid"], hub_public_key=body["hub_public_key"],
        org_name=body.get("org_name"),
    )
    save_state(settings, state)
    return state


def _detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return "no details"
    return str(body.get("detail", "no details")) if isinstance(body, dict) else "no details"
