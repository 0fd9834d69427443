"""The common schema refuses anything that could identify a person."""

import pytest
from pydantic import ValidationError

from anonymise.schema import FORBIDDEN_FIELD_WORDS, PSEUDONYM_FIELDS, TABLES, Incident, Person

PID = "v1." + "a" * 64


def test_only_pseudonym_fields_are_named_after_a_direct_identifier() -> None:
    """Match-key fields are named after their recipe (mk_name_dob) but hold only keyed hashes."""
    for table, model in TABLES.items():
        for field in model.model_fields:
            if field in PSEUDONYM_FIELDS[table]:
                with pytest.raises(ValidationError):
                    model.model_validate({field: "Jane Doe 1990-01-01"})
                continue
            parts = field.split("_")
            for word in FORBIDDEN_FIELD_WORDS:
                assert word not in parts, f"{table}.{field} is named after {word}"


@pytest.mark.parametrize(
    "extra",
    [{"name": "Jane Doe"}, {"dob": "1990-01-01"}, {"postcode": "E1 6AN"}, {"phone": "07700900123"},
     {"email": "a@b.com"}, {"latitude": 51.5}, {"address": "1 High St"}],
)
def test_record_with_direct_identifier_is_rejected(extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as err:
        Incident.model_validate({"incident_pid": PID, "first_known_month": "2026-07",
                                 "reporting_quarter": "2026-Q3", **extra})
    assert str(next(iter(extra.values()))) not in str(err.value)


@pytest.mark.parametrize(
    "narrative",
    ["call her on 07700 900123", "lives at E1 6AN", "born 12/03/1990", "mail x.y@example.org",
     "seen at 51.51234,-0.12345", "see https://example.org/profile"],
)
def test_narrative_that_still_holds_contact_details_is_rejected(narrative: str) -> None:
    with pytest.raises(ValidationError) as err:
        Incident(incident_pid=PID, first_known_month="2026-07", reporting_quarter="2026-Q3",
                 narrative=narrative)
    assert narrative not in str(err.value)


def test_scrubbed_narrative_is_accepted() -> None:
    text = "<PERSON_1> was found working at a hand car wash in Newham and referred to the NRM."
    assert Incident(incident_pid=PID, first_known_month="2026-07", reporting_quarter="2026-Q3",
                    narrative=text).narrative == text


@pytest.mark.parametrize("pid", ["Jane Doe", "a" * 64, "v1." + "A" * 64, "v1." + "a" * 63])
def test_pseudonyms_must_be_versioned_hex(pid: str) -> None:
    with pytest.raises(ValidationError):
        Person(incident_pid=pid, person_seq=1)


def test_nationality_accepts_iso_codes_and_markers_only() -> None:
    assert Person(incident_pid=PID, person_seq=1, nationality="AL").nationality == "AL"
    assert Person(incident_pid=PID, person_seq=1, nationality="not_asked").nationality == "not_asked"
    with pytest.raises(ValidationError):
        Person(incident_pid=PID, person_seq=1, nationality="ZZ")


def test_h3_cell_finer_than_resolution_8_is_rejected() -> None:
    import h3

    fine = h3.latlng_to_cell(51.5, -0.1, 9)
    with pytest.raises(ValidationError):
        Incident(incident_pid=PID, first_known_month="2026-07", reporting_quarter="2026-Q3", h3_cell=fine)
    ok = h3.cell_to_parent(fine, 8)
    assert Incident(incident_pid=PID, first_known_month="2026-07", reporting_quarter="2026-Q3",
                    h3_cell=ok, h3_resolution=8).h3_cell == ok


def test_published_json_schema_matches_the_models() -> None:
    from pathlib import Path

    from anonymise.schema_export import render

    published = (Path(__file__).resolve().parents[2] / "docs" / "schema.json").read_text(encoding="utf-8")
    assert published == render(), "docs/schema.json is stale: run python -m anonymise.schema_export"


def test_every_field_and_code_is_documented() -> None:
    from pathlib import Path

    from anonymise.vocab import VOCABULARIES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "schema.md").read_text(encoding="utf-8")
    for table, model in TABLES.items():
        for field in model.model_fields:
            assert f"`{field}`" in doc or field in doc, f"{table}.{field} missing from docs/schema.md"
    markers = {"unknown", "not_asked", "not_applicable", "not_specified"}
    for vocab in VOCABULARIES.values():
        for member in vocab:
            if member.value not in markers and vocab.__name__ != "AgeBand":
                assert member.value in doc, f"{vocab.__name__}.{member.value} missing from docs/schema.md"
