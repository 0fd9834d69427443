"""OIDC bearer tokens from the organisation's identity provider: a tiny IdP on 127.0.0.1 serves the JWKS."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from hub.main import create_app
from tests.conftest import make_settings
from tests.factories.accounts import add_org, add_user, transaction

AUDIENCE = "msht-hub-api"


@dataclass
class IdentityProvider:
    issuer: str
    jwks_url: str
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    requests: list[str]

    def token(self, *, kid: str = "rsa-1", key: Any = None, alg: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer, "aud": AUDIENCE, "sub": "u-123", "preferred_username": "hana@hackney.example",
            "name": "Hana", "iat": now, "exp": now + 300, "msht_role": "borough_officer", "msht_org": "lb-hackney",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.rsa_key, algorithm=alg, headers={"kid": kid, "typ": "at+jwt"})


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = [
        json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key())) | {"kid": "rsa-1", "use": "sig", "alg": "RS256"},
        json.loads(ECAlgorithm.to_jwk(ec_key.public_key())) | {"kid": "ec-1", "use": "sig", "alg": "ES256"},
    ]
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = json.dumps({"keys": keys}).encode()
            self.send_response(200 if self.path == "/jwks" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield IdentityProvider(issuer=f"{base}/realms/london", jwks_url=f"{base}/jwks", rsa_key=rsa_key, ec_key=ec_key, requests=requests)
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(db_url: str, tmp_path: Path, idp: IdentityProvider) -> Iterator[FastAPI]:
    app = create_app(
        make_settings(db_url, tmp_path, oidc_issuer=idp.issuer, oidc_audience=AUDIENCE, oidc_jwks_url=idp.jwks_url, oidc_token_type="at+jwt")
    )
    with transaction(app.state.sessions) as session:
        add_org(session, "lb-hackney", gss_code="E09000012")
    yield app
    app.state.engine.dispose()


def _me(app: FastAPI, token: str) -> Any:
    with TestClient(app) as client:
        return client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})


def test_token_from_the_identity_provider_accepted(app: FastAPI, idp: IdentityProvider) -> None:
    response = _me(app, idp.token())
    assert response.status_code == 200, response.text
    assert response.json() == {
        "username": "hana@hackney.example", "display_name": "Hana", "org_id": "lb-hackney",
        "role": "borough_officer", "gss_code": "E09000012", "csrf_token": None,
    }
    ec_token = idp.token(kid="ec-1", key=idp.ec_key, alg="ES256")
    assert _me(app, ec_token).status_code == 200
    assert idp.requests.count("/jwks") == 1  # keys cached between requests


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "another-app"}, "audience"),
        ({"iss": "http://127.0.0.1:1/realms/other"}, "issuer"),
        ({"iat": int(time.time()) - 900, "exp": int(time.time()) - 600}, "expired"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
        ({"msht_role": "superuser"}, "role"),
        ({"msht_role": None}, "role"),
        ({"msht_org": "lb-nowhere"}, "organisation"),
    ],
)
def test_bad_claims_refused(app: FastAPI, idp: IdentityProvider, claims: dict[str, Any], message: str) -> None:
    response = _me(app, idp.token(**claims))
    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_forgeries_refused(app: FastAPI, idp: IdentityProvider) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _me(app, idp.token(key=attacker)).status_code == 401  # right kid, wrong key
    assert _me(app, idp.token(kid="unknown")).status_code == 401
    unsigned = jwt.encode({"iss": idp.issuer, "aud": AUDIENCE}, None, algorithm="none", headers={"kid": "rsa-1"})  # type: ignore[arg-type]
    assert _me(app, unsigned).status_code == 401
    # algorithm confusion: HS256 keyed with the IdP's public JWK parameters
    n = json.loads(RSAAlgorithm.to_jwk(idp.rsa_key.public_key()))["n"]
    confused = jwt.encode({"iss": idp.issuer, "aud": AUDIENCE, "sub": "x", "iat": int(time.time()), "exp": int(time.time()) + 60,
                           "msht_role": "operator", "msht_org": "lb-hackney"}, n, algorithm="HS256", headers={"kid": "rsa-1", "typ": "at+jwt"})
    assert _me(app, confused).status_code == 401


def test_wrong_token_type_refused(app: FastAPI, idp: IdentityProvider) -> None:
    now = int(time.time())
    id_token = jwt.encode({"iss": idp.issuer, "aud": AUDIENCE, "sub": "u", "iat": now, "exp": now + 60, "msht_role": "analyst", "msht_org": "lb-hackney"},
                          idp.rsa_key, algorithm="RS256", headers={"kid": "rsa-1", "typ": "JWT"})
    response = _me(app, id_token)
    assert response.status_code == 401
    assert "type" in response.json()["detail"]


def test_disabled_local_account_wins_over_the_token(app: FastAPI, idp: IdentityProvider) -> None:
    with transaction(app.state.sessions) as session:
        user = add_user(session, "hana@hackney.example", "borough_officer", "lb-hackney")
        user.status = "disabled"
    assert _me(app, idp.token()).status_code == 401


def test_roles_from_claims_enforced(app: FastAPI, idp: IdentityProvider) -> None:
    with TestClient(app) as client:
        officer = {"Authorization": f"Bearer {idp.token()}"}
        assert client.get("/api/v1/orgs", headers=officer).status_code == 403
        operator = {"Authorization": f"Bearer {idp.token(msht_role='operator', preferred_username='ops')}"}
        assert client.get("/api/v1/orgs", headers=operator).status_code == 200


def test_identity_provider_down_is_401_not_500(db_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(db_url, tmp_path, oidc_issuer="http://127.0.0.1:9/x", oidc_audience=AUDIENCE, oidc_jwks_url="http://127.0.0.1:9/jwks"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"iss": "http://127.0.0.1:9/x", "aud": AUDIENCE}, key, algorithm="RS256", headers={"kid": "k"})
    assert _me(app, token).status_code == 401
    app.state.engine.dispose()


def test_groups_mapped_onto_roles_and_orgs(db_url: str, tmp_path: Path, idp: IdentityProvider) -> None:
    app = create_app(make_settings(
        db_url, tmp_path, oidc_issuer=idp.issuer, oidc_audience=AUDIENCE, oidc_jwks_url=idp.jwks_url,
        oidc_role_claim="groups", oidc_role_map={"msht-officers": "borough_officer", "msht-admins": "operator"},
        oidc_org_claim="org", oidc_org_map={"Hackney Council": "lb-hackney"},
    ))
    with transaction(app.state.sessions) as session:
        add_org(session, "lb-hackney", gss_code="E09000012")
    ok = _me(app, idp.token(groups=["staff", "msht-officers"], org="Hackney Council"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["role"] == "borough_officer"
    assert ok.json()["org_id"] == "lb-hackney"
    ambiguous = _me(app, idp.token(groups=["msht-officers", "msht-admins"], org="Hackney Council"))
    assert ambiguous.status_code == 401
    assert _me(app, idp.token(groups=["staff"], org="Hackney Council")).status_code == 401
    assert _me(app, idp.token(groups=["msht-officers"], org="lb-hackney")).status_code == 401  # only mapped values count
    app.state.engine.dispose()


# --- issue 17: the independent attack --------------------------------------------------------


def test_a_token_with_a_crit_header_is_refused_not_a_server_error(app: FastAPI, idp: IdentityProvider) -> None:
    now = int(time.time())
    claims = {"iss": idp.issuer, "aud": AUDIENCE, "sub": "u", "iat": now, "exp": now + 60, "msht_role": "analyst", "msht_org": "lb-hackney"}
    for crit in (["exp"], "b64", ["unknown-extension"]):
        token = jwt.encode(claims, idp.rsa_key, algorithm="RS256", headers={"kid": "rsa-1", "typ": "at+jwt", "crit": crit})
        response = _me(app, token)
        assert response.status_code == 401, response.text


def test_a_role_contradicting_the_local_account_is_refused(app: FastAPI, idp: IdentityProvider) -> None:
    with transaction(app.state.sessions) as session:
        add_user(session, "hana@hackney.example", "borough_officer", "lb-hackney")
    assert _me(app, idp.token()).status_code == 200  # the same role as the local account
    claimed = _me(app, idp.token(msht_role="operator"))
    assert claimed.status_code == 401, claimed.text
    assert "role" in claimed.json()["detail"]


def test_failed_oidc_tokens_are_rate_limited_and_a_valid_one_still_works(db_url: str, tmp_path: Path, idp: IdentityProvider) -> None:
    app = create_app(make_settings(db_url, tmp_path, oidc_issuer=idp.issuer, oidc_audience=AUDIENCE,
                                   oidc_jwks_url=idp.jwks_url, bearer_failures_per_hour=3))
    with transaction(app.state.sessions) as session:
        add_org(session, "lb-hackney", gss_code="E09000012")
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    statuses = [_me(app, idp.token(key=attacker)).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert _me(app, idp.token()).status_code == 200
    app.state.engine.dispose()
