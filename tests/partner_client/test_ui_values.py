"""Step 2 of the page: every distinct value of each coded column with its count and the code sent; changes applied."""

from pathlib import Path

from partner_client.mapping import propose
from partner_client.ui.values import apply_values, coded_columns, constants_of

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "caseworker" / "small_ngo.csv"


def _column(profile: object, csv: Path, field: str) -> dict[str, object]:
    found = [c for c in coded_columns(profile, csv) if c["field"] == field]  # type: ignore[arg-type]
    assert len(found) == 1, field
    return found[0]


def test_every_value_is_listed_with_its_count_and_code() -> None:
    profile = propose(FIXTURE).profile
    types = _column(profile, FIXTURE, "incident.exploitation_types")
    listed = {v["value"]: (v["count"], v["code"]) for v in types["values"]}  # type: ignore[attr-defined]
    assert listed, "the column's values are listed"
    assert sum(n for n, _ in listed.values()) + types["blank_rows"] == 26  # type: ignore[operator]
    assert listed["forced to work in car wash"] == (4, "labour")
    assert types["unknown_rows"] == 1  # the blank "not known"
    nationality = _column(profile, FIXTURE, "person.nationality")
    assert {v["value"]: v["code"] for v in nationality["values"]}["Eritrean"] == "ER"  # type: ignore[attr-defined]


def test_changes_and_constants_reach_the_profile(tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text(FIXTURE.read_text(encoding="utf-8").replace(",Newham,", ",Newham borough council,", 1), encoding="utf-8")
    profile = propose(csv).profile
    borough = _column(profile, csv, "incident.borough")
    odd = [v for v in borough["values"] if v["code"] == ""]  # type: ignore[attr-defined]
    assert [v["value"] for v in odd] == ["Newham borough council"], "an unrecognised borough is shown as such"
    assert borough["unknown_rows"] == 1
    changed = apply_values(
        profile,
        {"incident.borough": {"Newham borough council": "E09000025"}, "incident.premises_type": {"hotel": "brothel_residential"}},
        {"person.role": "potential_victim"},
    )
    assert _column(changed, csv, "incident.borough")["unknown_rows"] == 0
    assert {v["value"]: v["code"] for v in _column(changed, csv, "incident.premises_type")["values"]}["hotel"] == "brothel_residential"  # type: ignore[attr-defined]
    assert constants_of(changed)[0]["value"] == "potential_victim"
    assert changed.fields["person.role"].default == "potential_victim"


def test_every_field_has_a_name_in_words() -> None:
    from partner_client.profile import TARGETS
    from partner_client.ui.labels import FIELD_LABELS

    assert TARGETS
    assert sorted(set(TARGETS) - set(FIELD_LABELS)) == []
