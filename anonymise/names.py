"""Name variants that mean one person: nicknames (an open table) and transliterations of common names.

:func:`canonical_token` maps a normalised given-name token to one spelling before it is hashed,
so that *Bob Smith* and *Robert Smith*, or *Mohamed* and *Muhammad*, give the same
error-tolerant match key. Sources and licences: ``docs/linkage.md``.
"""

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Final

__all__ = ["NICKNAMES_FILE", "TRANSLITERATIONS", "canonical_token", "given_name_forms", "nickname_table"]

NICKNAMES_FILE: Final = Path(__file__).with_name("data") / "nicknames.csv"
"""carltonnorthern/nicknames ``names.csv`` (Apache-2.0), vendored unchanged."""

TRANSLITERATIONS: Final[dict[str, tuple[str, ...]]] = {
    # one spelling ← the Latin transliterations partners' systems write for it (our own table,
    # from the romanisations in common use; MIT like the rest of msht-hub)
    "muhammad": ("mohammed", "mohamed", "mohammad", "muhammed", "mohamad", "muhamed", "mahomed", "mohd"),
    "ahmad": ("ahmed", "ahmet", "ahmat"),
    "yusuf": ("yousif", "yousef", "youssef", "yusef", "yosef", "yousuf", "yusif"),
    "uthman": ("osman", "othman", "usman", "osmane"),
    "abdullah": ("abdalla", "abdallah", "abdulla", "abdella"),
    "abdulrahman": ("abdelrahman", "abdul rahman", "abdurrahman", "abderrahmane"),
    "husayn": ("hussein", "hussain", "husain", "hosein", "hossein", "husein"),
    "hasan": ("hassan", "hasan", "hassen"),
    "ibrahim": ("ebrahim", "ibraheem", "brahim"),
    "mustafa": ("mostafa", "moustafa", "mustapha"),
    "fatima": ("fatimah", "fatma", "fatuma"),
    "maryam": ("mariam", "meryem", "miriam"),
    "aisha": ("ayesha", "aysha", "aishah", "ayisha"),
    "yunus": ("younis", "younes", "yunis"),
    "khalid": ("khaled",),
    "mahmud": ("mahmoud", "mehmood", "mahmood"),
    "nguyen": ("nguyenn", "ngyuen"),
    "aleksandr": ("alexander", "aleksander", "alexandr", "oleksandr"),
    "yuri": ("yury", "iurii", "yurii", "jurij"),
    "sergei": ("sergey", "serhiy", "sergej", "serghei"),
    "dmitri": ("dmitry", "dmitriy", "dmytro"),
    "andrei": ("andrey", "andriy", "andrej"),
    "yevgeni": ("evgeny", "yevgeny", "evgeni", "yevhen"),
    "natalia": ("natalya", "nataliya", "natalja"),
    "yulia": ("julia", "yuliya", "iuliia"),
    "tesfay": ("tesfaye",),
}

_TRANSLIT_INDEX: Final = {v: k for k, variants in TRANSLITERATIONS.items() for v in (k, *variants)}


_MAX_FORMS: Final = 8


@cache
def _formal_names() -> dict[str, frozenset[str]]:
    formal_of: dict[str, set[str]] = defaultdict(set)
    with NICKNAMES_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["relationship"] == "has_nickname":
                formal_of[row["name2"]].add(row["name1"])
    return {nick: frozenset(names) for nick, names in formal_of.items()}


def nickname_table() -> dict[str, frozenset[str]]:
    """Nickname → every formal name the table says it may stand for (many are ambiguous).

    >>> sorted(nickname_table()["danny"])
    ['daniel', 'sheridan']
    """
    return _formal_names()


def canonical_token(token: str) -> str:
    """One spelling for a normalised name token's transliterations.

    :param token: one token of :func:`anonymise.normalise.name_tokens` (lower case, no accents).

    >>> canonical_token("mohamed"), canonical_token("anna")
    ('muhammad', 'anna')
    """
    return _TRANSLIT_INDEX.get(token, token)


def given_name_forms(token: str) -> tuple[str, ...]:
    """The token (transliteration folded) and every formal name it may be a nickname of, sorted.

    Two spellings of one person's given name share at least one form (*Danny* and *Daniel*
    share ``daniel``); a nickname of many names is cut to its first eight forms.

    :param token: one normalised given-name token.

    >>> given_name_forms("danny"), given_name_forms("daniel"), given_name_forms("mohamed")
    (('daniel', 'danny', 'sheridan'), ('daniel', 'danny'), ('muhammad',))
    """
    canonical = canonical_token(token)
    forms = {canonical, *(canonical_token(t) for t in _formal_names().get(canonical, ()))}
    return tuple(sorted(forms)[:_MAX_FORMS])
