"""The keys that FEBRL-style corruption needs (bench/linkage_febrl.py): each pair below, invented in the
way FEBRL's generator damages a record, is proposed by exactly one strong key, so removing it loses the pair."""

from datetime import date

import pytest

from anonymise.keys import LinkageKey
from anonymise.pseudonymise import Pseudonymiser
from hub.linkage.candidates import STRONG

PSEUDO = Pseudonymiser(LinkageKey.from_bytes(bytes(range(32))), "agr-febrl")

Person = tuple[str, str, date]


def _keys(person: Person) -> set[tuple[str, str]]:
    given, family, dob = person
    classic = {(k.value, v) for k, v in PSEUDO.person_keys(given=given or None, family=family, dob=dob).items() if v}
    return classic | {(k.value, v) for k, v in PSEUDO.linkage_keys(given=given or None, family=family, dob=dob)}


def _shared_strong(a: Person, b: Person) -> list[str]:
    return sorted({kind for kind, _ in _keys(a) & _keys(b) if kind in STRONG})


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        # the given name replaced by another: the surname and date of birth still agree
        (("lucy", "reid", date(1948, 8, 7)), ("tylah", "reid", date(1948, 8, 7)), "token_deletion_dob"),
        # the given name blank on one side and the surname mistyped on the other
        (("", "weller", date(1934, 10, 24)), ("madisoen", "welller", date(1934, 10, 24)), "token_deletion_dob"),
        # a surname replaced and the given name swapped into the surname field
        (("amber", "white", date(1969, 9, 5)), ("brangwen", "amber", date(1969, 9, 5)), "token_deletion_dob"),
        # one digit of the date of birth mistyped (three days apart: no near-date key)
        (("gemaley", "matthews", date(1973, 8, 26)), ("gemaley", "matthews", date(1973, 8, 29)), "canon_sorted_dob_digit"),
        # two neighbouring digits of the year swapped
        (("robert", "alves", date(1974, 4, 30)), ("robert", "alves", date(1947, 4, 30)), "canon_sorted_dob_digit"),
        # a digit of the month mistyped
        (("robert", "alves", date(1974, 4, 30)), ("robert", "alves", date(1974, 7, 30)), "canon_sorted_dob_digit"),
    ],
)
def test_each_corruption_is_proposed_by_its_key_alone(a: Person, b: Person, kind: str) -> None:
    assert kind in {k for k, _ in _keys(a) & _keys(b)}
    # token_deletion_dob is weak: on bench/linkage.py it linked twins sharing a surname and birthday
    assert _shared_strong(a, b) == ([kind] if kind in STRONG else [])


def test_different_people_sharing_a_birthday_share_no_new_key() -> None:
    a, b = ("lucy", "reid", date(1948, 8, 7)), ("tylah", "brown", date(1948, 8, 7))
    assert _shared_strong(a, b) == []
    c = ("lucy", "reid", date(1958, 3, 1))  # namesakes ten years apart
    assert _shared_strong(a, c) == []


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        # two letters at the start of a token swapped change the sorted order of the tokens: the deletion
        # key sorts the tokens again after deleting (bench/linkage.py's typo 't' at position 1)
        (("arben", "gashi", date(1996, 2, 11)), ("raben", "gashi", date(1996, 2, 11)), "canon_deletion_dob"),
        # a nickname that shortens the given name, and a slip in the surname
        (("abi", "o'conor", date(1997, 4, 10)), ("abigail", "o'connor", date(1997, 4, 10)), "prefix_sorted_dob"),
        # a shortened nickname with given and family names swapped
        (("abi", "taylor", date(1980, 2, 11)), ("taylor", "abigail", date(1980, 2, 11)), "prefix_sorted_dob"),
        # slips after the third letter of both names (two slips: no one-deletion key)
        (("krzysztfo", "lewanodwski", date(2003, 2, 6)), ("krzysztof", "lewandowksi", date(2003, 2, 6)), "prefix_sorted_dob"),
    ],
)
def test_each_name_slip_is_proposed_by_its_key_alone(a: Person, b: Person, kind: str) -> None:
    assert _shared_strong(a, b) == [kind]


def test_twins_with_other_given_names_share_no_prefix_key() -> None:
    a, b = ("abigail", "taylor", date(1980, 2, 11)), ("thomas", "taylor", date(1980, 2, 11))
    assert _shared_strong(a, b) == []
