"""`upload`, `status`, `withdraw`, `alerts`: talk to the hub with short-lived EdDSA tokens; retry safely; verify receipts."""

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from anonymise.bundle import canonical_json
from anonymise.refusal import Refusal
from partner_client.config import ClientSettings, ClientState, load_state
from partner_client.errors import ClientError
from partner_client.keystore import hub_public_key, load_signing_key
from partner_client.preview import read_bundle

AUDIENCE: Final = "msht-hub"
UPLOAD_TYP: Final = "msht-upload+jwt"
PARTNER_TYP: Final = "msht-partner+jwt"
TOKEN_SECONDS: Final = 120


def make_token(state: ClientState, key: Ed25519PrivateKey, typ: str, **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {
        "iss": state.org_id,
        "sub": state.org_id,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now - timedelta(seconds=5),
        "exp": now + timedelta(seconds=TOKEN_SECONDS),
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": state.kid, "typ": typ})


MAX_RETRY_AFTER_SECONDS: Final = 120  # a longer wait asked by the hub ends the command with a clear message


def _retry_after(response: httpx.Response) -> int | None:
    """The hub's Retry-After in seconds (429 answers carry one), or None."""
    value = response.headers.get("retry-after", "")
    return int(value) if value.isdigit() else None


class Hub:
    """The hub as the client sees it: a few calls, each with a fresh token, retried when that is safe."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.state = load_state(settings)
        self.key = load_signing_key(settings)
        self.transport = transport
        self.sleep = sleep

    def _request(self, method: str, path: str, typ: str, *, content: bytes | None = None, **claims: Any) -> httpx.Response:
        url = f"{self.state.hub_url}{path}"
        delay = self.settings.backoff_seconds
        last: str = ""
        for attempt in range(1, self.settings.upload_attempts + 1):
            headers = {"Authorization": f"Bearer {make_token(self.state, self.key, typ, **claims)}"}
            if content is not None:
                headers["Content-Type"] = "application/zip"
            try:
                with httpx.Client(timeout=self.settings.timeout_seconds, transport=self.transport) as client:
                    response = client.request(method, url, content=content, headers=headers)
            except httpx.TransportError:
                last = "the hub could not be reached"
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return response
                last = f"the hub answered {response.status_code}"
                wait = _retry_after(response) if response.status_code == 429 else None
                if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
                    raise ClientError(
                        f"The hub is limiting requests from your organisation for now: try again in about "
                        f"{max(1, round(wait / 60))} minute(s). Nothing was accepted half-way.",
                        hint="Repeating the command later is safe. If you did not send many uploads, tell your hub operator.",
                    )
                if wait is not None:
                    delay = max(delay, float(wait))  # the hub said how long; never sooner than our own backoff
            if attempt < self.settings.upload_attempts:
                self.sleep(delay)
                delay *= 2
        raise ClientError(
            f"Gave up after {self.settings.upload_attempts} attempts: {last}. Nothing was accepted half-way: "
            "the hub keeps a submission only when it is complete.",
            hint="Try again later with the same command — repeating it is safe. If it keeps failing, tell your hub operator.",
        )

    def upload(self, bundle_path: Path) -> dict[str, Any]:
        read_bundle(bundle_path)  # refuse a damaged bundle before sending anything
        data = bundle_path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        response = self._request(
            "POST", "/api/v1/submissions", UPLOAD_TYP, content=data, bundle_sha256=digest
        )
        body = _json(response)
        if response.status_code >= 400:
            raise _refusal(response, body)
        self.verify_receipt(body, digest)
        return body

    def verify_receipt(self, body: dict[str, Any], digest: str) -> None:
        receipt = body.get("receipt", body)
        signature = body.get("signature") or (receipt.get("signature") if isinstance(receipt, dict) else None)
        if not isinstance(receipt, dict) or not isinstance(signature, str):
            raise ClientError("The hub's answer holds no signed receipt.", hint="Tell your hub operator.")
        signed = {k: v for k, v in receipt.items() if k != "signature"}
        try:
            hub_public_key(self.state.hub_public_key).verify(base64.b64decode(signature), canonical_json(signed))
        except (InvalidSignature, ValueError):
            raise ClientError(
                "The hub's receipt does not carry a valid signature from the hub you enrolled with.",
                hint="Do not treat this upload as confirmed; tell your hub operator.",
            ) from None
        if signed.get("bundle_sha256") not in (None, digest):
            raise ClientError("The hub's receipt is for a different bundle.", hint="Tell your hub operator.")

    def status(self) -> list[dict[str, Any]]:
        response = self._request("GET", "/api/v1/submissions", PARTNER_TYP)
        body = _json(response)
        if response.status_code >= 400:
            raise _refusal(response, body)
        items = body.get("submissions", body.get("items", []))
        return list(items) if isinstance(items, list) else []

    def withdraw(self, quarter: str) -> dict[str, Any]:
        response = self._request("POST", f"/api/v1/submissions/{quarter}/withdraw", PARTNER_TYP)
        body = _json(response)
        if response.status_code >= 400:
            raise _refusal(response, body)
        return body


    def _call(self, method: str, path: str) -> dict[str, Any]:
        response = self._request(method, path, PARTNER_TYP)
        body = _json(response)
        if response.status_code >= 400:
            raise _refusal(response, body)
        return body

    def alerts(self) -> list[dict[str, Any]]:
        """Your alerts: your own submission and row, the kinds of link, the month; a contact request if any."""
        items = self._call("GET", "/api/v1/partner/alerts").get("alerts", [])
        return list(items) if isinstance(items, list) else []

    def returns(self) -> list[dict[str, Any]]:
        """The returns you still owe the hub (due or late) and when its operators reminded you of each."""
        items = self._call("GET", "/api/v1/partner/returns").get("returns", [])
        return list(items) if isinstance(items, list) else []

    def request_contact(self, alert_id: int) -> dict[str, Any]:
        return self._call("POST", f"/api/v1/partner/alerts/{alert_id}/contact-request")

    def decide_contact(self, request_id: int, *, accept: bool) -> dict[str, Any]:
        return self._call("POST", f"/api/v1/partner/contact-requests/{request_id}/{'accept' if accept else 'decline'}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {"items": body}


def _refusal(response: httpx.Response, body: dict[str, Any]) -> ClientError:
    from partner_client.errors import Problem

    try:
        refusal = Refusal.model_validate(body)
    except ValidationError:  # not the hub's shared body (a proxy's page, say): status only
        refusal = Refusal(error="unknown", detail=str(body.get("detail", "")))
    detail = refusal.detail
    problems = []
    for p in refusal.problems or []:
        where = p.where()
        text = p.message or p.rule
        problems.append(Problem(rule=p.rule, message=f"{where}: {text}" if where else text))
    hints = {
        401: "Your key was not accepted: it may have been revoked. Ask your hub operator, then run `msht-client init` again.",
        403: "The agreement does not allow this upload; see the reasons above and ask your hub operator.",
        404: "The hub has nothing of yours with that id or quarter.",
        409: "That was done already; see `msht-client alerts`.",
        413: "The bundle is too large for the hub; ask your hub operator about the limit.",
        422: "Fix what is named above, prepare the bundle again and upload the new one.",
    }
    return ClientError(
        f"The hub refused the request ({response.status_code}){': ' + str(detail) if detail else ''}.",
        hint=hints.get(response.status_code, "Tell your hub operator."),
        problems=problems,
    )
