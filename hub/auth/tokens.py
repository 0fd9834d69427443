"""Strict JWT decoding (RFC 8725) shared by sessions, OIDC bearer tokens and partner upload tokens.

The algorithm list is the caller's, never the token's; ``none`` is refused; a symmetric
algorithm never meets an asymmetric key (no algorithm confusion); ``exp``, ``aud``, ``iss``
and the token type are always checked. Every failure raises NotAuthenticated with a message
that says what was wrong, never what the token held.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Final

import jwt
from jwt.api_jwk import PyJWK

from hub.errors import NotAuthenticated

SYMMETRIC: Final = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
MAX_TOKEN_CHARS: Final = 8192


def _check_algorithms(algorithms: Sequence[str], key: Any) -> None:
    if isinstance(algorithms, str) or not algorithms:
        raise ValueError("algorithms must be a non-empty list chosen by the verifier")
    allowed = set(algorithms)
    unknown = allowed - SYMMETRIC - ASYMMETRIC
    if unknown:
        raise ValueError(f"unsupported algorithms {sorted(unknown)}")
    if allowed & SYMMETRIC and allowed & ASYMMETRIC:
        raise ValueError("never allow symmetric and asymmetric algorithms for one key")
    symmetric_key = isinstance(key, bytes | str)
    if symmetric_key != bool(allowed & SYMMETRIC):
        raise ValueError("the key type does not match the allowed algorithms")


def _typ_matches(header_typ: object, expected: str) -> bool:
    if not isinstance(header_typ, str):
        return False
    got = header_typ.lower().removeprefix("application/")
    return got == expected.lower().removeprefix("application/")


def decode_jwt(
    token: str,
    *,
    key: Any,
    algorithms: Sequence[str],
    audience: str,
    issuer: str,
    typ: str | None,
    leeway: int = 30,
    max_lifetime: int | None = None,
    required: Sequence[str] = ("exp", "iat", "aud", "iss"),
) -> dict[str, Any]:
    """Verify ``token`` and return its claims, or raise NotAuthenticated.

    ``key`` is bytes/str for HS* and a public key object (or PyJWK) for asymmetric algorithms;
    ``typ`` is the expected ``typ`` header (compared case-insensitively, ``application/`` ignored);
    ``max_lifetime`` bounds ``exp - iat`` in seconds.
    """
    if isinstance(key, PyJWK):
        key = key.key
    _check_algorithms(algorithms, key)
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise NotAuthenticated("token is malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("token is malformed") from exc
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise NotAuthenticated("token algorithm is not allowed")
    if alg not in algorithms:
        raise NotAuthenticated("token algorithm is not allowed")
    if "crit" in header:
        raise NotAuthenticated("token has critical header parameters this hub does not understand")
    if typ is not None and not _typ_matches(header.get("typ"), typ):
        raise NotAuthenticated("token type is wrong")
    need = list(dict.fromkeys([*required, "exp", "aud", "iss"]))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={
                "require": need,
                "verify_signature": True,
                "verify_exp": True,
                "verify_nbf": True,
                "verify_iat": True,
                "verify_aud": True,
                "verify_iss": True,
                "strict_aud": True,
            },
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise NotAuthenticated("token audience is wrong") from exc
    except jwt.InvalidIssuerError as exc:
        raise NotAuthenticated("token issuer is wrong") from exc
    except jwt.ImmatureSignatureError as exc:
        raise NotAuthenticated("token is not valid yet") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise NotAuthenticated(f"token lacks the {exc.claim} claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise NotAuthenticated("token signature does not verify") from exc
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise NotAuthenticated("token is not valid") from exc
    _check_times(claims, leeway=leeway, max_lifetime=max_lifetime)
    return claims


def _check_times(claims: Mapping[str, Any], *, leeway: int, max_lifetime: int | None) -> None:
    exp, iat = claims.get("exp"), claims.get("iat")
    if max_lifetime is None:
        return
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise NotAuthenticated("token lacks the iat claim")
    if exp - iat > max_lifetime + leeway:
        raise NotAuthenticated("token lives longer than allowed")
