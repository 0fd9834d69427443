"""`prepare` on bad input: each problem explained in plain words by row and column, never by value;
nothing half-written; and a bundle never holds a value that `preview --json` does not show."""

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from partner_client.cli import app
from partner_client.config import ClientSettings
from partner_client.errors import ClientError
from partner_client.profile import load_profile
from partner_client.session import prepare_bundle
from tests.factories.client_home import DEMO_AGREEMENT, GOOD, HEADER, PROFILE, make_home

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "home"
    make_home(home)
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    return {"home": home, "profile": profile, "out": tmp_path / "out" / "b.zip", "tmp": tmp_path}


def _csv(env: dict[str, Path], lines: list[str], header: str = HEADER) -> Path:
    path = env["tmp"] / "export.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _prepare(env: dict[str, Path], csv: Path, quarter: str = "2026Q3") -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["prepare", str(csv), "--profile", str(env["profile"]), "--quarter", quarter, "--out", str(env["out"]),
         "--agreement", str(DEMO_AGREEMENT), "--home", str(env["home"]), "--no-ner"],
    )
    return result.exit_code, result.output


def _nothing_written(env: dict[str, Path]) -> bool:
    return not env["out"].parent.exists() or not any(env["out"].parent.iterdir())


def test_a_good_export_becomes_a_bundle_and_review(env: dict[str, Path]) -> None:
    code, output = _prepare(env, _csv(env, GOOD))
    assert code == 0, output
    assert sorted(p.name for p in env["out"].parent.iterdir()) == ["b.zip", "b.zip.review.md"]
    assert (env["out"].stat().st_mode & 0o777) == 0o600
    review = env["out"].with_name("b.zip.review.md").read_text(encoding="utf-8")
    for value in ("Ardit", "Hoxha", "07700", "1990"):
        assert value not in review


def test_empty_file(env: dict[str, Path]) -> None:
    path = env["tmp"] / "empty.csv"
    path.write_bytes(b"")
    code, output = _prepare(env, path)
    assert code == 1
    assert "is empty" in output
    assert "What to do" in output
    assert _nothing_written(env)


def test_header_only(env: dict[str, Path]) -> None:
    code, output = _prepare(env, _csv(env, []))
    assert code == 1
    assert "no rows" in output
    assert _nothing_written(env)


def test_no_recognisable_columns(env: dict[str, Path]) -> None:
    code, output = _prepare(env, _csv(env, ["1,2,3"], header="Foo,Bar,Baz"))
    assert code == 1
    assert "None of the columns" in output
    assert "map" in output


def test_wrong_quarter_says_which_it_probably_is(env: dict[str, Path]) -> None:
    code, output = _prepare(env, _csv(env, GOOD), quarter="2026Q2")
    assert code == 1
    assert "2026Q3" in output.replace("\n", " ")
    assert _nothing_written(env)


def test_quarter_that_has_not_begun(env: dict[str, Path]) -> None:
    """Judged against the partner's calendar day, given here (never the wall clock): refused on the
    last day before 2027Q1, not on its first day (where these 2026Q3 rows are the wrong quarter instead)."""
    settings = ClientSettings(home=env["home"])

    def prepare_on(today: date) -> ClientError:
        with pytest.raises(ClientError) as refused:
            prepare_bundle(settings, _csv(env, GOOD), load_profile(env["profile"]), env["tmp"], "2027-Q1", env["out"],
                           agreement_file=DEMO_AGREEMENT, ner=False, today=today)
        return refused.value

    assert prepare_on(date(2026, 12, 31)).message == "The quarter 2027-Q1 has not begun yet."
    assert prepare_on(date(2027, 1, 1)).message.startswith("None of the rows' dates falls in 2027-Q1; most are in 2026-Q3.")
    assert _nothing_written(env)


def test_malformed_quarter(env: dict[str, Path]) -> None:
    code, output = _prepare(env, _csv(env, GOOD), quarter="summer")
    assert code == 1
    assert "2026Q3" in output


def test_a_bad_date_of_birth_drops_only_that_rows_keys(env: dict[str, Path]) -> None:
    lines = [*GOOD, "R4,01/09/2026,Ana Popescu,07/03/2099,F,Romanian,Labour,Newham,",
             "R5,02/09/2026,Ion Rusu,19450493,M,Moldovan,Labour,Newham,"]
    code, output = _prepare(env, _csv(env, lines))
    flat = " ".join(output.split())
    assert code == 0, output
    review = " ".join(env["out"].with_name("b.zip.review.md").read_text(encoding="utf-8").split())
    for text in (flat, review):
        assert "row 5" in text
        assert "row 6" in text
        assert "'DOB'" in text
        for value in ("2099", "19450493", "Popescu", "Rusu"):
            assert value not in text
    persons = _table(env["out"], "persons")
    assert len(persons) == 5
    assert [p["mk_name_dob"] is None for p in persons] == [False, False, False, True, True]


