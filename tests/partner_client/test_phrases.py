"""Caseworkers' phrases get the codes they mean (issue 16: car wash, family home, hotel, cannabis farm were mis-coded)."""

from pathlib import Path

import pytest

from anonymise.vocab import ExploitationType, LabourSector, PremisesType
from partner_client.coding import suggest_code
from partner_client.mapping import propose

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "caseworker" / "small_ngo.csv"


@pytest.mark.parametrize(
    ("phrase", "vocab", "code"),
    [
        ("forced to work in car wash", ExploitationType, "labour"),
        ("cannabis farm", ExploitationType, "criminal"),
        ("sexual exploitation", ExploitationType, "sexual"),
        ("county lines", ExploitationType, "criminal"),
        ("domestic servitude", ExploitationType, "domestic_servitude"),
        ("made to clean the family home", ExploitationType, "domestic_servitude"),
        ("family home", PremisesType, "private_household"),
        ("her home", PremisesType, "private_household"),
        ("care home", PremisesType, "care_home"),
        ("hotel", PremisesType, "other"),
        ("cannabis farm", PremisesType, "other"),
        ("car wash", PremisesType, "hand_car_wash"),
        ("forced to work in car wash", LabourSector, "car_wash"),
        ("cannabis farm", LabourSector, "illicit_activities"),
    ],
)
def test_phrases_get_the_code_they_mean(phrase: str, vocab: type, code: str) -> None:
    assert suggest_code(phrase, vocab)[0] == code


def test_hotel_and_home_are_never_brothel_or_care_home() -> None:
    for phrase in ("hotel", "family home", "her home", "his home", "their house"):
        assert suggest_code(phrase, PremisesType)[0] not in {"brothel_residential", "care_home"}, phrase


def test_the_small_ngo_export_is_proposed_column_by_column() -> None:
    proposal = propose(FIXTURE)
    targets = {column: target for column, (target, _) in proposal.columns.items()}
    assert targets["Type"] == "incident.exploitation_types"
    assert targets["Where exploited"] == "incident.premises_type"
    assert targets["Contact no"] == "id:phone"
    assert targets["Client"] == "id:full_name"
    assert targets["Postcode where exploited"] == "id:location_postcode"
    assert proposal.unmatched == []
    types = proposal.profile.fields["incident.exploitation_types"].values
    assert types["forced to work in car wash"] == "labour"
    assert types["cannabis farm"] == "criminal"
    premises = proposal.profile.fields["incident.premises_type"].values
    assert premises["family home"] == premises["her home"] == "private_household"
    assert premises["hotel"] == "other"
