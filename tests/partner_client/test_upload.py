"""Uploading: retries with backoff on faults and 5xx, nothing half-sent, receipts verified."""

import base64
import json
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anonymise import Refusal, RefusalProblem
from anonymise.bundle import canonical_json
from partner_client.config import ClientSettings, load_state, update_state
from partner_client.errors import ClientError
from partner_client.keystore import public_key_b64
from partner_client.upload import AUDIENCE, UPLOAD_TYP, Hub
from tests.factories.client_home import GOOD, HEADER, PROFILE, make_home


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[ClientSettings, Path, Ed25519PrivateKey]:
    from typer.testing import CliRunner

    from partner_client.cli import app
    from tests.factories.client_home import DEMO_AGREEMENT

    settings = make_home(tmp_path / "home")
    hub_key = Ed25519PrivateKey.generate()
    update_state(settings, hub_public_key=public_key_b64(hub_key))
    (tmp_path / "p.yaml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "e.csv").write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    out = tmp_path / "b.zip"
    result = CliRunner().invoke(
        app,
        ["prepare", str(tmp_path / "e.csv"), "--profile", str(tmp_path / "p.yaml"), "--quarter", "2026Q3",
         "--out", str(out), "--agreement", str(DEMO_AGREEMENT), "--home", str(settings.home), "--no-ner"],
    )
    assert result.exit_code == 0, result.output
    return settings, out, hub_key


def _receipt(hub_key: Ed25519PrivateKey, digest: str) -> dict[str, object]:
    receipt = {"submission_id": "s1", "quarter": "2026-Q3", "bundle_sha256": digest, "status": "accepted"}
    return {"receipt": receipt, "signature": base64.b64encode(hub_key.sign(canonical_json(receipt))).decode()}


def test_retries_5xx_and_network_faults_then_succeeds(bundle: tuple[ClientSettings, Path, Ed25519PrivateKey]) -> None:
    settings, path, hub_key = bundle
    seen: list[str] = []
    sleeps: list[float] = []
    state = load_state(settings)

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False}, audience=AUDIENCE)
        assert header["typ"] == UPLOAD_TYP
        assert header["kid"] == state.kid
        assert header["alg"] == "EdDSA"
        assert claims["iss"] == state.org_id
        assert claims["exp"] - claims["iat"] <= 300
        seen.append(claims["jti"])
        if len(seen) == 1:
            raise httpx.ConnectError("refused")
        if len(seen) == 2:
            return httpx.Response(500, json={"error": "boom"})
        return httpx.Response(201, json=_receipt(hub_key, claims["bundle_sha256"]))

    body = Hub(settings, transport=httpx.MockTransport(handler), sleep=sleeps.append).upload(path)
    assert body["receipt"]["submission_id"] == "s1"
    assert len(set(seen)) == 3, "each attempt carries a fresh token id"
    assert sleeps == [1.0, 2.0]


def test_a_short_retry_after_is_waited_for_then_the_upload_goes_through(
    bundle: tuple[ClientSettings, Path, Ed25519PrivateKey],
) -> None:
    settings, path, hub_key = bundle
    sleeps: list[float] = []
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "rate_limited"})
        claims = jwt.decode(request.headers["Authorization"].removeprefix("Bearer "), options={"verify_signature": False}, audience=AUDIENCE)
        return httpx.Response(201, json=_receipt(hub_key, claims["bundle_sha256"]))

    Hub(settings, transport=httpx.MockTransport(handler), sleep=sleeps.append).upload(path)
    assert sleeps == [7.0], "the hub's Retry-After, not the 1 s backoff"


def test_a_long_retry_after_ends_the_command_with_when_to_try_again(
    bundle: tuple[ClientSettings, Path, Ed25519PrivateKey],
) -> None:
    settings, path, _ = bundle
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "1800"}, json={"error": "rate_limited"})

    with pytest.raises(ClientError) as info:
        Hub(settings, transport=httpx.MockTransport(handler), sleep=sleeps.append).upload(path)
    assert sleeps == [], "no point sleeping half an hour inside the command"
    assert "about 30 minute(s)" in info.value.message
    assert "Nothing was accepted half-way" in info.value.message


