"""Test oracle for ``anonymise.kanon``: re-identification risk and k enforced on pydantic records.

Written first as the product code; ``anonymise.kanon`` must give the same changes and report.

The quasi-identifiers of a person in a submission are their age band (with adult/child), gender,
nationality, the location of their incident (H3 cell, or the borough when there is no cell) and
the incident's month. Someone who knows those facts about a person (a neighbour, an exploiter)
can find their record if few records share them. ``enforce_k`` makes every group hold at least k
records by, in order: generalising nationality to its world region, dropping the incident's
cell (borough only), and finally suppressing the person's age band, age group, gender and
nationality to ``unknown``. The month cannot be suppressed (the schema requires it), so a fully
suppressed record still shows its borough and month.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from anonymise.countries import region_of
from anonymise.kanon import SUPPRESSED
from anonymise.schema import MARKER_CODES, Incident, Person
from anonymise.vocab import AgeBand, AgeGroup, Gender

__all__ = [
    "QUASI_IDENTIFIERS",
    "KAnonymised",
    "Risk",
    "enforce_k",
    "is_suppressed",
    "quasi_identifier_keys",
    "reidentification_risk",
]

QUASI_IDENTIFIERS: Final = ("age_band", "age_group", "gender", "nationality", "location", "month")

QiKey = tuple[str, str, str, str, str, str]


@dataclass(frozen=True)
class Risk:
    """Counts of records that are unique, or in a group smaller than k, on the quasi-identifiers."""

    k: int
    records: int
    classes: int
    unique: int
    below_k: int

    @property
    def unique_share(self) -> float:
        return self.unique / self.records if self.records else 0.0

    @property
    def below_k_share(self) -> float:
        return self.below_k / self.records if self.records else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "k": self.k, "records": self.records, "classes": self.classes, "unique": self.unique,
            "below_k": self.below_k, "unique_share": round(self.unique_share, 4),
            "below_k_share": round(self.below_k_share, 4),
        }


class KAnonymised(NamedTuple):
    persons: list[Person]
    incidents: list[Incident]
    report: dict[str, object]


def _location(incident: Incident | None) -> str:
    if incident is None:
        return "none"
    return incident.h3_cell or incident.la_gss_code or "none"


def quasi_identifier_keys(persons: Sequence[Person], incidents: Sequence[Incident]) -> list[QiKey]:
    """Each person's quasi-identifier values, joined to their incident by ``incident_pid``.

    :param persons: the prepared person records of a submission.
    :param incidents: the prepared incident records they belong to.

    >>> from anonymise.schema import Incident, Person
    >>> pid = "v1." + "a" * 64
    >>> i = Incident(incident_pid=pid, first_known_month="2026-07", reporting_quarter="2026-Q3", la_gss_code="E09000025")
    >>> p = Person(incident_pid=pid, person_seq=1, age_band="18-20", gender="female", nationality="AL")
    >>> quasi_identifier_keys([p], [i])
    [('18-20', 'unknown', 'female', 'AL', 'E09000025', '2026-07')]
    """
    by_pid = {incident.incident_pid: incident for incident in incidents}
    keys: list[QiKey] = []
    for person in persons:
        incident = by_pid.get(person.incident_pid)
        keys.append((
            person.age_band.value, person.age_group.value, person.gender.value, person.nationality,
            _location(incident), incident.first_known_month if incident else "none",
        ))
    return keys


def reidentification_risk(persons: Sequence[Person], incidents: Sequence[Incident], *, k: int) -> Risk:
    """How many person records are unique, or share their quasi-identifiers with fewer than k-1 others.

    :param persons: the prepared person records of a submission.
    :param incidents: their incidents.
    :param k: the group size below which a record counts as at risk (CTDC used 11 for microdata).

    >>> from anonymise.schema import Incident, Person
    >>> pid = "v1." + "a" * 64
    >>> i = Incident(incident_pid=pid, first_known_month="2026-07", reporting_quarter="2026-Q3")
    >>> people = [Person(incident_pid=pid, person_seq=n, gender=g) for n, g in enumerate(["male", "male", "female"], 1)]
    >>> risk = reidentification_risk(people, [i], k=2)
    >>> risk.unique, risk.below_k, round(risk.unique_share, 2)
    (1, 1, 0.33)
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    counts = Counter(quasi_identifier_keys(persons, incidents))
    return Risk(
        k=k, records=sum(counts.values()), classes=len(counts),
        unique=sum(n for n in counts.values() if n == 1),
        below_k=sum(n for n in counts.values() if n < k),
    )