def test_a_date_of_birth_column_mostly_unreadable_is_an_error(env: dict[str, Path]) -> None:
    lines = [line.replace("01/02/1990", "1990|02|01").replace("11/12/2004", "2004|12|11") for line in GOOD]
    code, output = _prepare(env, _csv(env, lines))
    flat = " ".join(output.split())
    assert code == 1
    assert "2 of 3 values" in flat
    assert "'DOB'" in flat
    assert _nothing_written(env)


def test_duplicate_rows_are_left_out_with_a_warning(env: dict[str, Path]) -> None:
    code, output = _prepare(env, _csv(env, [*GOOD, GOOD[0]]))
    assert code == 0, output
    assert "row 5" in output
    assert "repeats an earlier row" in " ".join(output.split())
    manifest = _manifest(env["out"])
    assert manifest["privacy_report"]["duplicate_rows_left_out"] == 1
    assert manifest["record_counts"]["incidents"] == 3


def test_unmapped_codes_are_listed_with_their_rows(env: dict[str, Path]) -> None:
    lines = [*GOOD, "R4,01/09/2026,Ana Popescu,07/03/1980,F,Romanian,Begging,Newham,", "R5,02/09/2026,Ion Rusu,07/03/1981,M,Moldovan,Begging,Newham,"]
    code, output = _prepare(env, _csv(env, lines))
    flat = " ".join(output.split())
    assert code == 1
    assert "'Begging'" in flat
    assert "rows 5, 6" in flat
    assert "default:" in flat
    assert "Popescu" not in flat


def test_a_profile_default_maps_unknown_codes(env: dict[str, Path]) -> None:
    env["profile"].write_text(PROFILE.replace("values: {Labour: labour, Sexual: sexual}", "values: {Labour: labour, Sexual: sexual}\n    default: other"), encoding="utf-8")
    code, output = _prepare(env, _csv(env, [*GOOD, "R4,01/09/2026,Ana Popescu,07/03/1980,F,Romanian,Begging,Newham,"]))
    assert code == 0, output


def _manifest(bundle: Path) -> dict[str, object]:
    with zipfile.ZipFile(bundle) as archive:
        return json.loads(archive.read("manifest.json"))  # type: ignore[no-any-return]


def _table(bundle: Path, table: str) -> list[dict[str, object]]:
    with zipfile.ZipFile(bundle) as archive:
        return pq.read_table(io.BytesIO(archive.read(f"{table}.parquet"))).to_pylist()  # type: ignore[no-any-return]


def _bundle_strings(bundle: Path) -> set[str]:
    """Every string and number the bundle holds, from every table and the manifest."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                found.add(str(k))
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif value is not None:
            found.add(json.dumps(value, ensure_ascii=False).strip('"'))

    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith(".parquet"):
                walk(pq.read_table(io.BytesIO(data)).to_pylist())
            elif name == "manifest.json":
                walk(json.loads(data))
    return found


def test_the_bundle_holds_nothing_preview_json_does_not_show(env: dict[str, Path]) -> None:
    code, output = _prepare(env, _csv(env, GOOD))
    assert code == 0, output
    shown = runner.invoke(app, ["preview", str(env["out"]), "--json"]).output
    records = [json.loads(line) for line in shown.splitlines()]
    assert sum(1 for r in records if "table" in r) == sum(_manifest(env["out"])["record_counts"].values())  # type: ignore[union-attr]
    missing = [v for v in _bundle_strings(env["out"]) if v not in shown]
    assert missing == []
    with zipfile.ZipFile(env["out"]) as archive:
        assert sorted(archive.namelist()) == [
            "incidents.parquet", "manifest.json", "manifest.sig", "person_keys.parquet", "persons.parquet", "referrals.parquet",
            "selectors.parquet",
        ]


NAMES = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=6, max_size=14)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(surname=NAMES)
def test_raw_values_never_reach_the_output_or_the_bundle(env: dict[str, Path], surname: str) -> None:
    for p in env["out"].parent.glob("*") if env["out"].parent.exists() else []:
        p.unlink()
    lines = [*GOOD, f"R9,01/09/2026,Kim {surname},31/02/1990,F,{surname},Labour,{surname},07700 900111"]
    code, output = _prepare(env, _csv(env, lines))
    assert surname not in output
    if code == 0:
        assert surname.encode() not in env["out"].read_bytes()
        assert surname not in runner.invoke(app, ["preview", str(env["out"]), "--json"]).output
