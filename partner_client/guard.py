"""A last, deliberately over-cautious pass over scrubbed notes: capitalised words nobody vouches for go.

The scrubber removes the record's own identifiers and what its NER recognises, but a small NER
misses names it has not seen ("Blerta is believed to run the line"). Before a note may leave,
every capitalised word must be vouched for: a placeholder, a kept word (countries,
nationalities, boroughs, business and exploitation vocabulary), a common English word, a known
acronym, or a word this same export also uses in lower case (names are almost never written
so). Anything else is replaced by an ``<UNKNOWN_n>`` placeholder (the same type the scrubber's
fail-closed word pass uses), which the preview marks as replaced only because nothing vouched for it. This over-scrubs rare
sentence-initial words; that is the price of not sending a name.
"""

import re
from collections import Counter
from collections.abc import Iterable
from typing import Final

from anonymise.recognizers.keep import kept_words

_PLACEHOLDER: Final = re.compile(r"<([A-Z_]+?)_(\d+)>")
_CAPITALISED: Final = re.compile(r"(?<![\w<])([A-Z][A-Za-z]*(?:['’-][A-Za-z]+)*)(?![\w>])")
_LOWER_WORD: Final = re.compile(r"(?<![\w<])([a-z][a-z'’-]*)(?![\w>])")
_POSSESSIVE: Final = re.compile(r"['’]s$", re.IGNORECASE)

COMMON: Final = frozenset(
    ["a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "also", "although", "always", "am", "an", "and", "another", "any", "are", "around", "as", "at", "away", "back", "be", "because", "been", "before", "being", "believed", "below", "between", "both", "but", "by", "can", "cannot", "could", "date", "day", "days", "did", "do", "does", "done", "down", "during", "each", "early", "either", "else", "evening", "every", "few", "first", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "including", "into", "is", "it", "its", "itself", "just", "last", "later", "least", "less", "like", "made", "many", "may", "me", "met", "might", "more", "morning", "most", "much", "must", "my", "myself", "near", "neither", "never", "new", "next", "night", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "onto", "or", "other", "others", "otherwise", "our", "out", "over", "own", "per", "perhaps", "please", "prior", "rather", "same", "several", "she", "should", "since", "so", "some", "someone", "something", "sometimes", "still", "such", "than", "that", "the", "their", "them", "themselves", "then", "there", "therefore", "these", "they", "this", "those", "though", "through", "throughout", "thus", "to", "today", "together", "too", "under", "until", "up", "upon", "us", "very", "was", "we", "week", "weeks", "well", "were", "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "year", "years", "yes", "yet", "you", "your", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "mr", "mrs", "ms", "miss", "dr"]
)
"""Words so common they are never a name on their own (checked in lower case)."""

_CASEWORK_WORDS: Final = (
    "money wages strategy meeting police referred referral contact follow duty notify support case "
    "client victim worker workers landlord employer interpreter appointment hospital school family "
    "friend cousin uncle aunt mother father brother sister son daughter wife husband partner "
    "boyfriend girlfriend intelligence advert seen known associated found said says told"
)
CASEWORK: Final = frozenset(_CASEWORK_WORDS.split())
"""Words casework notes begin sentences with; never names on their own."""

ACRONYMS: Final = frozenset(
    ["NRM", "MASH", "GP", "NHS", "ESOL", "PNC", "DTN", "NI", "IP", "ID", "UK", "EU", "A&E", "ED", "CCTV", "MARAC", "YOT", "SPOC", "CSE", "CCE", "LA", "ASB", "CPS", "HMO", "DWP", "HMRC", "UKVI", "BRP", "DOB", "NFA", "CIN", "CP", "IDVA", "ISVA", "MSHT", "SOS", "PV", "PVs", "IOM", "UN", "CID"]
)


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Every word written in lower case somewhere in these texts."""
    words: set[str] = set()
    for text in texts:
        words.update(m.group(1).lower() for m in _LOWER_WORD.finditer(text))
    return frozenset(words)


class NameGuard:
    """Replaces capitalised words that nothing vouches for; counts what it replaced."""

    def __init__(self, export_vocabulary: frozenset[str]) -> None:
        self.ordinary = export_vocabulary | COMMON | CASEWORK | kept_words()
        self.replaced: Counter[str] = Counter()

    def _vouched(self, word: str) -> bool:
        bare = _POSSESSIVE.sub("", word)
        if bare.upper() in ACRONYMS or bare in ACRONYMS:
            return True
        parts = [p for p in re.split(r"['’-]", bare.lower()) if p]
        return bool(parts) and all(p in self.ordinary for p in parts)

    def __call__(self, text: str) -> str:
        numbers = [int(m.group(2)) for m in _PLACEHOLDER.finditer(text) if m.group(1) == "UNKNOWN"]
        next_number = max(numbers, default=0) + 1
        assigned: dict[str, str] = {}

        def replace(match: re.Match[str]) -> str:
            nonlocal next_number
            word = match.group(1)
            if self._vouched(word):
                return word
            key = _POSSESSIVE.sub("", word).lower()
            if key not in assigned:
                assigned[key] = f"<UNKNOWN_{next_number}>"
                next_number += 1
            self.replaced["capitalised_word"] += 1
            return assigned[key] + ("'s" if _POSSESSIVE.search(word) else "")

        return _CAPITALISED.sub(replace, text)