def is_suppressed(person: Person, incident: Incident | None) -> bool:
    """True when a person shows nothing but their borough and month.

    :param person: a person record.
    :param incident: the person's incident, if any.
    """
    person_hidden = all(
        value in MARKER_CODES
        for value in (person.age_band.value, person.age_group.value, person.gender.value, person.nationality)
    )
    return person_hidden and (incident is None or incident.h3_cell is None)


def enforce_k(persons: Sequence[Person], incidents: Sequence[Incident], *, k: int) -> KAnonymised:
    """Generalise, then suppress, until every quasi-identifier group holds at least k persons.

    Only persons in too-small groups are touched, one step at a time: nationality → world
    region; then their incident's H3 cell is dropped (borough kept; this coarsens everyone in
    that incident); then age band, age group, gender and nationality → ``unknown``. Groups are
    recomputed after each round, since dropping a cell can shrink another group. Afterwards
    every group has ≥ k persons or consists of suppressed persons only.

    :param persons: the prepared person records of a submission.
    :param incidents: their incidents (only ``h3_cell``/``h3_resolution`` may change).
    :param k: the agreement's upload minimum group size. With k = 1 nothing changes; a small k
        lets someone who knows a victim's age, nationality, area and month find their record.

    >>> from anonymise.schema import Incident, Person
    >>> pid = "v1." + "a" * 64
    >>> i = Incident(incident_pid=pid, first_known_month="2026-07", reporting_quarter="2026-Q3")
    >>> people = [Person(incident_pid=pid, person_seq=n, nationality=c) for n, c in enumerate(["AL", "AL", "GR"], 1)]
    >>> out = enforce_k(people, [i], k=2)
    >>> [p.nationality for p in out.persons]
    ['AL', 'AL', 'unknown']
    >>> out.report["nationality_generalised"], out.report["persons_suppressed"]
    (1, 1)
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    before = reidentification_risk(persons, incidents, k=k)
    current = list(persons)
    by_pid = {incident.incident_pid: incident for incident in incidents}
    steps = [0] * len(current)
    generalised = suppressed = 0
    dropped: set[str] = set()
    while True:
        keys = quasi_identifier_keys(current, list(by_pid.values()))
        counts = Counter(keys)
        unsafe = [
            n for n, key in enumerate(keys)
            if counts[key] < k and not is_suppressed(current[n], by_pid.get(current[n].incident_pid))
        ]
        if not unsafe:
            break
        for n in unsafe:
            person = current[n]
            incident = by_pid.get(person.incident_pid)
            # One step per person per round, even when the step changes nothing for them:
            # another person's step may already merge their group.
            if steps[n] == 0:
                steps[n] = 1
                region = region_of(person.nationality)
                if region != person.nationality:
                    current[n] = person.model_copy(update={"nationality": region})
                    generalised += 1
                continue
            if steps[n] == 1:
                steps[n] = 2
                if incident is not None and incident.h3_cell is not None:
                    by_pid[incident.incident_pid] = incident.model_copy(update={"h3_cell": None, "h3_resolution": None})
                    dropped.add(incident.incident_pid)
                continue
            steps[n] = 3
            current[n] = person.model_copy(update={
                "age_band": AgeBand.unknown, "age_group": AgeGroup.unknown,
                "gender": Gender.unknown, "nationality": SUPPRESSED,
            })
            suppressed += 1
    new_incidents = [by_pid[incident.incident_pid] for incident in incidents]
    after = reidentification_risk(current, new_incidents, k=k)
    report: dict[str, object] = {
        "k": k, "persons": len(current), "nationality_generalised": generalised,
        "cells_dropped": len(dropped), "persons_suppressed": suppressed,
        "risk_before": before.as_dict(), "risk_after": after.as_dict(),
        # Groups below k that remain must consist of suppressed persons only (borough and month).
        "unsuppressed_below_k": _unsuppressed_below_k(current, new_incidents, k),
    }
    return KAnonymised(current, new_incidents, report)


def _unsuppressed_below_k(persons: Sequence[Person], incidents: Sequence[Incident], k: int) -> int:
    by_pid = {incident.incident_pid: incident for incident in incidents}
    keys = quasi_identifier_keys(persons, incidents)
    counts = Counter(keys)
    return sum(
        1 for key, person in zip(keys, persons, strict=True)
        if counts[key] < k and not is_suppressed(person, by_pid.get(person.incident_pid))
    )
