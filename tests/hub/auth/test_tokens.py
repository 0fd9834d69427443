"""Strict JWT decoding (RFC 8725) and the database replay cache: the forgeries the hub must refuse."""

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.auth.replay import purge_expired, remember_jti
from hub.auth.tokens import decode_jwt
from hub.db import make_engine, make_sessionmaker
from hub.errors import NotAuthenticated
from hub.models import UsedTokenId
from tests.factories.accounts import transaction

SECRET = b"test-only-session-key-0123456789abcdef0123"
AUD, ISS, TYP = "msht-hub", "partner-x", "msht-upload+jwt"


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISS, "aud": AUD, "iat": now, "exp": now + 60, "jti": "j1"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _hs(claims: dict[str, Any] | None = None, *, key: bytes = SECRET, typ: str | None = TYP) -> str:
    headers = {"typ": typ} if typ else {}
    return jwt.encode(claims or _claims(), key, algorithm="HS256", headers=headers)


def _decode_hs(token: str, **kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"key": SECRET, "algorithms": ["HS256"], "audience": AUD, "issuer": ISS, "typ": TYP}
    args.update(kwargs)
    return decode_jwt(token, **args)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_token(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def test_valid_token_decodes() -> None:
    assert _decode_hs(_hs())["jti"] == "j1"


def test_forged_signature_refused() -> None:
    with pytest.raises(NotAuthenticated, match="signature"):
        _decode_hs(_hs(key=b"another-key-of-the-attacker-0123456789ab"))


def test_tampered_payload_refused() -> None:
    header, _, signature = _hs().split(".")
    payload = _b64(json.dumps(_claims(iss="partner-x", aud=AUD, jti="other")).encode())
    with pytest.raises(NotAuthenticated):
        _decode_hs(f"{header}.{payload}.{signature}")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_refused(alg: str) -> None:
    token = _raw_token({"alg": alg, "typ": TYP}, _claims(), lambda _: b"")
    with pytest.raises(NotAuthenticated, match="algorithm"):
        _decode_hs(token)
    with pytest.raises(NotAuthenticated, match="algorithm"):
        _decode_hs(token, algorithms=["HS256"])


def test_algorithm_confusion_refused() -> None:
    """An HS256 token keyed with the bytes of the verifier's public key must not pass as EdDSA."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    for key_bytes in (pem, raw):
        token = _raw_token(
            {"alg": "HS256", "typ": TYP}, _claims(), lambda m, k=key_bytes: hmac.new(k, m, hashlib.sha256).digest()
        )
        with pytest.raises(NotAuthenticated, match="algorithm"):
            decode_jwt(token, key=public, algorithms=["EdDSA"], audience=AUD, issuer=ISS, typ=TYP)
    # and the verifier cannot even be configured to mix families or pair a symmetric alg with a key object
    with pytest.raises(ValueError, match="symmetric"):
        decode_jwt(_hs(), key=pem, algorithms=["HS256", "EdDSA"], audience=AUD, issuer=ISS, typ=TYP)
    with pytest.raises(ValueError, match="key type"):
        decode_jwt(_hs(), key=public, algorithms=["HS256"], audience=AUD, issuer=ISS, typ=TYP)
    with pytest.raises(ValueError, match="key type"):
        decode_jwt(_hs(), key=pem, algorithms=["EdDSA"], audience=AUD, issuer=ISS, typ=TYP)


def test_eddsa_token_with_right_key_decodes_and_wrong_key_fails() -> None:
    private = Ed25519PrivateKey.generate()
    token = jwt.encode(_claims(), private, algorithm="EdDSA", headers={"typ": TYP})
    assert decode_jwt(token, key=private.public_key(), algorithms=["EdDSA"], audience=AUD, issuer=ISS, typ=TYP)["iss"] == ISS
    with pytest.raises(NotAuthenticated, match="signature"):
        decode_jwt(token, key=Ed25519PrivateKey.generate().public_key(), algorithms=["EdDSA"], audience=AUD, issuer=ISS, typ=TYP)


def test_algorithms_must_be_a_list_not_a_string() -> None:
    with pytest.raises(ValueError, match="list"):
        decode_jwt(_hs(), key=SECRET, algorithms="HS256", audience=AUD, issuer=ISS, typ=TYP)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "someone-else"}, "audience"),
        ({"aud": ["someone-else", "another"]}, "audience"),
        ({"iss": "partner-y"}, "issuer"),
        ({"iat": -3600, "exp": -120}, "expired"),
        ({"exp": None}, "exp"),
        ({"aud": None}, "aud"),
        ({"iss": None}, "iss"),
        ({"iat": None}, "iat"),
        ({"nbf": 600}, "not valid yet"),
        ({"iat": 600, "exp": 660}, "not valid yet"),
    ],
)
def test_claims_always_checked(overrides: dict[str, Any], message: str) -> None:
    """Times in ``overrides`` are seconds from now, so the cases hold however late they run."""
    now = int(time.time())
    relative = {k: now + v if k in ("iat", "exp", "nbf") and isinstance(v, int) else v for k, v in overrides.items()}
    with pytest.raises(NotAuthenticated, match=message):
        _decode_hs(_hs(_claims(**relative)))


@pytest.mark.parametrize("typ", [None, "JWT", "msht-session+jwt", "at+jwt"])
def test_wrong_or_missing_type_refused(typ: str | None) -> None:
    with pytest.raises(NotAuthenticated, match="type"):
        _decode_hs(_hs(typ=typ))


def test_type_compared_case_insensitively_without_media_prefix() -> None:
    assert _decode_hs(_hs(typ="application/MSHT-UPLOAD+JWT"))["jti"] == "j1"


def test_lifetime_bounded() -> None:
    now = int(time.time())
    long_lived = _hs(_claims(iat=now, exp=now + 3600))
    assert _decode_hs(long_lived)["exp"] == now + 3600
    with pytest.raises(NotAuthenticated, match="longer"):
        _decode_hs(long_lived, max_lifetime=300)


def test_extra_required_claims() -> None:
    with pytest.raises(NotAuthenticated, match="bundle_sha256"):
        _decode_hs(_hs(), required=("exp", "iat", "aud", "iss", "bundle_sha256"))


def test_crit_header_refused() -> None:
    token = jwt.encode(_claims(), SECRET, algorithm="HS256", headers={"typ": TYP, "crit": ["b64"], "b64": True})
    with pytest.raises(NotAuthenticated, match=r"malformed|critical"):
        _decode_hs(token)


def test_messages_never_echo_the_token_or_claims() -> None:
    token = _hs(_claims(iss="Jane Doe 07700900123"))
    with pytest.raises(NotAuthenticated) as info:
        _decode_hs(token)
    assert "Jane" not in info.value.detail
    assert token not in info.value.detail


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: _b64(b) + "." + _b64(b[::-1]) + "." + _b64(b)))
def test_garbage_never_decodes(text: str) -> None:
    with pytest.raises(NotAuthenticated):
        _decode_hs(text)


# --- replay cache ---------------------------------------------------------------------------


def test_jti_replay_refused_across_processes(db_url: str) -> None:
    """Two engines stand for two hub processes: the second use of a jti is refused by the other."""
    expires = datetime.now(UTC) + timedelta(minutes=5)
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        with transaction(make_sessionmaker(first)) as session:
            remember_jti(session, jti="abc", issuer="ngo-one", expires_at=expires)
        with transaction(make_sessionmaker(second)) as session:
            with pytest.raises(NotAuthenticated, match="already used"):
                remember_jti(session, jti="abc", issuer="ngo-one", expires_at=expires)
            remember_jti(session, jti="abd", issuer="ngo-one", expires_at=expires)  # the transaction survives
        with transaction(make_sessionmaker(first)) as session:
            assert {u.jti for u in session.query(UsedTokenId)} == {"abc", "abd"}
    finally:
        first.dispose()
        second.dispose()


def test_jti_concurrent_use_only_one_wins(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    expires = datetime.now(UTC) + timedelta(minutes=5)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait()
        try:
            with transaction(factory) as session:
                remember_jti(session, jti="race", issuer="ngo-one", expires_at=expires)
            results.append("ok")
        except NotAuthenticated:
            results.append("replay")
        except Exception as exc:  # an IntegrityError at commit would also be a refusal, but must not happen
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sorted(results) == ["ok", "replay", "replay", "replay"]


def test_jti_too_long_or_empty_refused(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with transaction(make_sessionmaker(engine)) as session:
        for jti in ("", "x" * 129):
            with pytest.raises(NotAuthenticated):
                remember_jti(session, jti=jti, issuer="i", expires_at=datetime.now(UTC))
    engine.dispose()


def test_purge_forgets_only_expired(db_url: str) -> None:
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with transaction(make_sessionmaker(engine)) as session:
        remember_jti(session, jti="old", issuer="i", expires_at=now - timedelta(minutes=1))
        remember_jti(session, jti="new", issuer="i", expires_at=now + timedelta(minutes=5))
    with transaction(make_sessionmaker(engine)) as session:
        assert purge_expired(session) == 1
    with transaction(make_sessionmaker(engine)) as session:
        assert [u.jti for u in session.query(UsedTokenId)] == ["new"]
    engine.dispose()


