"""The word model behind fail-closed name detection: ordinary English words, proper nouns and name gazetteers.

A token of a note is *ordinary* when English writes it in lower case and uses it often: SCOWL's
British word list (lower-case entries) intersected with pyspellchecker's English frequency list
(from PyPI, kept as installed; count ≥ ``ORDINARY_MIN_COUNT``), plus very frequent informal words
(``INFORMAL_MIN_COUNT``) that SCOWL lacks. Everything else (names, places, brands, typos,
unknown words) is not. The name gazetteers (forenames, surnames) are lawfully published open
lists: Wikipedia's lists of most common names by country (sigpwned dataset, CC0) and the 1990
US census name files (public domain); sources and licences in ``vendor/lexicon/README.md``.

Lookups take folded tokens (:func:`anonymise.normalise.fold`: case folded, accents stripped).
"""

import functools
import gzip
import json
from dataclasses import dataclass
from importlib import resources
from typing import Final

__all__ = ["COMMON_MIN_COUNT", "INFORMAL_MIN_COUNT", "ORDINARY_MIN_COUNT", "RARE_WORD_MIN_LENGTH", "SURNAME_MAX_RANK", "WORD_NAMES", "WORD_SURNAME_MAX_RANK", "Lexicon", "lexicon"]

ORDINARY_MIN_COUNT: Final = 300
"""pyspellchecker count (OpenSubtitles-derived) below which a dictionary word is too rare to
vouch for (e.g. ``florin``, a coin and a Romanian given name)."""
INFORMAL_MIN_COUNT: Final = 20000
"""Words SCOWL lacks ("gonna", "okay") count as ordinary above this count."""
COMMON_MIN_COUNT: Final = 50000
SURNAME_MAX_RANK: Final = 20000
"""How far down the 1990 US census surname ranking a name is trusted (rank 58,051 is "Ceo")."""
RARE_WORD_MIN_LENGTH: Final = 8
"""A dictionary word this long counts as ordinary whatever its frequency, unless a name list holds it."""
WORD_SURNAME_MAX_RANK: Final = 5000
"""For a surname that is also an ordinary word: Butcher (1,546) and Potter (376) are names that
are also words; To (7,508), Border (11,738) and Said (10,709) are words first."""


_WORD_NAMES_TEXT: Final = """blessing blessed comfort precious favour favor mercy patience peace faith hope joy grace charity
    chastity destiny divine gift goodness goodluck glory happiness harmony honour honor innocent justice
    loveth lovely marvellous miracle modesty princess promise prosper prosperity purity testimony treasure
    unity victory virtue wisdom success sunny sunday monday friday precious rejoice godspower godswill
    favourite endurance fortune felicity prudence constance temperance verity bliss ruby jade pearl
    amber crystal"""
