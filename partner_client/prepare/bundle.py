"""`prepare`'s bundle step: privacy report, manifest, the agreement's rules, the signed file.

The agreement's rules are asked as the hub will ask them; the bundle is written whole or not at all.
"""

import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anonymise.bundle import Manifest, utcnow, write_bundle_files
from anonymise.keys import LinkageKey
from anonymise.policy import check_upload
from partner_client import __version__
from partner_client.errors import ClientError, Problem
from partner_client.prepare.party import Party
from partner_client.prepare.tables import Tables
from partner_client.profile import Profile


@dataclass(frozen=True)
class Submission:
    """What the manifest says the bundle is: whose, under which agreement, profile and key, for which quarter."""

    profile: Profile
    party: Party
    quarter: str
    key: LinkageKey
    today: date

    @property
    def resolution(self) -> int:
        return self.party.agreement.location.upload_h3_resolution


@dataclass(frozen=True)
class Removed:
    """What the steps before counted for the privacy report, beside the tables."""

    counts: Counter[str]
    entities: Counter[str]
    """Entity type → replacements in the notes."""
    withheld: Counter[str]
    """Field → values the agreement kept back."""
    name_detection: str


def privacy_report(submission: Submission, removed: Removed, tables: Tables) -> dict[str, Any]:
    """Counts of what was removed, generalised, coarsened or suppressed, and the risk: never a value."""
    profile, counts = submission.profile, removed.counts
    identifiers = len(profile.identifier_columns())  # a count: the hub's manifest is counts and codes only
    return {
        "rows_read": counts["rows_read"],
        "duplicate_rows_left_out": counts["duplicate_rows"],
        "removed": {
            "identifier_columns": identifiers,
            "columns_not_mapped": len(profile.ignore),
            "fields_withheld_by_agreement": dict(removed.withheld),
        },
        "pseudonymised": {
            "method": "hmac_sha_hkdf",  # HMAC-SHA256 under the agreement's linkage key, HKDF sub-keys per purpose
            "key_version": submission.key.version,
            "key_fingerprint": submission.key.fingerprint(),
        },
        "generalised": {
            "dates_to_month": counts["dates_to_month"],
            "dates_of_birth_to_age_band": counts["dob_to_age_band"],
            "nationalities_unrecognised": counts["nationality_unrecognised"],
        },
        "coarsened": {
            "locations_to_h3": counts["locations_to_cells"],
            "postcodes_not_found": counts["postcodes_not_found"],
            "upload_resolution": submission.resolution,
            "min_count_per_cell": submission.party.agreement.disclosure.min_count,
            "cells": tables.coarsened,
        },
        "narratives": {
            "in_export": counts["narratives_in_export"],
            "scrubbed_and_sent": counts["narratives_scrubbed"],
            "dropped_could_not_scrub": counts["narratives_dropped"],
            "left_out_agreement_forbids": counts["narratives_not_allowed"],
            "entities_replaced": dict(removed.entities),
            "capitalised_words_replaced_by_name_guard": counts["narrative_words_guarded"],
            "name_detection": removed.name_detection,
        },
        "risk": tables.risk,
        "columns_used": len(profile.columns_used()),
    }


def manifest_fields(submission: Submission, privacy: dict[str, Any]) -> dict[str, Any]:
    """The manifest less what the bundle writer adds (record counts, file hashes)."""
    agreement = submission.party.agreement
    return {
        "submission_id": uuid4(),
        "client_version": __version__,
        "profile_version": submission.profile.version,
        "partner_id": submission.party.partner_id,
        "partner_type": submission.party.partner_type,
        "agreement_id": agreement.id,
        "agreement_version": agreement.version,
        "reporting_period": submission.quarter,
        "key_version": submission.key.version,
        "h3_resolution": submission.resolution,
        "created_at": utcnow(),
        "privacy_report": privacy,
    }


def write_bundle(
    out: Path, work: Path, submission: Submission, fields: dict[str, Any], tables: Tables, signing_key: Ed25519PrivateKey
) -> tuple[Path, Manifest]:
    """Sign and write the bundle at ``out``, once the agreement allows it; nothing is written otherwise."""
    with (work / "bundle.zip").open("w+b") as handle:
        manifest = write_bundle_files(handle, fields, tables.files.paths, tables.files.counts, signing_key)
        check_agreement(submission, manifest, tables.present)
        handle.seek(0)
        return _write_atomic(out, handle), manifest


def check_agreement(submission: Submission, manifest: Manifest, present: dict[str, set[str]]) -> None:
    """Ask the agreement rules the hub will ask, so a refusal is known before anything is sent."""
    party = submission.party
    decision = check_upload(
        party.agreement, partner_id=party.partner_id, manifest=manifest,
        present_fields=present, today=submission.today, demo_mode=True,
    )
    if not decision.allowed:
        raise ClientError(
            f"Agreement {party.agreement.id} does not allow this upload; nothing was written.",
            hint="Ask your hub operator; the agreement's rules are named below.",
            problems=[Problem(rule="agreement", message=reason) for reason in decision.reasons],
        )


def _write_atomic(out: Path, source: BinaryIO) -> Path:
    """Write the bundle next to its final name and rename, so a failure leaves no partial bundle."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".bundle-", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(source, handle, 1 << 20)
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
