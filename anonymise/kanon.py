"""The upload minimum k on quasi-identifiers: enforced by the client before anything leaves, re-checked by the hub.

The quasi-identifiers of a person in a submission are their age band (with adult/child), gender,
nationality, the location of their incident (H3 cell, or the borough when there is no cell) and
the incident's month. Someone who knows those facts about a person (a neighbour, an exploiter)
can find their record if few records share them. :func:`enforce_k` makes every group hold at
least k records by, in order: generalising nationality to its world region, dropping the
incident's cell (borough only), and finally suppressing the person's age band, age group, gender
and nationality to ``unknown``. The month cannot be suppressed (the schema requires it), so a
fully suppressed record still shows its borough and month.

It works on one small list per person and per incident instead of pydantic records, so a large
export needs no record objects in memory; the client applies the resulting changes while it
writes the tables. :func:`below_k` is the check both sides share: the client's output passes it by
construction, and the hub refuses a bundle that does not. This is the only implementation; a
record-level version is kept as a test oracle in ``tests/anonymise/kanon_oracle.py``.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from anonymise.countries import region_of
from anonymise.schema import MARKER_CODES

__all__ = [
    "INCIDENT_QUASI_IDENTIFIERS",
    "PERSON_QUASI_IDENTIFIERS",
    "SUPPRESSED",
    "BelowK",
    "KDecision",
    "QuasiIdentifiers",
    "below_k",
    "enforce_k",
]

SUPPRESSED: Final = "unknown"
"""What a suppressed quasi-identifier is set to: indistinguishable from a value nobody knew."""

AGE_BAND: Final = 1
AGE_GROUP: Final = 2
GENDER: Final = 3
NATIONALITY: Final = 4
CELL: Final = 0
GSS: Final = 1
MONTH: Final = 2

PERSON_QUASI_IDENTIFIERS: Final = ("age_band", "age_group", "gender", "nationality")
"""Columns of ``persons`` that are quasi-identifiers, in the order of a person's list after its pid."""
INCIDENT_QUASI_IDENTIFIERS: Final = ("h3_cell", "la_gss_code", "first_known_month")
"""Columns of ``incidents`` that are quasi-identifiers (the location is the cell, else the borough)."""


@dataclass
class QuasiIdentifiers:
    """One ``[incident_pid, age_band, age_group, gender, nationality]`` per person, one
    ``[h3_cell, la_gss_code, first_known_month]`` per incident (by pid)."""

    persons: list[list[str]] = field(default_factory=list)
    incidents: dict[str, list[str | None]] = field(default_factory=dict)


@dataclass
class KDecision:
    """What enforcing k changed: person index → new values, incidents whose cell is dropped."""

    persons: dict[int, dict[str, str]]
    dropped_cells: set[str]
    report: dict[str, object]


def _key(person: list[str], incidents: dict[str, list[str | None]]) -> tuple[str, ...]:
    incident = incidents.get(person[0])
    if incident is None:
        location, month = "none", "none"
    else:
        location = incident[CELL] or incident[GSS] or "none"
        month = str(incident[MONTH])
    return (person[AGE_BAND], person[AGE_GROUP], person[GENDER], person[NATIONALITY], str(location), month)


def _suppressed(person: list[str], incidents: dict[str, list[str | None]]) -> bool:
    incident = incidents.get(person[0])
    hidden = all(person[i] in MARKER_CODES for i in (AGE_BAND, AGE_GROUP, GENDER, NATIONALITY))
    return hidden and (incident is None or incident[CELL] is None)


def _risk(qi: QuasiIdentifiers, k: int) -> dict[str, object]:
    counts = Counter(_key(p, qi.incidents) for p in qi.persons)
    records = sum(counts.values())
    unique = sum(n for n in counts.values() if n == 1)
    below = sum(n for n in counts.values() if n < k)
    return {
        "k": k, "records": records, "classes": len(counts), "unique": unique, "below_k": below,
        "unique_share": round(unique / records if records else 0.0, 4),
        "below_k_share": round(below / records if records else 0.0, 4),
    }


