"""The synthetic partner exports: layouts, encodings, determinism, ground truth and labelled notes."""

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from anonymise.london import BOROUGHS, borough_for_point
from partner_client.cli import app
from partner_client.demo_data import DemoFiles, generate, labelled_notes
from partner_client.demo_data.layouts import BOROUGH_SPELLINGS
from partner_client.demo_data.notes import ENTITY_TYPES

LAYOUTS = {
    "ngo_cases.csv": ("utf-8-sig", ",", "Case Notes", 24),
    "borough_safeguarding.csv": ("cp1252", ";", "Worker Notes", 20),
    "hospital_flags.csv": ("utf-8", "\t", "clinician_notes", 17),
    "police_intel.csv": ("utf-8", ",", "Intel Text", 27),
}
DRAMA_PHONE = re.compile(r"^(?:\+44|0)(?:7700 ?900\d{3}|20 ?7946 ?0\d{3}|1\d{2} ?496 ?0\d{3})$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate(tmp_path_factory.mktemp("demo"), seed=11, rows=160)


def read_rows(path: Path) -> list[dict[str, str]]:
    encoding, delimiter, _, _ = LAYOUTS[path.name]
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_four_exports_postcodes_and_truth_are_written(demo: DemoFiles) -> None:
    for path in [*demo.partner_files.values(), demo.postcodes, demo.ground_truth, demo.identifiers]:
        assert path.is_file(), path.name
        assert path.stat().st_size > 0, path.name
    assert len(demo.partner_files) == 4
    for path in demo.partner_files.values():
        rows = read_rows(path)
        assert len(rows) == 160
        assert len(rows[0]) == LAYOUTS[path.name][3]


def test_each_export_has_its_own_encoding_and_delimiter(demo: DemoFiles) -> None:
    ngo = demo.ngo_cases.read_bytes()
    assert ngo.startswith(b"\xef\xbb\xbf")
    borough = demo.borough_safeguarding.read_bytes()
    assert not borough.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        borough.decode("utf-8")  # accented names and £ are single cp1252 bytes
    assert borough.decode("cp1252").splitlines()[0].count(";") == 19
    hospital = demo.hospital_flags.read_text(encoding="utf-8")
    assert hospital.splitlines()[0].count("\t") == 16
    assert "\r\n" not in hospital
    police = demo.police_intel.read_bytes().decode("utf-8")
    assert police.startswith("Occurrence No,")
    assert "\r\n" in police


def test_value_spellings_differ_between_partners(demo: DemoFiles) -> None:
    ngo = {r["Exploitation Type"] for r in read_rows(demo.ngo_cases)}
    borough = {r["Category"] for r in read_rows(demo.borough_safeguarding)}
    hospital = {r["flag_type"] for r in read_rows(demo.hospital_flags)}
    police = {r["Crime Type"] for r in read_rows(demo.police_intel)}
    assert "Sexual exploitation" in ngo
    assert "SEXUAL" in borough
    assert "sex_exp" in hospital
    assert "MSHT - Sexual" in police
    assert re.fullmatch(r"\d{2}-[A-Z][a-z]{2}-\d{4}", read_rows(demo.borough_safeguarding)[0]["Date Received"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", read_rows(demo.hospital_flags)[0]["arrival_datetime"])
    police_dobs = [r["DOB"] for r in read_rows(demo.police_intel) if r["DOB"]]
    assert any(d.endswith(" 00:00") for d in police_dobs)
    assert any(d.isdigit() for d in police_dobs)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", seed=3, rows=30)
    second = generate(tmp_path / "b", seed=3, rows=30)
    third = generate(tmp_path / "c", seed=4, rows=30)
    for name in [*LAYOUTS, "postcodes.csv", "ground_truth.csv", "identifiers.json"]:
        assert (first.out_dir / name).read_bytes() == (second.out_dir / name).read_bytes(), name
    assert first.ngo_cases.read_bytes() != third.ngo_cases.read_bytes()


def test_ground_truth_covers_every_row_and_repeats_people_across_partners(demo: DemoFiles) -> None:
    with demo.ground_truth.open(encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    assert {(t["file"], int(t["row"])) for t in truth} == {
        (name, row) for name in LAYOUTS for row in range(1, 161)
    }
    files_by_person: dict[str, set[str]] = defaultdict(set)
    for t in truth:
        files_by_person[t["person_id"]].add(t["file"])
    repeated = [p for p, files in files_by_person.items() if len(files) >= 2]
    assert len(repeated) >= 20
    assert {"exact", "typo", "swapped", "transliteration"} <= {t["spelling"] for t in truth}
    roles = {t["role"] for t in truth if t["file"] == "police_intel.csv"}
    assert roles == {"potential_victim", "suspect"}


def test_repeat_person_rows_really_carry_their_name(demo: DemoFiles) -> None:
    with demo.ground_truth.open(encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    rows = {name: read_rows(demo.out_dir / name) for name in LAYOUTS}
    name_columns = {"ngo_cases.csv": ("Client Name",), "borough_safeguarding.csv": ("First Name", "Last Name"),
                    "hospital_flags.csv": ("pt_forename", "pt_surname"), "police_intel.csv": ("Forename(s)", "Surname")}
    exact = [t for t in truth if t["spelling"] == "exact"]
    names_by_person: dict[str, set[str]] = defaultdict(set)
    for t in exact:
        row = rows[t["file"]][int(t["row"]) - 1]
        tokens = " ".join(row[c] for c in name_columns[t["file"]]).replace(",", " ").casefold().split()
        names_by_person[t["person_id"]].add(tokens[-1] if t["file"] == "ngo_cases.csv" else tokens[0])
    consistent = sum(1 for names in names_by_person.values() if len(names) == 1)
    assert consistent / len(names_by_person) > 0.8  # the rest differ only by cp1252 folding


def test_identifiers_json_lists_strings_really_in_each_row(demo: DemoFiles) -> None:
    listed = json.loads(demo.identifiers.read_text(encoding="utf-8"))
    assert set(listed) == set(LAYOUTS)
    for name, entries in listed.items():
        rows = read_rows(demo.out_dir / name)
        notes_column = LAYOUTS[name][2]
        kinds = set()
        for entry in entries:
            row = rows[entry["row"] - 1]
            assert entry["value"] in row[entry["column"]], (name, entry["row"], entry["column"])
            kinds.add(entry["type"])
        assert {"PERSON", "DATE", "PHONE", "POSTCODE"} <= kinds, name
        note_kinds = {e["type"] for e in entries if e["column"] == notes_column}
        assert {"PERSON", "DATE"} <= note_kinds


def test_notes_name_people_who_are_in_no_column(demo: DemoFiles) -> None:
    listed = json.loads(demo.identifiers.read_text(encoding="utf-8"))
    entries = listed["ngo_cases.csv"]
    column_names = {e["value"].casefold() for e in entries if e["column"] == "Client Name"}
    note_people = {e["value"] for e in entries if e["column"] == "Case Notes" and e["type"] == "PERSON"}
    outsiders = [p for p in note_people if not any(p.split()[-1].casefold() in c for c in column_names)]
    assert len(outsiders) > 10


def test_identifiers_are_fictional(demo: DemoFiles) -> None:
    listed = json.loads(demo.identifiers.read_text(encoding="utf-8"))
    values = [e for entries in listed.values() for e in entries]
    phones = [e["value"] for e in values if e["type"] == "PHONE" and e["column"] in {"Mobile", "Tel No", "Phone"}]
    assert phones
    assert all(DRAMA_PHONE.match(p.replace("-", " ").replace("  ", " ")) for p in phones), phones[:5]
    emails = [e["value"] for e in values if e["type"] == "EMAIL"]
    assert emails
    assert all(e.rsplit("@", 1)[1] in {"example.org", "example.com", "example.net"} for e in emails)
    nhs = [e["value"].replace(" ", "") for e in values if e["type"] == "NHS_NUMBER"]
    assert nhs
    assert all(n.startswith("999") and _nhs_checksum_ok(n) for n in nhs)
    ips = [e["value"] for e in values if e["type"] == "IP"]
    assert ips
    assert all(ip.startswith(("192.0.2.", "198.51.100.", "203.0.113.")) for ip in ips)


def _nhs_checksum_ok(number: str) -> bool:
    total = sum(int(d) * (10 - i) for i, d in enumerate(number[:9]))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(number[9])


def test_postcode_lookup_locates_every_postcode_in_the_right_borough(demo: DemoFiles) -> None:
    with demo.postcodes.open(encoding="utf-8") as handle:
        lookup = {r["pcds"]: r for r in csv.DictReader(handle)}
    assert {"pcds", "lat", "long", "oslaua", "pfa"} <= set(next(iter(lookup.values())))
    for row in lookup.values():
        assert borough_for_point(float(row["lat"]), float(row["long"])) == row["oslaua"]
    used = {r["Postcode"] for r in read_rows(demo.ngo_cases)} | {r["Post Code"] for r in read_rows(demo.borough_safeguarding)}
    used |= {r["home_postcode"] for r in read_rows(demo.hospital_flags)} - {"ZZ99 3VZ"}
    used |= {r["Postcode"] for r in read_rows(demo.police_intel)}
    assert used <= set(lookup)
    police = read_rows(demo.police_intel)
    assert police
    for row in police:
        assert borough_for_point(float(row["Lat"]), float(row["Long"])) is not None


def test_distributions_look_like_nrm_statistics(tmp_path: Path) -> None:
    files = generate(tmp_path, seed=5, rows=400)
    rows = read_rows(files.ngo_cases) + read_rows(files.police_intel)
    types = [r.get("Exploitation Type") or r.get("Crime Type") or "" for r in rows]
    criminal_or_labour = sum(("riminal" in t or "Labour" in t or "County" in t) for t in types)
    sexual = sum("exual" in t for t in types)
    assert criminal_or_labour > sexual > 0
    borough = read_rows(files.borough_safeguarding)
    assert sum(r["Adult/Child"] == "CHILD" for r in borough) > 0.2 * len(borough)
    nationalities = {r["Nationality"] for r in borough}
    assert {"BRITISH", "ALBANIAN", "VIETNAMESE", "ERITREAN"} <= nationalities


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_note_spans_match_their_text(seed: int) -> None:
    for note in labelled_notes(4, seed=seed):
        assert note.spans, note.text
        previous_end = 0
        for start, end, kind in sorted(note.spans):
            assert kind in ENTITY_TYPES
            assert 0 <= previous_end <= start < end <= len(note.text)
            assert note.text[start:end].strip() == note.text[start:end]
            previous_end = end
        for word in note.kept:
            assert word in note.text
        assert 45 <= len(note.text.split()) <= 120


def test_labelled_notes_are_deterministic_and_cover_every_entity_type() -> None:
    notes = labelled_notes(300, seed=2)
    assert notes == labelled_notes(300, seed=2)
    assert notes != labelled_notes(300, seed=3)
    assert {kind for note in notes for *_, kind in note.spans} == set(ENTITY_TYPES)
    assert all(note.known for note in notes)
    kept = {w for note in notes for w in note.kept}
    assert {"Albanian", "Newham", "nail bar", "hand car wash"} <= kept


def test_cli_writes_the_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path), "--seed", "2", "--rows", "12", "--quarter", "2026Q1"])
    assert result.exit_code == 0, result.output
    rows = read_rows(tmp_path / "ngo_cases.csv")
    assert len(rows) == 12
    assert all(r["Date Opened"].endswith(("/01/2026", "/02/2026", "/03/2026")) for r in rows)
    bad = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path), "--quarter", "2026Q9"])
    assert bad.exit_code != 0


