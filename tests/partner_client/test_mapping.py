"""`map`: proposals from headers and values, identifiers never proposed as fields, checks that explain."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from partner_client.cli import app
from partner_client.demo_data import DemoFiles, generate
from partner_client.errors import ClientError
from partner_client.mapping import match_headers, propose
from partner_client.profile import IdentifierKind

IDENTIFYING_HEADERS = {
    "Client Name", "DOB", "Mobile", "Email", "NI Number", "Current Address", "Postcode",
    "First Name", "Last Name", "D.O.B.", "Address Line 1", "Post Code", "Tel No",
    "nhs_number", "pt_surname", "pt_forename", "dob", "home_postcode", "mrn",
    "Surname", "Forename(s)", "Phone", "VRM", "Address", "Lat", "Long",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate(tmp_path_factory.mktemp("demo"), seed=2, rows=40)


@pytest.mark.parametrize("kind", ["ngo", "borough", "hospital", "police"])
def test_identifying_columns_are_proposed_as_identifiers_only(demo: DemoFiles, kind: str) -> None:
    proposal = propose(demo.partner_files[kind])
    field_columns = {c for m in proposal.profile.fields.values() for c in m.columns}
    id_columns = proposal.profile.identifier_columns()
    present = IDENTIFYING_HEADERS & set(proposal.columns) | (IDENTIFYING_HEADERS & set(proposal.unmatched))
    assert not (field_columns & IDENTIFYING_HEADERS - {"Sex", "sex"})
    assert present - set(proposal.unmatched) <= id_columns
    assert "incident.first_known_date" in proposal.profile.fields


def test_values_are_suggested_from_the_file(demo: DemoFiles) -> None:
    proposal = propose(demo.partner_files["hospital"])
    assert proposal.profile.identifiers[IdentifierKind.sex].columns == ("sex",)
    assert proposal.value_guesses  # coded columns got value suggestions


def test_fuzzy_headers() -> None:
    matched = match_headers(("Date of Birth", "Surname", "Exploitation type(s)", "Referral Date", "Nat."))
    assert matched["Date of Birth"][0] == "id:dob"
    assert matched["Surname"][0] == "id:family_name"
    assert matched["Exploitation type(s)"][0] == "incident.exploitation_types"
    assert matched["Referral Date"][0] == "incident.first_known_date"


def test_a_file_with_no_recognisable_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("alpha,beta\n1,2\n", encoding="utf-8")
    with pytest.raises(ClientError, match="No column"):
        propose(path)


def test_map_writes_a_profile_that_check_accepts_or_explains(demo: DemoFiles, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "p.yaml"
    result = runner.invoke(app, ["map", str(demo.police_intel), "--profile", str(out)])
    assert result.exit_code == 0, result.output
    checked = runner.invoke(app, ["map", str(demo.police_intel), "--profile", str(out), "--check"])
    assert checked.exit_code in (0, 1)
    assert ("fits" in checked.output) or ("problem" in checked.output)
    out.write_text(out.read_text(encoding="utf-8").replace("column: Surname", "column: Family"), encoding="utf-8")
    broken = runner.invoke(app, ["map", str(demo.police_intel), "--profile", str(out), "--check"])
    assert broken.exit_code == 1
    assert "'Family'" in broken.output
    assert "no such header" in " ".join(broken.output.split())
