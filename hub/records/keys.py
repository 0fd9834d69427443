"""Record keys for cell-key perturbation, drawn when records are stored (see :mod:`anonymise.perturb`).

A record's key is derived from what only the hub holds: the incident's hub re-keyed pseudonym
(an HMAC under the hub's secret of the partner's incident id), the provider, the table, and the
record's place in its incident. So a key is unpredictable to every partner (it cannot compute
the re-keyed pseudonym), yet identical re-uploads give identical keys, and therefore identical
published figures: a key drawn at random per upload would give a re-uploader a fresh noise draw
each time, which is exactly what a flip-point prober wants. New or changed records (a new
incident id, a new person or referral) get keys nobody outside the hub can predict.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from anonymise import record_key

__all__ = ["assign"]


def _content(row: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    return [str(row.get(name)) for name in names]


REFERRAL_FIELDS = (
    "person_seq", "referral_type", "first_responder_type", "reasonable_grounds", "conclusive_grounds",
    "decision_month", "police_outcome",
)


def assign(incidents: list[dict[str, Any]], persons: list[dict[str, Any]], referrals: list[dict[str, Any]],
           incident_key_of: Mapping[Any, str]) -> None:
    """Set ``record_key`` on every row; ``incident_key_of`` maps a child's incident reference
    (``incident_pid`` or ``incident_id``) to its incident's hub re-keyed ``incident_key``."""
    for row in incidents:
        row["record_key"] = record_key(row["incident_key"], str(row["org_id"]), "incident")
    for row in persons:
        parent = incident_key_of[row.get("incident_pid", row.get("incident_id"))]
        row["record_key"] = record_key(parent, str(row["org_id"]), "person", str(row["person_seq"]))
    seen: dict[tuple[str, ...], int] = {}
    for row in referrals:
        parent = incident_key_of[row.get("incident_pid", row.get("incident_id"))]
        content = (parent, str(row["org_id"]), "referral", *_content(row, REFERRAL_FIELDS))
        occurrence = seen.get(content, 0)  # identical referrals of one incident: told apart by order
        seen[content] = occurrence + 1
        row["record_key"] = record_key(*content, str(occurrence))
