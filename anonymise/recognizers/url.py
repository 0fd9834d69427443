"""URLs: with a scheme, starting www., or a bare domain followed by a path (profile links)."""

import re

from anonymise.offline import has_public_suffix
from anonymise.recognizers.base import Pattern, RecognizerSpec


def _url_ok(text: str) -> bool:
    if re.match(r"(?i)https?://|www\.", text):
        return True
    return has_public_suffix(text.split("/", 1)[0])


RECOGNIZER = RecognizerSpec(
    entity="URL",
    patterns=(
        Pattern("scheme or www", r"(?i)\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]", 0.9),
        Pattern("domain with path", r"(?i)\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s<>\"']*[^\s<>\"'.,;:!?)]", 0.7),
        Pattern("social handle", r"(?<![\w@])@[A-Za-z0-9_.]{3,30}\b", 0.5),
    ),
    validate=_url_ok,
    gate=r"(?i)http|www\.|/|@",
    priority=78,
    presidio_entities=("URL",),
)