def test_a_hub_that_stays_down_gets_a_clear_message(bundle: tuple[ClientSettings, Path, Ed25519PrivateKey]) -> None:
    settings, path, _ = bundle

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    with pytest.raises(ClientError) as info:
        Hub(settings, transport=httpx.MockTransport(handler), sleep=lambda s: None).upload(path)
    assert "Nothing was accepted half-way" in info.value.message
    assert info.value.hint is not None
    assert "safe" in info.value.hint


def test_a_resent_bundle_that_was_superseded_verifies_and_says_so(
    bundle: tuple[ClientSettings, Path, Ed25519PrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from partner_client import commands
    from partner_client.cli import app

    settings, path, hub_key = bundle

    def handler(request: httpx.Request) -> httpx.Response:
        digest = jwt.decode(request.headers["Authorization"][7:], options={"verify_signature": False})["bundle_sha256"]
        receipt = {"submission_id": "s1", "quarter": "2026-Q3", "bundle_sha256": digest, "status": "superseded",
                   "superseded_by": "s2", "superseded_at": "2026-11-22T10:00:00+00:00"}
        signature = base64.b64encode(hub_key.sign(canonical_json(receipt))).decode()
        return httpx.Response(200, json={"receipt": receipt, "signature": signature})

    body = Hub(settings, transport=httpx.MockTransport(handler)).upload(path)
    assert body["receipt"]["status"] == "superseded"
    monkeypatch.setattr(commands, "Hub", lambda s: Hub(s, transport=httpx.MockTransport(handler)))
    result = CliRunner().invoke(app, ["upload", str(path), "--home", str(settings.home)])
    assert result.exit_code == 0, result.output
    assert "superseded it (s2)" in result.output
    assert "Accepted by the hub" not in result.output


def test_a_receipt_not_signed_by_the_enrolled_hub_is_refused(bundle: tuple[ClientSettings, Path, Ed25519PrivateKey]) -> None:
    settings, path, _ = bundle
    impostor = Ed25519PrivateKey.generate()

    def handler(request: httpx.Request) -> httpx.Response:
        digest = jwt.decode(request.headers["Authorization"][7:], options={"verify_signature": False})["bundle_sha256"]
        return httpx.Response(201, json=_receipt(impostor, digest))

    with pytest.raises(ClientError, match="valid signature"):
        Hub(settings, transport=httpx.MockTransport(handler)).upload(path)


def test_refusals_name_rows_and_columns(bundle: tuple[ClientSettings, Path, Ed25519PrivateKey]) -> None:
    settings, path, _ = bundle
    refusal = Refusal(error="rejected", detail="bundle refused",
                      problems=[RefusalProblem(table="persons", row=3, column="gender", rule="enum")])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json=refusal.wire())  # the hub's own body, from the shared model

    with pytest.raises(ClientError) as info:
        Hub(settings, transport=httpx.MockTransport(handler)).upload(path)
    assert "422" in info.value.message
    assert "row 3" in info.value.problems[0].message
    assert "gender" in info.value.problems[0].message
    assert info.value.problems[0].rule == "enum"


def test_a_damaged_bundle_is_not_sent(bundle: tuple[ClientSettings, Path, Ed25519PrivateKey]) -> None:
    settings, path, _ = bundle
    path.write_bytes(path.read_bytes()[:-40])
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500)

    with pytest.raises(ClientError, match="not an intact bundle"):
        Hub(settings, transport=httpx.MockTransport(handler)).upload(path)
    assert calls == []


def test_tracebacks_hide_values(tmp_path: Path) -> None:
    from partner_client.console import safe_traceback

    try:
        raise ValueError("Ardit Hoxha 07700 900001")
    except ValueError as exc:
        text = safe_traceback(type(exc), exc.__traceback__)
    assert "Hoxha" not in text
    assert "ValueError" in text
    assert json.dumps(text)
