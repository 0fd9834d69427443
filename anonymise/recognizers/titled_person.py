"""Person names introduced by a title or a naming phrase ("Mr Hoxha", "a man called Ardit").

Works without the NER extra; names that are kept vocabulary ("called Newham Council") are
dropped by the scrubber's keep filter.
"""

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.keep import FUNCTION_WORDS, UPPER
from anonymise.recognizers.words_gate import required_last_words

_CAP = rf"(?:[{UPPER}][^\W\d_]*(?:['’-][{UPPER}]?[^\W\d_]+)*)"
_NAMES = rf"({_CAP}(?:\s+{_CAP}){{0,2}})"

_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Madam|Mister|Aunty|Auntie|Uncle)"
_NAMING = (
    r"(?:[Nn]amed|[Cc]alled|[Kk]nown as|aka|AKA|a\.k\.a\.?|[Nn]icknamed|goes by|[Nn]ame is|[Nn]ame was|[Nn]ames? of)"
)
_ROLES = (
    r"(?:[Ff]riend|[Ll]andlord|[Ll]andlady|[Bb]oss|[Mm]anager|[Cc]ontroller|[Dd]river|[Aa]gent|[Cc]ousin|[Bb]rother|[Ss]ister"
    r"|[Uu]ncle|[Aa]unt|[Bb]oyfriend|[Gg]irlfriend|[Hh]usband|[Ww]ife|[Pp]artner|[Ee]mployer|[Oo]wner|[Rr]ecruiter|[Mm]other"
    r"|[Ff]ather|[Ss]on|[Dd]aughter|[Nn]eighbour|[Cc]olleague|[Aa]ssociate|[Cc]ontact|[Ss]upervisor|[Ff]oreman)"
)
_SIGNED = r"(?:[Ss]igned|[Ff]rom|[Bb]y)"

RECOGNIZER = RecognizerSpec(
    entity="PERSON",
    patterns=(
        Pattern("title", rf"\b{_TITLES}\.?\s+{_NAMES}", 0.7, group=1, words=required_last_words(_TITLES)),
        Pattern(
            "naming phrase",
            rf"\b{_NAMING}\s+{_NAMES}",
            0.6,
            group=1,
            words=required_last_words(_NAMING),
        ),
        Pattern(
            "role apposition",
            rf"\b{_ROLES},?\s+{_NAMES}",
            0.55,
            group=1,
            words=required_last_words(_ROLES),
        ),
        Pattern("signed", rf"(?:^|\n)\s*{_SIGNED}:?\s+{_NAMES}", 0.5, group=1, words=required_last_words(_SIGNED)),
    ),
    validate=lambda s: s.split()[0].lower() not in FUNCTION_WORDS,
    priority=40,
    presidio_entities=("PERSON",),
)