def test_csv_stays_one_record_per_row_despite_multiline_notes(demo: DemoFiles) -> None:
    text = demo.ngo_cases.read_text(encoding="utf-8-sig")
    assert any("\n" in r["Case Notes"] for r in csv.DictReader(io.StringIO(text, newline="")))


def test_notes_examples_run() -> None:
    import doctest

    from partner_client.demo_data import notes

    assert sum(len(test.examples) for test in doctest.DocTestFinder().find(notes)) > 0  # run by --doctest-modules


def test_each_partner_writes_notes_in_its_own_voice(demo: DemoFiles) -> None:
    hospital = " ".join(r["clinician_notes"] for r in read_rows(demo.hospital_flags))
    police = " ".join(r["Intel Text"] for r in read_rows(demo.police_intel))
    ngo = " ".join(r["Case Notes"] for r in read_rows(demo.ngo_cases))
    assert "drop-in" not in hospital
    assert "Pt " in hospital or "ED" in hospital
    assert "PNC" in police or "Intelligence" in police
    assert "drop-in" in ngo or "outreach" in ngo


@pytest.fixture(scope="module")
def demo_quarter(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """The first quarter exactly as ``make demo`` writes it (hub/demo.py: seed 7, 300 rows each).

    Shared values are rare on purpose (casework-sized networks), so a smaller export may hold none."""
    return generate(tmp_path_factory.mktemp("demo-quarter"), seed=7, rows=300)


def test_partners_share_a_labour_provider_a_phone_and_a_vehicle_across_exports(demo_quarter: DemoFiles) -> None:
    ngo, police = read_rows(demo_quarter.ngo_cases), read_rows(demo_quarter.police_intel)
    employers = {r["Employer / Agency"] for r in ngo} & {r["Linked Business"] for r in police}
    assert employers - {""}
    phones = [r["Phone"].replace(" ", "").replace("+44", "0") for r in police] + [r["Mobile"].replace(" ", "") for r in ngo]
    assert any(phones.count(p) > 1 for p in ("07700900990", "07700900991", "02079460990", "02079460991"))
    assert sum(1 for r in police if r["VRM"] in {"LC19 XKE", "YT68 BNW"}) >= 2


def _borough_code(name: str) -> str | None:
    spelled = {v: k for k, v in BOROUGH_SPELLINGS.items()}.get(name, name)
    return next((b.gss for b in BOROUGHS if b.name == spelled), None)


def test_london_routes_run_along_corridors_large_enough_to_publish(demo_quarter: DemoFiles) -> None:
    """Borough-to-borough flows the hub can show: at least min_count people (5 in the demo
    agreement), and from each partner none or at least 5 (else it could subtract its own)."""
    pairs: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"ngo": 0, "police": 0})
    for r in read_rows(demo_quarter.ngo_cases):
        start, end = _borough_code(r["Borough Recruited"]), _borough_code(r["Borough of Exploitation"])
        if start and end and start != end:
            pairs[(start, end)]["ngo"] += 1
    for r in read_rows(demo_quarter.police_intel):
        start, end = r["Recruited In"], r["Exploited In"]
        if r["Role"].lower() != "suspect" and start.startswith("E09") and end.startswith("E09") and start != end:
            pairs[(start, end)]["police"] += 1
    assert pairs, "people recruited in one London borough and exploited in another"
    shown = [k for k, by in pairs.items() if sum(by.values()) >= 5 and all(n == 0 or n >= 5 for n in by.values())]
    assert len(shown) >= 2, dict(pairs)
    assert ("E09000025", "E09000030") in pairs  # Newham -> Tower Hamlets, the largest corridor
