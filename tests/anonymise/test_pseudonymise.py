"""Keyed pseudonyms: format, stability under formatting variants, unlinkability across keys and agreements."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.keys import LinkageKey
from anonymise.pseudonymise import Pseudonymiser
from anonymise.schema import PSEUDONYM_PATTERN, MatchKey
from anonymise.vocab import SelectorKind

KEY_A = LinkageKey.from_bytes(b"test-linkage-key-A-0123456789abcdef")
KEY_B = LinkageKey.from_bytes(b"test-linkage-key-B-0123456789abcdef")
AGR = "agr-test"

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéöçł", min_size=2, max_size=10)
dobs = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))


def _surface_variants(given_name: str, surname: str, dob: date) -> list[dict[str, object]]:
    return [
        {"full_name": f"{given_name} {surname}", "dob": dob},
        {"full_name": f"{surname.upper()}, {given_name.title()}", "dob": dob.strftime("%d/%m/%Y")},
        {"full_name": f"  {given_name.upper()}   {surname}  ", "dob": dob.strftime("%Y-%m-%d")},
        {"full_name": f"{surname.upper()} {given_name.title()}", "dob": dob.strftime("%d %B %Y")},
        {"given": given_name.title(), "family": surname.upper(), "dob": dob.strftime("%d.%m.%Y")},
    ]


@settings(max_examples=60)
@given(names, names, dobs, st.sampled_from(["F", "female", "Female ", "f"]))
def test_person_keys_stable_under_formatting(given_name: str, surname: str, dob: date, sex: str) -> None:
    p = Pseudonymiser(KEY_A, AGR)
    expected = p.person_keys(full_name=f"{given_name} {surname}", dob=dob, sex="F")
    assert all(v is not None for v in expected.values())
    for variant in _surface_variants(given_name, surname, dob):
        assert p.person_keys(**variant, sex=sex) == expected  # type: ignore[arg-type]


def test_accents_do_not_matter() -> None:
    p = Pseudonymiser(KEY_A, AGR)
    assert p.person_keys(full_name="Zoë Łukasiewicz", dob=date(2001, 1, 2)) == p.person_keys(
        full_name="ZOE LUKASIEWICZ", dob="02/01/2001"
    )


@settings(max_examples=40)
@given(names, names, dobs)
def test_pseudonyms_unlinkable_across_keys_and_agreements(given_name: str, surname: str, dob: date) -> None:
    outputs: list[set[str]] = []
    for key, agr in ((KEY_A, AGR), (KEY_B, AGR), (KEY_A, "agr-other")):
        p = Pseudonymiser(key, agr)
        values = {v for v in p.person_keys(full_name=f"{given_name} {surname}", dob=dob, sex="m").values() if v}
        values.add(p.incident("ngo", "123"))
        values.add(p.selector(SelectorKind.phone, "07700 900123") or "")
        outputs.append(values)
    assert not outputs[0] & outputs[1]
    assert not outputs[0] & outputs[2]
    assert not outputs[1] & outputs[2]


def test_purposes_are_domain_separated() -> None:
    p = Pseudonymiser(KEY_A, AGR)
    # The same string in different roles never gives the same pseudonym.
    keys = p.person_keys(full_name="a b", dob=date(2000, 1, 1), sex="m")
    assert len(set(keys.values())) == 4
    assert p.selector(SelectorKind.email, "x@y.org") != p.selector(SelectorKind.address, "x@y.org E1 6AN")
    assert p.incident("ngo", "x") != p.incident("nh", "gox")


def test_format_and_version() -> None:
    p = Pseudonymiser(LinkageKey.from_bytes(b"test-linkage-key-A-0123456789abcdef", version=7), AGR)
    pid = p.incident("ngo", "123")
    assert re.fullmatch(PSEUDONYM_PATTERN, pid)
    assert pid.startswith("v7.")
    assert Pseudonymiser(KEY_A, AGR).incident("ngo", "123").startswith("v1.")


def test_incident_ids_are_per_partner_and_trimmed() -> None:
    p = Pseudonymiser(KEY_A, AGR)
    assert p.incident("ngo-1", "123") != p.incident("ngo-2", "123")
    assert p.incident("ngo-1", " 123 ") == p.incident("ngo-1", "123")
    with pytest.raises(ValueError, match="local id"):
        p.incident("ngo-1", "  ")


def test_missing_inputs_give_none_keys() -> None:
    p = Pseudonymiser(KEY_A, AGR)
    none_keys = p.person_keys(full_name="Anna Kovacs")
    assert set(none_keys.values()) == {None}
    no_sex = p.person_keys(full_name="Anna Kovacs", dob=date(1990, 3, 12))
    assert no_sex[MatchKey.surname_dob_sex] is None
    assert no_sex[MatchKey.name_dob] is not None
    mononym = p.person_keys(full_name="Anna", dob=date(1990, 3, 12), sex="f")
    assert mononym[MatchKey.name_dob] is None
    assert mononym[MatchKey.surname_dob_sex] is not None


def test_selectors_stable_and_none_when_unreadable() -> None:
    p = Pseudonymiser(KEY_A, AGR)
    assert p.selector(SelectorKind.phone, "07700 900123") == p.selector(SelectorKind.phone, "+44 7700-900-123")
    assert p.selector(SelectorKind.email, "Anna@Example.org") == p.selector(SelectorKind.email, "anna@example.org")
    assert p.selector(SelectorKind.vehicle, "ab12 cde") == p.selector(SelectorKind.vehicle, "AB12CDE")
    assert p.selector(SelectorKind.bank_account, "12-34-56 12345678") == p.selector(SelectorKind.bank_account, "123456, 12345678")
    assert p.selector(SelectorKind.address, "12 Acacia Road, E1 6AN") == p.selector(SelectorKind.address, "12 acacia rd e16an")
    assert p.selector(SelectorKind.phone, "n/a") is None
    assert p.selector(SelectorKind.address, "somewhere in Newham") is None


# Variants that the four match keys must link by at least one key (typo, transliteration, order).
LINKED_VARIANTS = [
    ("Mohammed Ali", "Muhammad Ali"),      # transliteration of the given name
    ("Anna Kovacs", "Anna Kovac"),         # surname typo
    ("Ion Popescu", "Popescu Ion"),        # swapped order without a comma
    ("Joanna Smith", "Joana Smith"),       # given-name typo
    ("Mary Smith", "Mary Smyth"),          # surname spelling
    ("Elena Dragomir", "Elena Dragomír"),  # accent
]


@pytest.mark.parametrize(("first", "second"), LINKED_VARIANTS)
def test_match_keys_link_spelling_variants(first: str, second: str) -> None:
    p = Pseudonymiser(KEY_A, AGR)
    a = p.person_keys(full_name=first, dob=date(1995, 6, 1), sex="m")
    b = p.person_keys(full_name=second, dob="01/06/1995", sex="male")
    assert any(a[k] is not None and a[k] == b[k] for k in MatchKey)


def test_different_people_do_not_link() -> None:
    p = Pseudonymiser(KEY_A, AGR)
    a = p.person_keys(full_name="Anna Kovacs", dob=date(1995, 6, 1), sex="f")
    others = [
        p.person_keys(full_name="Anna Kovacs", dob=date(1995, 6, 1) + timedelta(days=400), sex="f"),
        p.person_keys(full_name="Maria Popescu", dob=date(1995, 6, 1), sex="f"),
    ]
    for b in others:
        assert not any(a[k] is not None and a[k] == b[k] for k in MatchKey)


_ascii_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)


@st.composite
def _variant(draw: st.DrawFn) -> tuple[str, str, str]:
    given_name, surname = draw(_ascii_names), draw(_ascii_names)
    original = f"{given_name.title()} {surname.title()}"
    kind = draw(st.sampled_from(["swap", "given_typo", "given_transposition", "accent", "comma", "case"]))
    if kind == "swap":
        variant = f"{surname.title()} {given_name.title()}"
    elif kind == "given_typo":
        i = draw(st.integers(1, len(given_name) - 1))
        variant = f"{given_name[:i]}{given_name[i + 1:]} {surname}".title()
    elif kind == "given_transposition":
        i = draw(st.integers(1, len(given_name) - 2))
        g = given_name[:i] + given_name[i + 1] + given_name[i] + given_name[i + 2:]
        variant = f"{g} {surname}".title()
    elif kind == "accent":
        variant = f"{given_name.replace('e', 'é').title()} {surname.replace('o', 'ö').title()}"
    elif kind == "comma":
        variant = f"{surname.upper()}, {given_name.title()}"
    else:
        variant = original.upper()
    return original, variant, kind


@settings(max_examples=200)
@given(_variant(), dobs)
def test_any_variant_links_by_at_least_one_key(case: tuple[str, str, str], dob: date) -> None:
    original, variant, _ = case
    p = Pseudonymiser(KEY_A, AGR)
    a = p.person_keys(full_name=original, dob=dob, sex="f")
    b = p.person_keys(full_name=variant, dob=dob.strftime("%d/%m/%Y"), sex="female")
    assert any(a[k] is not None and a[k] == b[k] for k in MatchKey)


def test_match_keys_on_the_synthetic_partners_ground_truth(tmp_path: Path) -> None:
    """Repeat persons across the four demo partners link; the exact keys make no false link."""
    import csv
    import itertools
    from collections import defaultdict

    from partner_client.demo_data import generate

    generate(tmp_path, seed=3, rows=150)
    layouts = {
        "ngo_cases.csv": ("utf-8-sig", ",", "Client Name", None, None, "DOB", "Gender"),
        "borough_safeguarding.csv": ("cp1252", ";", None, "First Name", "Last Name", "D.O.B.", "Sex"),
        "hospital_flags.csv": ("utf-8", "\t", None, "pt_forename", "pt_surname", "dob", "sex"),
        "police_intel.csv": ("utf-8", ",", None, "Forename(s)", "Surname", "DOB", "Sex"),
    }
    with (tmp_path / "ground_truth.csv").open(encoding="utf-8") as handle:
        truth = {(r["file"], int(r["row"])): r["person_id"] for r in csv.DictReader(handle)}
    p = Pseudonymiser(KEY_A, AGR)
    rows: list[tuple[str, dict[MatchKey, str | None]]] = []
    for name, (encoding, delimiter, full, given_col, family, dob, sex) in layouts.items():
        with (tmp_path / name).open(encoding=encoding, newline="") as handle:
            for number, record in enumerate(csv.DictReader(handle, delimiter=delimiter), start=1):
                keys = p.person_keys(
                    full_name=record[full] if full else None,
                    given=record[given_col] if given_col else None,
                    family=record[family] if family else None,
                    dob=record[dob] or None,
                    sex=record[sex] or None,
                )
                rows.append((truth[(name, number)], keys))
    by_value: dict[tuple[MatchKey, str], list[int]] = defaultdict(list)
    for index, (_, keys) in enumerate(rows):
        for key, value in keys.items():
            if value is not None:
                by_value[(key, value)].append(index)
    false_links = {key for (key, _), members in by_value.items() if len({rows[i][0] for i in members}) > 1}
    assert false_links <= {MatchKey.sorted_tokens_yob}  # only the year-of-birth key may collide
    linked = {pair for members in by_value.values() for pair in itertools.combinations(members, 2)}
    dated = [i for i, (_, keys) in enumerate(rows) if keys[MatchKey.sorted_tokens_yob] is not None]
    true_pairs = [(a, b) for a, b in itertools.combinations(dated, 2) if rows[a][0] == rows[b][0]]
    assert len(true_pairs) >= 20
    recall = sum(pair in linked for pair in true_pairs) / len(true_pairs)
    assert recall >= 0.85, f"only {recall:.0%} of the true pairs with dates of birth link"
