"""Re-identification risk on quasi-identifiers and the upload minimum k."""

from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.countries import region_of
from anonymise.geo import to_cell
from anonymise.schema import Incident, Person
from anonymise.vocab import AgeBand, AgeGroup, Gender
from tests.anonymise.kanon_oracle import (
    enforce_k,
    is_suppressed,
    quasi_identifier_keys,
    reidentification_risk,
)

CELLS = [to_cell(51.52, 0.03, 7), to_cell(51.46, -0.12, 7), to_cell(51.55, -0.28, 7)]
BOROUGHS = ["E09000025", "E09000022", "E09000005"]
MONTHS = ["2026-07", "2026-08", "2026-09"]
BANDS = [AgeBand.a9_17, AgeBand.a18_20, AgeBand.a30_38, AgeBand.unknown]
NATIONALITIES = ["GB", "AL", "VN", "ER", "SD", "GR", "IT", "unknown"]


def pid(n: int) -> str:
    return f"v1.{n:064x}"


def incident(n: int, cell: str | None, month: str = "2026-07", borough: str = "E09000025") -> Incident:
    return Incident(incident_pid=pid(n), first_known_month=month, reporting_quarter="2026-Q3",
                    la_gss_code=borough, h3_cell=cell, h3_resolution=7 if cell else None)


def person(n: int, seq: int, nationality: str, band: AgeBand = AgeBand.a18_20, gender: Gender = Gender.female) -> Person:
    group = AgeGroup.child if band is AgeBand.a9_17 else AgeGroup.adult if band is not AgeBand.unknown else AgeGroup.unknown
    return Person(incident_pid=pid(n), person_seq=seq, age_band=band, age_group=group, gender=gender,
                  nationality=nationality)


def test_risk_counts_uniques_and_small_groups() -> None:
    incidents = [incident(n, CELLS[0]) for n in range(5)]
    persons = [person(0, 1, "AL"), person(1, 1, "AL"), person(2, 1, "AL"), person(3, 1, "VN"), person(4, 1, "ER")]
    risk = reidentification_risk(persons, incidents, k=3)
    assert (risk.records, risk.classes, risk.unique, risk.below_k) == (5, 3, 2, 2)
    assert risk.unique_share == pytest.approx(0.4)
    assert risk.as_dict()["below_k_share"] == 0.4


def test_persons_take_cell_and_month_from_their_incident() -> None:
    incidents = [incident(1, CELLS[0], "2026-07"), incident(2, None, "2026-08", "E09000022")]
    keys = quasi_identifier_keys([person(1, 1, "AL"), person(2, 1, "AL")], incidents)
    assert keys[0][4:] == (CELLS[0], "2026-07")
    assert keys[1][4:] == ("E09000022", "2026-08")


def test_k_anonymous_submission_is_left_alone() -> None:
    incidents = [incident(n, CELLS[0]) for n in range(4)]
    persons = [person(n, 1, "AL") for n in range(4)]
    out = enforce_k(persons, incidents, k=4)
    assert out.persons == persons
    assert out.incidents == incidents
    assert out.report["nationality_generalised"] == 0
    assert out.report["cells_dropped"] == 0
    assert out.report["persons_suppressed"] == 0


def test_rare_nationality_is_generalised_to_region_first() -> None:
    incidents = [incident(n, CELLS[0]) for n in range(6)]
    persons = [person(n, 1, c) for n, c in enumerate(["AL", "AL", "AL", "GR", "GR", "IT"])]
    persons[0:3] = [p.model_copy(update={"nationality": "region:southern_europe"}) for p in persons[0:3]]
    out = enforce_k(persons, incidents, k=3)
    assert [p.nationality for p in out.persons[3:]] == ["region:southern_europe"] * 3
    assert out.report["nationality_generalised"] == 3
    assert out.report["persons_suppressed"] == 0
    assert out.incidents == incidents


def test_then_the_cell_is_dropped_then_the_person_suppressed() -> None:
    incidents = [incident(0, CELLS[0]), incident(1, CELLS[0]), incident(2, None), incident(3, None), incident(4, CELLS[1])]
    persons = [person(n, 1, "AL") for n in range(5)]
    out = enforce_k(persons, incidents, k=3)
    assert [i.h3_cell for i in out.incidents] == [None] * 5  # all five meet at borough level
    assert [p.nationality for p in out.persons] == ["region:southern_europe"] * 5
    assert out.report["cells_dropped"] == 3
    lonely = enforce_k([person(0, 1, "VN")], [incident(0, CELLS[0])], k=2)
    assert is_suppressed(lonely.persons[0], lonely.incidents[0])
    assert lonely.persons[0].age_band is AgeBand.unknown
    assert lonely.persons[0].gender is Gender.unknown
    assert lonely.persons[0].nationality == "unknown"
    assert lonely.report["persons_suppressed"] == 1
    assert lonely.report["risk_before"]["unique"] == 1  # type: ignore[index]


@st.composite
def submissions(draw: st.DrawFn) -> tuple[list[Person], list[Incident]]:
    n_incidents = draw(st.integers(1, 25))
    incidents = [
        incident(n, draw(st.sampled_from([*CELLS, None])), draw(st.sampled_from(MONTHS)), draw(st.sampled_from(BOROUGHS)))
        for n in range(n_incidents)
    ]
    persons = []
    for n in range(n_incidents):
        for seq in range(1, draw(st.integers(1, 3)) + 1):
            persons.append(person(n, seq, draw(st.sampled_from(NATIONALITIES)), draw(st.sampled_from(BANDS)),
                                  draw(st.sampled_from([Gender.female, Gender.male]))))
    return persons, incidents


@settings(max_examples=150, deadline=None)
@given(submission=submissions(), k=st.integers(1, 6))
def test_after_enforce_k_every_group_has_k_or_is_suppressed(submission: tuple[list[Person], list[Incident]], k: int) -> None:
    persons, incidents = submission
    out = enforce_k(persons, incidents, k=k)
    assert len(out.persons) == len(persons)
    assert [i.incident_pid for i in out.incidents] == [i.incident_pid for i in incidents]
    by_pid = {i.incident_pid: i for i in out.incidents}
    groups: dict[tuple[str, ...], list[Person]] = defaultdict(list)
    for key, p in zip(quasi_identifier_keys(out.persons, out.incidents), out.persons, strict=True):
        groups[key].append(p)
    for members in groups.values():
        assert len(members) >= k or all(is_suppressed(p, by_pid[p.incident_pid]) for p in members)
    for before, after in zip(persons, out.persons, strict=True):
        assert after.nationality in {before.nationality, region_of(before.nationality), "unknown"}
        assert after.age_band in {before.age_band, AgeBand.unknown}
    for before_i, after_i in zip(incidents, out.incidents, strict=True):
        assert after_i.h3_cell in {before_i.h3_cell, None}
        assert after_i.first_known_month == before_i.first_known_month
    after_risk = reidentification_risk(out.persons, out.incidents, k=k)
    assert out.report["risk_after"] == after_risk.as_dict()
    suppressed_groups = Counter(
        key for key, p in zip(quasi_identifier_keys(out.persons, out.incidents), out.persons, strict=True)
        if not is_suppressed(p, by_pid[p.incident_pid])
    )
    assert all(n >= k for n in suppressed_groups.values())
    assert out.report["unsuppressed_below_k"] == 0
