"""Person names without NER: two or more capitalised words that are not kept vocabulary or an organisation.

"brought in by Tomas Jankauskas", "The landlord, Megan Hughes, came…". Sequences containing a
country, nationality, borough, business type or organisation word ("Salvation Army", "Tower
Hamlets", "Sparkle Nails") are left alone. Catches most full names in notes when the ``ner``
extra is not installed; with it, it adds a second chance for names the small model misses.
"""

import re
from typing import Final

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.keep import ORG_WORDS, kept_words

_FUNCTION_WORDS_TEXT: Final = """the a an in on at by with from to for of and or but she he they it his her their this that
    these those when where while after before then there here we i you our your its not no yes
    if as so also later today yesterday tomorrow first last next one two police mr mrs ms miss dr
    sir madam new old north south east west central upper lower great little saint st nobody
    everyone someone somebody everybody anyone staff worker workers client clients victim
    referred contact contacted seen met attended notes note update call called visit visited"""
FUNCTION_WORDS: Final = frozenset(_FUNCTION_WORDS_TEXT.split())
"""Capitalised words that start sentences or name roles, never a person's name."""

# Upper-case letters of the Latin alphabets partners' clients write their names in.
UPPER: Final = "A-ZÀ-ÖØ-ÞȘȚĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽƠƯẠ-Ỹ"
_WORD = rf"[{UPPER}][^\W\d_]*(?:['’-][{UPPER}]?[^\W\d_]+)?"


def _is_name_sequence(text: str) -> bool:
    words = [w.lower() for w in re.split(r"\s+", text.strip())]
    bare = [re.sub(r"['’-].*", "", w) for w in words]
    return all(
        w not in FUNCTION_WORDS and w not in kept_words() and w not in ORG_WORDS and b not in kept_words()
        for w, b in zip(words, bare, strict=True)
    )


RECOGNIZER = RecognizerSpec(
    entity="PERSON",
    patterns=(Pattern("capitalised words", rf"(?<![\w'’-]){_WORD}(?:[ \t]+{_WORD}){{1,3}}(?![\w'’-])", 0.4),),
    validate=_is_name_sequence,
    priority=30,
    presidio_entities=("PERSON",),
)
