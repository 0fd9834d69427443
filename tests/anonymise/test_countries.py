"""Nationality text to ISO codes, and codes to world regions."""

import phonenumbers
import pytest

from anonymise.countries import REGIONS, alpha3_of, country_name, nationality_code, region_of
from anonymise.schema import Person

PID = "v1." + "a" * 64
ACCEPTED = sorted(set(phonenumbers.SUPPORTED_REGIONS) | {"XK"})


@pytest.mark.parametrize("code", ACCEPTED)
def test_every_code_the_schema_accepts_has_a_region_the_schema_accepts(code: str) -> None:
    region = region_of(code)
    assert region in REGIONS
    Person(incident_pid=PID, person_seq=1, nationality=region)
    assert nationality_code(code) == (None if code == "NA" else code)  # NA reads as "not available"
    assert nationality_code(alpha3_of(code)) == code
    assert nationality_code(country_name(code)) == code


@pytest.mark.parametrize(
    ("code", "region"),
    [("AL", "region:southern_europe"), ("ER", "region:eastern_africa"), ("SD", "region:northern_africa"),
     ("VN", "region:south_eastern_asia"), ("GB", "region:northern_europe"), ("RO", "region:eastern_europe"),
     ("IN", "region:southern_asia"), ("NG", "region:western_africa"), ("PL", "region:eastern_europe"),
     ("IR", "region:southern_asia"), ("CN", "region:eastern_asia"), ("BR", "region:south_america"),
     ("XK", "region:southern_europe"), ("AF", "region:southern_asia"), ("SY", "region:western_asia")],
)
def test_m49_regions(code: str, region: str) -> None:
    assert region_of(code) == region


@pytest.mark.parametrize(
    ("text", "code"),
    [("Albanian", "AL"), ("albania", "AL"), ("ALB", "AL"), ("Vietnam", "VN"), ("Viet Nam", "VN"),
     ("Vietnamese", "VN"), ("VIETNAMESE", "VN"), ("British", "GB"), ("UK", "GB"), ("U.K.", "GB"),
     ("English", "GB"), ("Scottish", "GB"), ("Eritrean", "ER"), ("Sudanese", "SD"), ("South Sudanese", "SS"),
     ("Romanian", "RO"), ("Indian", "IN"), ("Nigerian", "NG"), ("Polish", "PL"), ("Polish national", "PL"),
     ("Chinese", "CN"), ("Afghan", "AF"), ("Iranian", "IR"), ("Kosovan", "XK"), ("Filipino", "PH"),
     ("Côte d'Ivoire", "CI"), ("Cote d’Ivoire", "CI"), ("the Netherlands", "NL"), ("Dutch", "NL"),
     ("  ethiopian  ", "ET"), ("GBR", "GB"), ("vnm", "VN"), ("Turkey", "TR"), ("Türkiye", "TR")],
)
def test_nationality_text(text: str, code: str) -> None:
    assert nationality_code(text) == code


@pytest.mark.parametrize("text", ["", "Not known", "UNK", "n/k", "N/A", "NA", "unknown", "Prefer not to say", "Martian", "123"])
def test_unknown_or_unrecognised_nationality_is_none(text: str) -> None:
    assert nationality_code(text) is None


@pytest.mark.parametrize("value", ["unknown", "not_asked", "not_applicable", "other", "region:western_asia"])
def test_markers_and_regions_pass_through(value: str) -> None:
    assert region_of(value) == value


def test_unknown_code_is_refused_without_echo() -> None:
    with pytest.raises(ValueError, match="ISO") as error:
        region_of("QQ")
    assert "QQ" not in str(error.value)
