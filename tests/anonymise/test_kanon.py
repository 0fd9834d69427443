"""k on compact tuples (what the client enforces and the hub re-checks) agrees with the record-level oracle."""

import doctest

from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise import kanon
from anonymise.geo import to_cell
from anonymise.schema import Incident, Person
from anonymise.vocab import AgeBand, AgeGroup, Gender
from tests.anonymise.kanon_oracle import _unsuppressed_below_k, enforce_k

CELLS = [None, to_cell(51.52, 0.03, 7), to_cell(51.46, -0.12, 7)]
BOROUGHS = [None, "E09000025", "E09000022"]
MONTHS = ["2026-07", "2026-08"]
BANDS = [AgeBand.a9_17, AgeBand.a18_20, AgeBand.unknown]
GENDERS = [Gender.female, Gender.male, Gender.unknown]
NATIONALITIES = ["GB", "AL", "VN", "ER", "unknown"]

incident_st = st.tuples(st.sampled_from(CELLS), st.sampled_from(BOROUGHS), st.sampled_from(MONTHS))
person_st = st.tuples(st.integers(0, 7), st.sampled_from(BANDS), st.sampled_from(GENDERS), st.sampled_from(NATIONALITIES))


def pid(n: int) -> str:
    return f"v1.{n:064x}"


@settings(max_examples=150, deadline=None)
@given(st.lists(incident_st, min_size=1, max_size=8), st.lists(person_st, max_size=30), st.integers(1, 5))
def test_same_changes_and_report_as_the_core(
    incident_rows: list[tuple[str | None, str | None, str]],
    person_rows: list[tuple[int, AgeBand, Gender, str]],
    k: int,
) -> None:
    incidents = [
        Incident(incident_pid=pid(n), first_known_month=month, reporting_quarter="2026-Q3", la_gss_code=gss,
                 h3_cell=cell, h3_resolution=7 if cell else None)
        for n, (cell, gss, month) in enumerate(incident_rows)
    ]
    persons = []
    for seq, (n, band, gender, nationality) in enumerate(person_rows, 1):
        group = AgeGroup.unknown if band is AgeBand.unknown else AgeGroup.child if band is AgeBand.a9_17 else AgeGroup.adult
        # Persons of an incident that is not in the submission are allowed (location "none").
        persons.append(Person(incident_pid=pid(n), person_seq=seq, age_band=band, age_group=group, gender=gender,
                              nationality=nationality))
    expected = enforce_k(persons, incidents, k=k)

    qi = kanon.QuasiIdentifiers(
        [[p.incident_pid, p.age_band.value, p.age_group.value, p.gender.value, p.nationality] for p in persons],
        {i.incident_pid: [i.h3_cell, i.la_gss_code, i.first_known_month] for i in incidents},
    )
    decision = kanon.enforce_k(qi, k)

    assert decision.report == expected.report
    for n, (before, after) in enumerate(zip(persons, expected.persons, strict=True)):
        changed = {
            name: getattr(after, name).value if name != "nationality" else after.nationality
            for name in ("age_band", "age_group", "gender", "nationality")
            if getattr(after, name) != getattr(before, name)
        }
        assert {k_: v for k_, v in decision.persons.get(n, {}).items() if getattr(before, k_) != v} == changed
    dropped = {i.incident_pid for i, j in zip(incidents, expected.incidents, strict=True) if i.h3_cell != j.h3_cell}
    assert decision.dropped_cells == dropped
    # What the client sends passes the check the hub makes, and the check counts what the core counts.
    assert not kanon.below_k(qi, k)
    assert kanon.below_k(_qi(persons, incidents), k).persons == _unsuppressed_below_k(persons, incidents, k)


def _qi(persons: list[Person], incidents: list[Incident]) -> kanon.QuasiIdentifiers:
    return kanon.QuasiIdentifiers(
        [[p.incident_pid, p.age_band.value, p.age_group.value, p.gender.value, p.nationality] for p in persons],
        {i.incident_pid: [i.h3_cell, i.la_gss_code, i.first_known_month] for i in incidents},
    )


def test_docstring_examples_and_public_names() -> None:
    assert sum(len(test.examples) for test in doctest.DocTestFinder().find(kanon)) > 0  # run by --doctest-modules
    assert [name for name in kanon.__all__ if not hasattr(kanon, name)] == []


def test_below_k_counts_persons_and_groups_and_ignores_suppressed_persons() -> None:
    month = [None, "E09000025", "2026-07"]
    qi = kanon.QuasiIdentifiers(
        [[pid(0), "18-20", "adult", "female", "AL"], [pid(0), "18-20", "adult", "female", "AL"],
         [pid(0), "21-23", "adult", "male", "VN"], [pid(1), "unknown", "unknown", "unknown", "unknown"]],
        {pid(0): month, pid(1): [None, "E09000022", "2026-07"]},
    )
    assert kanon.below_k(qi, 2) == kanon.BelowK(k=2, persons=1, groups=1)
    assert kanon.below_k(qi, 3) == kanon.BelowK(k=3, persons=3, groups=2)
    assert not kanon.below_k(qi, 1)
    qi.incidents[pid(1)][0] = CELLS[1]  # a cell makes the unknown person identifiable by place again
    assert kanon.below_k(qi, 2).persons == 2
