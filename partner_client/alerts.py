"""Your alerts, with your own case references filled in from the local case index; contact requests.

The hub tells you only that a record of yours links to a record another partner holds: your
submission and the record's row in it, the kind of link (the same person, a shared phone, email,
vehicle, address or bank account) and the month. Your case reference is looked up here, on this
machine (``partner_client.caseindex``). Who the other partner is stays hidden until they accept a
contact request; then each side sees the other organisation's named contact.
"""

from dataclasses import dataclass
from typing import Any

from partner_client.caseindex import case_reference, shown
from partner_client.config import ClientSettings
from partner_client.upload import Hub

KIND_LABELS = {
    "person": "same person",
    "phone": "phone",
    "email": "email",
    "vehicle": "vehicle",
    "address": "address",
    "bank_account": "bank account",
}
"""Short words for the kinds of link: the same person, or the shared selector's kind."""


@dataclass(frozen=True)
class LocalAlert:
    id: int
    case: str
    quarter: str
    kinds: list[str]
    month: str
    request: dict[str, Any] | None

    @property
    def link(self) -> str:
        return ", ".join(KIND_LABELS.get(k, k) for k in self.kinds)

    @property
    def contact_line(self) -> str:
        r = self.request
        if r is None:
            return "—"
        who = "you asked" if r.get("direction") == "sent" else "another partner asked you"
        line = f"request {r.get('id')}: {who}, {r.get('status')}"
        if r.get("status") == "accepted":
            line += f" — {r.get('organisation')}: {r.get('contact')}"
        return line

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "case": self.case, "quarter": self.quarter, "kinds": self.kinds, "link": self.link,
                "month": self.month, "contact_request": self.request, "contact_line": self.contact_line}


def my_alerts(settings: ClientSettings, hub: Hub | None = None) -> list[LocalAlert]:
    items = (hub or Hub(settings)).alerts()
    return [
        LocalAlert(
            id=int(item["id"]),
            case=shown(case_reference(settings, str(item["submission_id"]), int(item["row"]))),
            quarter=str(item.get("quarter", "")),
            kinds=[str(k) for k in item.get("kinds", [])],
            month=str(item.get("found_month", "")),
            request=item.get("contact_request"),
        )
        for item in items
    ]