def enforce_k(qi: QuasiIdentifiers, k: int) -> KDecision:
    """Generalise nationality, drop cells, then suppress until every group holds k persons.

    Only persons in too-small groups are touched, one step at a time: nationality → world
    region; then their incident's H3 cell is dropped (borough kept; this coarsens everyone in
    that incident); then age band, age group, gender and nationality → ``unknown``. Groups are
    recomputed after each round, since dropping a cell can shrink another group. Afterwards
    every group has ≥ k persons or consists of suppressed persons only. Changes ``qi`` in place
    to the values that will leave.

    :param qi: the submission's persons and incidents as compact tuples.
    :param k: the agreement's upload minimum group size. With k = 1 nothing changes; a small k
        lets someone who knows a victim's age, nationality, area and month find their record.

    >>> pid = "v1." + "a" * 64
    >>> qi = QuasiIdentifiers([[pid, "unknown", "unknown", "unknown", c] for c in ("AL", "AL", "GR")],
    ...                       {pid: [None, None, "2026-07"]})
    >>> decision = enforce_k(qi, 2)
    >>> [p[4] for p in qi.persons], decision.report["persons_suppressed"]
    (['AL', 'AL', 'unknown'], 1)
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    before = _risk(qi, k)
    persons, incidents = qi.persons, qi.incidents
    steps = bytearray(len(persons))
    changed: dict[int, dict[str, str]] = {}
    generalised = suppressed = 0
    dropped: set[str] = set()
    while True:
        counts = Counter(_key(p, incidents) for p in persons)
        unsafe = [
            n for n, person in enumerate(persons)
            if counts[_key(person, incidents)] < k and not _suppressed(person, incidents)
        ]
        if not unsafe:
            break
        for n in unsafe:
            person = persons[n]
            if steps[n] == 0:
                steps[n] = 1
                region = region_of(person[NATIONALITY])
                if region != person[NATIONALITY]:
                    person[NATIONALITY] = region
                    changed.setdefault(n, {})["nationality"] = region
                    generalised += 1
                continue
            if steps[n] == 1:
                steps[n] = 2
                incident = incidents.get(person[0])
                if incident is not None and incident[CELL] is not None:
                    incident[CELL] = None
                    dropped.add(person[0])
                continue
            steps[n] = 3
            person[AGE_BAND] = person[AGE_GROUP] = person[GENDER] = "unknown"
            person[NATIONALITY] = SUPPRESSED
            changed[n] = {"age_band": "unknown", "age_group": "unknown", "gender": "unknown", "nationality": SUPPRESSED}
            suppressed += 1
    after = _risk(qi, k)
    counts = Counter(_key(p, incidents) for p in persons)
    unsuppressed_below = sum(
        1 for p in persons if counts[_key(p, incidents)] < k and not _suppressed(p, incidents)
    )
    report: dict[str, object] = {
        "k": k, "persons": len(persons), "nationality_generalised": generalised,
        "cells_dropped": len(dropped), "persons_suppressed": suppressed,
        "risk_before": before, "risk_after": after,
        "unsuppressed_below_k": unsuppressed_below,
    }
    return KDecision(changed, dropped, report)


@dataclass(frozen=True)
class BelowK:
    """How many persons (and groups of them) share their quasi-identifiers with fewer than k-1 others."""

    k: int
    persons: int
    groups: int

    def __bool__(self) -> bool:
        return self.persons > 0


def below_k(qi: QuasiIdentifiers, k: int) -> BelowK:
    """Persons in a quasi-identifier group smaller than ``k``, not counting fully suppressed persons.

    A person whose age band, age group, gender and nationality are all unknown and whose incident
    has no cell shows nothing but a borough and a month; :func:`enforce_k` may leave such persons
    in a small group, so they do not count. Anything else below ``k`` is what the agreement's
    ``upload_min_k`` forbids: someone who knows a victim's age, nationality, area and month could
    find their record.

    :param qi: the submission's persons and incidents as compact tuples (unchanged here).
    :param k: the agreement's ``upload_min_k``; with 1 nothing is ever below it.

    >>> pid = "v1." + "a" * 64
    >>> qi = QuasiIdentifiers([[pid, "18-20", "adult", "female", c] for c in ("AL", "AL", "GR")],
    ...                       {pid: [None, "E09000025", "2026-07"]})
    >>> below_k(qi, 2)
    BelowK(k=2, persons=1, groups=1)
    >>> bool(below_k(qi, 1)), bool(below_k(qi, 2))
    (False, True)
    >>> _ = enforce_k(qi, 2)
    >>> below_k(qi, 2)
    BelowK(k=2, persons=0, groups=0)
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if k == 1:
        return BelowK(k, 0, 0)
    keys = [_key(p, qi.incidents) for p in qi.persons]
    counts = Counter(keys)
    small = [
        key for key, person in zip(keys, qi.persons, strict=True)
        if counts[key] < k and not _suppressed(person, qi.incidents)
    ]
    return BelowK(k, len(small), len(set(small)))
