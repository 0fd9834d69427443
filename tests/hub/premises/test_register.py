"""Reading FHRS open data files: counts per borough and premises type, and nothing of any business kept."""

from pathlib import Path

import pytest

from hub.demo import DEMO_REGISTER
from hub.premises.register import RegisterError, read_fhrs
from tests.factories.fhrs import Establishment, write_fhrs

CANARY = "Qwertyuiop Canary Kebabs"
ADDRESS = "77 Zanzibar Canary Lane"


def test_the_shipped_synthetic_register_is_read_and_marked_synthetic() -> None:
    text = DEMO_REGISTER.read_text(encoding="utf-8")
    assert "SYNTHETIC" in text.split("<FHRSEstablishment", 1)[0]
    read = read_fhrs(DEMO_REGISTER)
    assert read.read == text.count("<EstablishmentDetail>") > 100
    assert read.outside_london == 1
    assert read.other_types > 0
    assert read.extract_date == "2026-11-28"
    assert read.counts[("E09000025", "hot_food_takeaway")] > read.counts[("E09000007", "hot_food_takeaway")] > 0


def test_counts_by_borough_and_type_with_ids_and_names(tmp_path: Path) -> None:
    path = write_fhrs(tmp_path / "r.xml", [
        Establishment(CANARY, "Takeaway/sandwich shop", "Newham", ADDRESS, type_id="7844"),
        Establishment("B", "Takeaway/sandwich shop", "Newham"),
        Establishment("C", "", "Newham", type_id="4613"),  # no type name: the id decides
        Establishment("D", "Restaurant/Cafe/Canteen", "Royal Borough of Kensington and Chelsea"),
        Establishment("E", "Pub/bar/nightclub", "Newham"),
        Establishment("F", "Takeaway/sandwich shop", "Cambridge City"),
    ])
    read = read_fhrs(path)
    assert dict(read.counts) == {
        ("E09000025", "hot_food_takeaway"): 2,
        ("E09000025", "convenience_store"): 1,
        ("E09000020", "restaurant"): 1,
    }
    assert (read.read, read.other_types, read.outside_london) == (6, 1, 1)
    # what the reader returns holds counts, never a name, address or postcode
    kept = repr(read) + repr(vars(read))
    for value in (CANARY, ADDRESS, "ZZ9 9ZZ", "Invented"):
        assert value not in kept


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><FHRSEstablishment/>', "document type declaration"),
        ("<FHRSEstablishment><EstablishmentCollection>", "not well-formed"),
        ("<FHRSEstablishment><Header/></FHRSEstablishment>", "no EstablishmentCollection"),
    ],
)
def test_bad_files_are_refused_by_rule_never_by_value(tmp_path: Path, text: str, rule: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegisterError, match=rule) as caught:
        read_fhrs(path)
    assert "aaaa" not in str(caught.value)


def test_a_namespaced_copy_of_the_layout_reads_the_same(tmp_path: Path) -> None:
    plain = write_fhrs(tmp_path / "plain.xml", [Establishment(CANARY, "Takeaway/sandwich shop", "Hackney", ADDRESS)])
    spaced = tmp_path / "spaced.xml"
    spaced.write_text(plain.read_text(encoding="utf-8").replace(
        "<FHRSEstablishment ", '<FHRSEstablishment xmlns="http://www.food.gov.uk/fhrs" ', 1), encoding="utf-8")
    assert dict(read_fhrs(spaced).counts) == dict(read_fhrs(plain).counts) == {("E09000012", "hot_food_takeaway"): 1}
