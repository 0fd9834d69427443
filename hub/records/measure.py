"""What a summary row is: its columns, and the measures that name the categories each holds."""

from dataclasses import dataclass
from typing import Final, cast

from sqlalchemy import ColumnElement, literal_column
from sqlalchemy.orm import InstrumentedAttribute

from hub.models import StatCount

EMPTY: Final[ColumnElement[str]] = literal_column("''")  # inline, so SELECT and GROUP BY render the same expression
KEYS: Final = ("k1", "k2", "k3", "k4", "k5")  # the summary's category columns: never named outside hub.records
COLUMNS: Final = ("submission_id", "area", "quarter", "measure", *KEYS, "n", "key_sum")
# Beside each count, the sum of the counted records' secret record keys (hub.records.keys): sums
# add across submissions like the counts, and give each published cell its cell key.


@dataclass(frozen=True)
class Measure:
    """One kind of summary row: what it counts and the category each summary column holds, in order."""

    name: str
    categories: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.categories) > len(KEYS):
            raise ValueError(f"measure {self.name} names more categories than a summary row holds")

    def column(self, category: str) -> InstrumentedAttribute[str]:
        """The ``stat_counts`` column holding ``category`` in this measure's rows."""
        return cast(InstrumentedAttribute[str], getattr(StatCount, KEYS[self.categories.index(category)]))
