"""Reading identifier columns: a malformed ID number or date of birth drops only what needs it, named by row and column."""

from datetime import date

from anonymise.identifiers import IdKind
from partner_client.errors import Problems
from partner_client.profile import parse_profile
from partner_client.rows import ParsedRow, RowReader

PROFILE = """\
profile_format: 1
version: t-1
fields:
  incident.local_id: {column: Ref}
identifiers:
  full_name: {column: Name}
  dob: {column: DOB}
  nhs_number: {column: NHS}
  pnc_id: {column: PNC}
"""


def _read(rows: list[dict[str, str]]) -> tuple[list[ParsedRow], Problems]:
    problems = Problems()
    reader = RowReader(parse_profile(PROFILE), problems, today=date(2026, 10, 1))
    parsed = [reader.read(raw, n) for n, raw in enumerate(rows, start=2)]
    reader.finish()
    return parsed, problems


def _row(nhs: str, dob: str = "01/02/1990", pnc: str = "") -> dict[str, str]:
    return {"Ref": "R", "Name": "Ana Pop", "DOB": dob, "NHS": nhs, "PNC": pnc}


def test_a_bad_nhs_number_is_a_warning_naming_row_and_column() -> None:
    parsed, problems = _read([_row("943 476 5919", pnc="19/123456X"), _row("943 476 5918"), _row("")])
    assert [p.id_numbers[IdKind.nhs_number] for p in parsed] == [["9434765919"], [], []]
    assert parsed[0].id_numbers[IdKind.pnc_id] == ["19/0123456X"]
    assert problems.errors == []
    [warning] = problems.warnings
    assert (warning.rule, warning.row, warning.column) == ("unusable_id_number", 3, "NHS")
    assert "5918" not in warning.message
    assert parsed[1].known() == ["Ana Pop", "943 476 5918"]


def test_a_column_where_most_values_fail_is_an_error() -> None:
    _, problems = _read([_row("1"), _row("2"), _row("943 476 5919")])
    [error] = problems.errors
    assert (error.rule, error.column) == ("identifier_format", "NHS")
    assert "2 of 3" in error.message


def test_dates_of_birth_fail_per_row_until_most_do() -> None:
    parsed, problems = _read([_row("", dob="19450493"), _row("", dob="01/02/1990"), _row("", dob="02/02/1990")])
    assert [p.dob for p in parsed] == [None, date(1990, 2, 1), date(1990, 2, 2)]
    assert [(p.rule, p.row, p.column) for p in problems.warnings] == [("unusable_dob", 2, "DOB")]
    assert problems.errors == []
    _, problems = _read([_row("", dob="19450493"), _row("", dob="31/02/1990"), _row("", dob="02/02/1990")])
    assert [p.rule for p in problems.errors] == ["identifier_format"]
