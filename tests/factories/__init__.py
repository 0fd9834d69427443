"""Shared test factories: partner key pairs, valid records, signed bundles and upload tokens.

Everything here is synthetic. Import freely from any test; nothing touches the network.
"""

import base64
import io
import json
import random
import secrets
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import h3
import jwt
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from anonymise.agreement import Agreement
from anonymise.bundle import MANIFEST, SIGNATURE, Manifest, canonical_json, sha256_hex, write_bundle
from anonymise.schema import (
    TABLES,
    Incident,
    Person,
    PersonKey,
    Record,
    Referral,
    Selector,
    TableName,
)
from hub.models import AgreementVersion, Organisation, PartnerKey

HUB_AUDIENCE = "msht-hub"
UPLOAD_TYP = "msht-upload+jwt"
PARTNER_TYP = "msht-partner+jwt"
QUARTER = "2026-Q3"

_ZIP_EPOCH = (2000, 1, 1, 0, 0, 0)


# --- partners and agreements -----------------------------------------------------------------


@dataclass(frozen=True)
class FakePartner:
    org_id: str
    kid: str
    private_key: Ed25519PrivateKey

    def token(self, **kwargs: Any) -> str:
        return upload_token(self, **kwargs)

    def bundle(self, tables: Mapping[TableName, Sequence[Record]] | None = None, **kwargs: Any) -> bytes:
        return make_bundle(self, tables if tables is not None else make_tables(), **kwargs)[0]


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def add_partner(
    session: Session, org_id: str = "ngo-one", *, kind: str = "NGO", gss_code: str | None = None
) -> FakePartner:
    """An active organisation with one active Ed25519 key, written straight to the tables."""
    now = datetime.now(UTC)
    if session.get(Organisation, org_id) is None:
        session.add(Organisation(id=org_id, name=f"Test {org_id}", kind=kind, gss_code=gss_code, status="active", created_at=now))
    private_key = Ed25519PrivateKey.generate()
    kid = f"{org_id}-{secrets.token_hex(4)}"
    session.add(
        PartnerKey(kid=kid, org_id=org_id, public_key=public_key_bytes(private_key), status="active", created_at=now)
    )
    session.flush()
    return FakePartner(org_id=org_id, kid=kid, private_key=private_key)


