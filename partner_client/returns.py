"""The returns you still owe the hub, in words: which quarter, for which agreement, due when, reminded when.

The hub is the mailbox (there is no email): an operator's reminder waits there until your
client asks, and stops being shown once the quarter's return has arrived.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Owed:
    agreement: str
    quarter: str
    due: date
    late: bool
    reminders: list[datetime]

    @classmethod
    def from_hub(cls, item: dict[str, Any]) -> "Owed":
        return cls(
            agreement=str(item.get("agreement_id", "")),
            quarter=str(item.get("quarter", "")),
            due=date.fromisoformat(str(item.get("due"))),
            late=bool(item.get("late")),
            reminders=[datetime.fromisoformat(str(r)) for r in item.get("reminders", [])],
        )

    @property
    def line(self) -> str:
        """One sentence for people.

        >>> Owed("demo-london", "2026-Q3", date(2026, 10, 30), True, []).line
        'Your 2026-Q3 return (demo-london) is late: it was due on 30 October 2026.'
        """
        when = f"{self.due.day} {self.due:%B %Y}"
        text = (f"Your {self.quarter} return ({self.agreement}) is late: it was due on {when}." if self.late
                else f"Your {self.quarter} return ({self.agreement}) is due by {when}.")
        if self.reminders:
            last = self.reminders[-1]
            text += f" The hub's operator reminded you on {last.day} {last:%B %Y}"
            text += f" ({len(self.reminders)} reminders)." if len(self.reminders) > 1 else "."
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"agreement": self.agreement, "quarter": self.quarter, "due": self.due.isoformat(), "late": self.late,
                "reminders": [r.isoformat() for r in self.reminders], "line": self.line}


def owed(items: list[dict[str, Any]]) -> list[Owed]:
    return [Owed.from_hub(i) for i in items]