WORD_NAMES: Final = frozenset(_WORD_NAMES_TEXT.split())
"""Given names that are English words, common among the UK's Nigerian and Ghanaian communities and
older English usage, that Wikipedia's most-common lists and the US census lack ("Blessing",
"Comfort", "Favour"): written out here, from general knowledge."""


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Folded word sets; see the module docstring for where each comes from."""

    ordinary: frozenset[str]
    proper: frozenset[str]
    """Capitalised-only SCOWL entries: names of people, places, brands."""
    forenames: frozenset[str]
    surnames: frozenset[str]
    common: frozenset[str] = frozenset()
    """Very frequent ordinary words (count ≥ ``COMMON_MIN_COUNT``): "said", "from", "will". A name
    among them ("Said", "Will") needs a title or a naming word before it."""
    places: frozenset[str] = frozenset()
    """Place names, folded, words joined by one space (GeoNames: British places of 5,000 people or
    more, the world's cities of 150,000 or more outside East Asia, Nigeria and Ghana); a name list still outranks them."""

    def is_name(self, token: str) -> bool:
        """Whether a folded token is in a name gazetteer.

        >>> lexicon().is_name("nguyen"), lexicon().is_name("the")
        (True, False)
        """
        return token in self.forenames or token in self.surnames


def _read(name: str) -> list[str]:
    data = resources.files("anonymise").joinpath("data", name).read_bytes()
    return gzip.decompress(data).decode().splitlines()


def _frequencies() -> dict[str, int]:
    import spellchecker  # pyspellchecker

    path = resources.files(spellchecker).joinpath("resources", "en.json.gz")
    counts: dict[str, int] = json.loads(gzip.decompress(path.read_bytes()))
    return counts


_AMERICAN: Final = (
    ("isation", "ization"), ("ise", "ize"), ("ised", "ized"), ("ises", "izes"), ("ising", "izing"),
    ("yse", "yze"), ("ysed", "yzed"), ("ysing", "yzing"), ("our", "or"), ("ours", "ors"), ("ourer", "orer"),
    ("ourers", "orers"), ("oured", "ored"), ("ouring", "oring"), ("ence", "ense"), ("ences", "enses"),
    ("lled", "led"), ("lling", "ling"), ("ller", "ler"), ("llers", "lers"), ("tre", "ter"), ("tres", "ters"),
    ("ogue", "og"), ("ogues", "ogs"), ("mme", "m"), ("mmes", "ms"),
)
_SUFFIXES: Final = (
    ("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("er", ""), ("er", "e"),
    ("ers", ""), ("ers", "e"), ("ly", ""), ("ness", ""), ("ment", ""), ("ments", ""),
)


def _related_forms(word: str) -> set[str]:
    """The American spellings of a British word and the stems of both ("offences" → "offenses", "offence").

    >>> {"laborers", "labourer", "offenses"} <= _related_forms("labourers") | _related_forms("offences")
    True
    """
    spellings = {word} | {word[: -len(gb)] + us for gb, us in _AMERICAN if word.endswith(gb)}
    spellings |= {word.replace("ae", "e").replace("oe", "e")} if len(word) > 6 else set()
    forms = set(spellings)
    for spelling in spellings:
        for suffix, stem_end in _SUFFIXES:
            if spelling.endswith(suffix) and len(spelling) - len(suffix) >= 3:
                forms.add(spelling[: -len(suffix)] + stem_end)
    return forms - {word}


@functools.cache
def lexicon() -> Lexicon:
    """The word model, loaded once per process (about 0.3 s).

    >>> lx = lexicon()
    >>> "kitchen" in lx.ordinary, "rose" in lx.ordinary, "florin" in lx.ordinary, "calais" in lx.proper
    (True, True, False, True)
    """
    lower: set[str] = set()
    proper: set[str] = set()
    for line in _read("words.txt.gz"):
        kind, _, word = line.partition(" ")
        (lower if kind == "w" else proper).add(word)
    counts = _frequencies()
    ordinary = {w for w in lower if counts.get(w, 0) >= ORDINARY_MIN_COUNT}
    # A rarer dictionary word counts when it is a British spelling or a form of a frequent word:
    # the frequencies are American subtitles ("offences", "labourers", "sanitised", "screenshots").
    ordinary |= {w for w in lower - ordinary if any(counts.get(f, 0) >= ORDINARY_MIN_COUNT for f in _related_forms(w))}
    # A long dictionary word is a word, however rare ("dissemination", "metatarsal"); short rare
    # ones can be names no list holds ("florin"), so the name lists are read before they are.
    long_words = {w for w in lower - ordinary if len(w) >= RARE_WORD_MIN_LENGTH}
    ordinary |= {w for w, c in counts.items() if c >= INFORMAL_MIN_COUNT and w.isalpha() and w not in proper}
    surnames = set()
    forenames = frozenset(_read("forenames.txt.gz")) | WORD_NAMES
    for line in _read("surnames.txt.gz"):
        name, _, rank = line.partition(" ")
        if int(rank) <= (WORD_SURNAME_MAX_RANK if name in ordinary else SURNAME_MAX_RANK):
            surnames.add(name)
    ordinary |= {w for w in long_words if w not in forenames and w not in surnames}
    return Lexicon(
        ordinary=frozenset(ordinary),
        proper=frozenset(proper - ordinary),
        forenames=forenames,
        surnames=frozenset(surnames),
        common=frozenset(w for w in ordinary if counts.get(w, 0) >= COMMON_MIN_COUNT),
        places=frozenset(_read("places.txt.gz")),
    )