def agreement_document(
    providers: Sequence[str],
    *,
    agreement_id: str = "test-agreement",
    version: int = 1,
    status: str = "active",
    narrative: bool = True,
    fields: Sequence[str] | None = None,
    grants: Sequence[Mapping[str, Any]] | None = None,
    cross_partner: bool = False,
    recipients: Sequence[Mapping[str, Any]] = (),
    alerts: Sequence[str] = (),
    linkage: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``alerts``: the providers that opt in to cross-partner alerts (the agreement then allows cross-partner linkage);
    ``linkage``: further linkage rules (``match_threshold``, ``bridge_threshold``)."""
    return {
        "id": agreement_id,
        "version": version,
        "title": "Test agreement",
        "status": status,
        "valid_from": "2020-01-01",
        "valid_until": f"{today().year + 10}-12-31",  # never a fixed year the wall clock will pass
        "purposes": ["testing"],
        "lawful_basis": "test basis",
        "parties": [{"org": org, "kind": "NGO", "roles": ["provider", "recipient"]} for org in providers]
        + [dict(party) for party in recipients],
        "sharing": [
            {
                "provider": org,
                "grants": [dict(g) for g in grants] if grants is not None else [{"role": "borough_officer", "level": "pooled_london"}],
                "narrative": narrative,
                "fields": list(fields) if fields is not None else None,
                **({"alerts": True} if org in alerts else {}),
            }
            for org in providers
        ],
        "linkage": {"cross_partner": cross_partner or bool(alerts), **(linkage or {})},
    }


def add_agreement(session: Session, providers: Sequence[str], **kwargs: Any) -> Agreement:
    """Store an agreement version row (what the agreements service reads) and return the model."""
    return store_agreement(session, agreement_document(providers, **kwargs))


def store_agreement(session: Session, document: dict[str, Any]) -> Agreement:
    """Store an agreement version row of this document (``agreement_document``, edited) and return the model."""
    agreement = Agreement.model_validate(document)
    text = yaml.safe_dump(json.loads(agreement.model_dump_json()), sort_keys=False)
    session.add(
        AgreementVersion(
            agreement_id=agreement.id,
            version=agreement.version,
            status=agreement.status.value,
            document=text,
            sha256=sha256_hex(text.encode()),
            created_by="tests",
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    return agreement


# --- records ---------------------------------------------------------------------------------


def pseudonym(rng: random.Random, version: int = 1) -> str:
    return f"v{version}.{rng.getrandbits(256):064x}"


def make_tables(
    n_incidents: int = 5,
    *,
    quarter: str = QUARTER,
    persons_per_incident: int = 2,
    selectors_per_incident: int = 1,
    referrals_per_incident: int = 1,
    keys_per_person: int = 2,
    seed: int = 1,
    narrative: str | None = "Worked long hours at a <PREMISES_1> for <PERSON_1>.",
) -> dict[TableName, list[Record]]:
    """Valid records of every table, deterministic for a seed."""
    rng = random.Random(seed)
    year = quarter[:4]
    month = f"{year}-{(int(quarter[-1]) - 1) * 3 + 1:02d}"
    cells = [h3.latlng_to_cell(51.45 + rng.random() * 0.1, -0.2 + rng.random() * 0.2, 8) for _ in range(8)]
    incidents: list[Record] = []
    persons: list[Record] = []
    selectors: list[Record] = []
    referrals: list[Record] = []
    person_keys: list[Record] = []
    for _ in range(n_incidents):
        pid = pseudonym(rng)
        incidents.append(
            Incident(
                incident_pid=pid,
                first_known_month=month,
                reporting_quarter=quarter,
                source_channel=rng.choice(["helpline", "outreach", "police_operation"]),
                exploitation_types=tuple(rng.sample(["labour", "sexual", "criminal"], k=rng.randint(1, 2))),
                county_lines=rng.choice(["yes", "no", "unknown"]),
                labour_sectors=("car_wash",),
                premises_type=rng.choice(["hand_car_wash", "nail_bar", "unknown"]),
                methods_of_control=("debt_bondage", "threats"),
                exploitation_scope="uk_only",
                la_gss_code="E09000030",
                h3_cell=rng.choice(cells),
                h3_resolution=8,
                narrative=narrative,
            )
        )
        for seq in range(1, persons_per_incident + 1):
            persons.append(
                Person(
                    incident_pid=pid,
                    person_seq=seq,
                    mk_name_dob=pseudonym(rng),
                    mk_initial_surname_dob=pseudonym(rng),
                    mk_sorted_tokens_yob=pseudonym(rng),
                    mk_surname_dob_sex=pseudonym(rng),
                    role="potential_victim" if seq == 1 else "suspect",
                    gender=rng.choice(["female", "male", "unknown"]),
                    age_band=rng.choice(["18-20", "21-23", "30-38", "unknown"]),
                    age_group="adult",
                    nationality=rng.choice(["GB", "AL", "VN", "RO", "unknown"]),
                    relationship="unknown",
                )
            )
            for kind in ("canon_sorted_dob", "metaphone_dob", "phone", "nhs_number")[:keys_per_person]:
                person_keys.append(PersonKey(incident_pid=pid, person_seq=seq, kind=kind, key_pid=pseudonym(rng)))
        for _ in range(selectors_per_incident):
            selectors.append(Selector(incident_pid=pid, kind=rng.choice(["phone", "email", "vehicle"]), selector_pid=pseudonym(rng)))
        for _ in range(referrals_per_incident):
            referrals.append(
                Referral(
                    incident_pid=pid,
                    person_seq=1 if persons_per_incident else None,
                    referral_type="nrm",
                    first_responder_type="ngo",
                    reasonable_grounds="positive",
                    conclusive_grounds="pending",
                    support_provided=("accommodation", "legal"),
                )
            )
    return {"incidents": incidents, "persons": persons, "selectors": selectors, "referrals": referrals, "person_keys": person_keys}


def all_pseudonyms(tables: Mapping[TableName, Sequence[Record]]) -> set[str]:
    from anonymise.schema import PSEUDONYM_FIELDS

    found: set[str] = set()
    for table, records in tables.items():
        for record in records:
            for field in PSEUDONYM_FIELDS[table]:
                value = getattr(record, field)
                if value is not None:
                    found.add(value)
    return found


# --- bundles ---------------------------------------------------------------------------------


def manifest_fields(
    partner: FakePartner,
    *,
    agreement_id: str = "test-agreement",
    agreement_version: int = 1,
    quarter: str = QUARTER,
    submission_id: UUID | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "submission_id": submission_id or uuid4(),
        "client_version": "0.1.0",
        "profile_version": "1",
        "partner_id": partner.org_id,
        "partner_type": "NGO",
        "agreement_id": agreement_id,
        "agreement_version": agreement_version,
        "reporting_period": quarter,
        "key_version": 1,
        "h3_resolution": 8,
        "created_at": datetime.now(UTC),
        **extra,
    }


def make_bundle(
    partner: FakePartner,
    tables: Mapping[TableName, Sequence[Record]],
    *,
    signing_key: Ed25519PrivateKey | None = None,
    **manifest_kwargs: Any,
) -> tuple[bytes, Manifest]:
    """A valid bundle signed with the partner's key (or ``signing_key`` to forge one)."""
    return write_bundle(manifest_fields(partner, **manifest_kwargs), tables, signing_key or partner.private_key)


def raw_table(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Parquet bytes of arbitrary rows: how a test smuggles invalid values past the client's models."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([dict(r) for r in rows]), buffer)
    return buffer.getvalue()


def record_rows(records: Sequence[Record]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in records]


def raw_bundle(
    partner: FakePartner,
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    record_counts: Mapping[str, int] | None = None,
    tamper: Mapping[str, bytes] | None = None,
    **manifest_kwargs: Any,
) -> bytes:
    """A correctly signed bundle whose tables hold ``rows`` as given (valid or not).

    ``tamper`` replaces file contents after the manifest is signed (hash-mismatch tests).
    """
    files = {f"{t}.parquet": raw_table(rows.get(t, ())) for t in TABLES}
    fields = manifest_fields(partner, **manifest_kwargs)
    manifest = Manifest.model_validate(
        {
            **fields,
            "record_counts": dict(record_counts) if record_counts is not None else {t: len(rows.get(t, ())) for t in TABLES},
            "files": {name: sha256_hex(data) for name, data in files.items()},
        }
    )
    manifest_bytes = canonical_json(manifest.model_dump(mode="json"))
    files[MANIFEST] = manifest_bytes
    files[SIGNATURE] = base64.b64encode(partner.private_key.sign(manifest_bytes))
    files.update(tamper or {})
    return zip_files(files)


def zip_files(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_EPOCH), files[name])
    return buffer.getvalue()


# --- tokens ----------------------------------------------------------------------------------


def upload_token(
    partner: FakePartner,
    *,
    bundle: bytes | None = None,
    bundle_sha256: str | None = None,
    typ: str = UPLOAD_TYP,
    audience: str = HUB_AUDIENCE,
    issuer: str | None = None,
    lifetime: int = 120,
    issued_at: int | None = None,
    jti: str | None = None,
    kid: str | None = None,
    signing_key: Ed25519PrivateKey | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A partner JWT as msht-client makes it: EdDSA, kid, typ, iss/aud/iat/exp/jti, bundle hash."""
    now = issued_at if issued_at is not None else int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer or partner.org_id,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": jti or secrets.token_urlsafe(16),
    }
    if bundle is not None or bundle_sha256 is not None:
        claims["bundle_sha256"] = bundle_sha256 or sha256_hex(bundle or b"")
    claims.update(extra or {})
    return jwt.encode(
        claims,
        signing_key or partner.private_key,
        algorithm="EdDSA",
        headers={"kid": kid or partner.kid, "typ": typ},
    )


def unsigned_token(claims: Mapping[str, Any], headers: Mapping[str, Any]) -> str:
    """An ``alg: none`` token, built by hand because pyjwt rightly refuses to make one."""

    def part(data: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(dict(data)).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', **headers})}.{part(claims)}."


def today() -> date:
    return datetime.now(UTC).date()


def add_user_token(session: Session, org_id: str, role: str, username: str | None = None) -> str:
    """A user of ``org_id`` with ``role`` and an API bearer token for it (hub.auth stores its hash)."""
    from hub.auth.api_tokens import create_api_token
    from hub.models import User

    now = datetime.now(UTC)
    if session.get(Organisation, org_id) is None:
        session.add(Organisation(id=org_id, name=f"Test {org_id}", kind="LocalGovernmentOrganisation", gss_code=None, status="active", created_at=now))
    user = User(
        username=username or f"{role}-{secrets.token_hex(3)}",
        display_name=f"Test {role}",
        org_id=org_id,
        role=role,
        password_hash=None,
        status="active",
        created_at=now,
    )
    session.add(user)
    session.flush()
    return create_api_token(session, user, label="tests")
