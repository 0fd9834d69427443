"""Repeat people: appearances grouped into people (union-find over shared match keys), then counted.

No SQL and no key value leaves this module's callers: the input is the appearances
:func:`hub.statistics.queries.repeat_candidates` found, the output counts of people per kind.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from anonymise import KeyedCount, Visibility, vocab
from hub.statistics.queries import Appearance

VICTIM: Final = vocab.Role.potential_victim.value
SUSPECT: Final = vocab.Role.suspect.value
SEVERAL: Final = "(several)"


@dataclass(frozen=True)
class RepeatKey:
    """One published count: people of ``role`` seen in at least so many incidents and partners."""

    key: str
    label: str
    role: str
    min_incidents: int
    min_partners: int


REPEAT_KEYS: Final = (
    RepeatKey("victims_repeat", "Potential victims seen in more than one incident", VICTIM, 2, 1),
    RepeatKey("suspects_repeat", "Suspects seen in more than one incident", SUSPECT, 2, 1),
    RepeatKey("victims_multi_partner", "Potential victims known to two or more partners", VICTIM, 1, 2),
    RepeatKey("suspects_multi_partner", "Suspects known to two or more partners", SUSPECT, 1, 2),
)


@dataclass
class PersonGroup:
    """One person as the match keys join them: their role, incidents and providers."""

    role: str
    incidents: set[int] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)
    key_sum: int = 0
    """the sum of the person rows' record keys: this person's part of a repeat count's cell key"""


ROLE_ORDER: Final = ("potential_victim", "suspect")


def _precedence(role: str) -> tuple[int, str]:
    """A person seen in several roles counts in the first of ``ROLE_ORDER`` (then by name): a
    function of the records, never of which row was stored first."""
    return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), role)


class RepeatCount(NamedTuple):
    key: str
    provider: str
    """the one provider all the person's records came from, or ``SEVERAL``"""
    people: int


class RepeatCounts(NamedTuple):
    counts: list[RepeatCount]


def people(appearances: Sequence[Appearance], visibility: Visibility) -> list[PersonGroup]:
    """Group appearances into people: joined when they share a match key within one agreement,
    and across providers only where that agreement allows cross-partner linkage."""
    parent = list(range(len(appearances)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str, int, str], int] = {}
    for i, a in enumerate(appearances):
        realm = "" if visibility.linkage_allowed(a.agreement_id) else a.provider
        for k, value in enumerate(a.keys):
            if value is None:
                continue
            slot = (a.agreement_id, realm, k, value)
            if slot in first:
                parent[find(i)] = find(first[slot])
            else:
                first[slot] = i
    groups: dict[int, PersonGroup] = {}
    for i, a in enumerate(appearances):
        person = groups.setdefault(find(i), PersonGroup(a.role))
        person.role = min(person.role, a.role, key=_precedence)
        person.incidents.add(a.incident_id)
        person.providers.add(a.provider)
        person.key_sum += a.record_key
    return list(groups.values())


def count_people(found: Sequence[PersonGroup]) -> RepeatCounts:
    counts: dict[tuple[str, str], int] = {}
    for rule in REPEAT_KEYS:
        for person in found:
            if person.role == rule.role and len(person.incidents) >= rule.min_incidents and len(person.providers) >= rule.min_partners:
                owner = next(iter(person.providers)) if len(person.providers) == 1 else SEVERAL
                counts[(rule.key, owner)] = counts.get((rule.key, owner), 0) + KeyedCount(1, person.key_sum)
    return RepeatCounts([RepeatCount(k, o, n) for (k, o), n in sorted(counts.items())])
