"""Person names introduced by a title or a naming phrase ("Mr Hoxha", "a man called Ardit").

Works without the NER extra; names that are kept vocabulary ("called Newham Council") are
dropped by the scrubber's keep filter.
"""

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.keep import FUNCTION_WORDS, UPPER

_CAP = rf"(?:[{UPPER}][^\W\d_]*(?:['’-][{UPPER}]?[^\W\d_]+)*)"
_NAMES = rf"({_CAP}(?:\s+{_CAP}){{0,2}})"

RECOGNIZER = RecognizerSpec(
    entity="PERSON",
    patterns=(
        Pattern("title", rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Madam|Mister|Aunty|Auntie|Uncle)\.?\s+{_NAMES}", 0.7, group=1),
        Pattern(
            "naming phrase",
            rf"\b(?:[Nn]amed|[Cc]alled|[Kk]nown as|aka|AKA|a\.k\.a\.?|[Nn]icknamed|goes by|[Nn]ame is|[Nn]ame was|[Nn]ames? of)\s+{_NAMES}",
            0.6,
            group=1,
        ),
        Pattern(
            "role apposition",
            rf"\b(?:[Ff]riend|[Ll]andlord|[Ll]andlady|[Bb]oss|[Mm]anager|[Cc]ontroller|[Dd]river|[Aa]gent|[Cc]ousin|[Bb]rother|[Ss]ister|[Uu]ncle|[Aa]unt|[Bb]oyfriend|[Gg]irlfriend|[Hh]usband|[Ww]ife|[Pp]artner|[Ee]mployer|[Oo]wner|[Rr]ecruiter|[Mm]other|[Ff]ather|[Ss]on|[Dd]aughter|[Nn]eighbour|[Cc]olleague|[Aa]ssociate|[Cc]ontact|[Ss]upervisor|[Ff]oreman),?\s+{_NAMES}",
            0.55,
            group=1,
        ),
        Pattern("signed", rf"(?:^|\n)\s*(?:[Ss]igned|[Ff]rom|[Bb]y):?\s+{_NAMES}", 0.5, group=1),
    ),
    validate=lambda s: s.split()[0].lower() not in FUNCTION_WORDS,
    priority=40,
    presidio_entities=("PERSON",),
)
