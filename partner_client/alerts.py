"""Your alerts, with your own case references filled in from the local case index; contact requests.

The hub tells you only that a record of yours links to a record another partner holds (one
alert per link; ``by_case`` groups them into one row per case of yours): your
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
    """One link: a record of yours and one record another partner holds."""

    id: int
    case: str
    quarter: str
    kinds: list[str]
    month: str
    request: dict[str, Any] | None
    record: tuple[str, int] = ("", 0)
    """Your submission and the record's row in it: what groups the links of one case."""

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


@dataclass(frozen=True)
class CaseAlerts:
    """One case of yours and every link the hub found from it: one row, however many records it links to."""

    case: str
    quarter: str
    links: list[LocalAlert]

    @property
    def kinds(self) -> list[str]:
        return sorted({k for a in self.links for k in a.kinds}, key=lambda k: (k != "person", k))

    @property
    def summary(self) -> str:
        """"3 links: same person, phone"."""
        n = len(self.links)
        return f"{n} link{'s' if n != 1 else ''}: " + ", ".join(KIND_LABELS.get(k, k) for k in self.kinds)

    @property
    def first_found(self) -> str:
        return min(a.month for a in self.links)

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case, "quarter": self.quarter, "kinds": self.kinds, "summary": self.summary,
                "first_found": self.first_found, "links": [a.as_dict() for a in self.links]}


def by_case(alerts: list[LocalAlert]) -> list[CaseAlerts]:
    """The alerts grouped by the record of yours they start from, in the hub's order of first appearance."""
    groups: dict[tuple[str, int], list[LocalAlert]] = {}
    for alert in alerts:
        groups.setdefault(alert.record, []).append(alert)
    return [CaseAlerts(links[0].case, links[0].quarter, links) for links in groups.values()]


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
            record=(str(item["submission_id"]), int(item["row"])),
        )
        for item in items
    ]
