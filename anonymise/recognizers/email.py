"""Email addresses; the domain is checked against the bundled public suffix list (offline)."""

import re

from anonymise.offline import has_public_suffix
from anonymise.recognizers.base import Pattern, RecognizerSpec


def email_score(text: str) -> float:
    """0.9 for an address under a known public suffix, 0.6 otherwise.

    Every email-shaped string is removed either way; the suffix list only decides the score.

    >>> email_score("a@b.co.uk"), email_score("a@host.invalid-tld")
    (0.9, 0.6)
    """
    return 0.9 if has_public_suffix(text) else 0.6


RECOGNIZER = RecognizerSpec(
    entity="EMAIL",
    patterns=(
        Pattern("email", r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", 0.9, flags=re.UNICODE),
        Pattern(
            "written out",
            r"(?i)(?<![\w.+-])[\w.+-]+(?:\s+(?:dot|underscore|_)\s+[\w+-]+|\s+\d+)*\s*(?:\(at\)|\[at\]|\s+at\s+)\s*[\w-]+(?:\s*(?:\(dot\)|\[dot\]|\s+dot\s+)\s*[\w-]+)+",
            0.6,
        ),
    ),
    rescore=email_score,
    normalise=lambda s: s.lower(),
    gate=r"@|\b[dD][oO][tT]\b",
    priority=80,
    presidio_entities=("EMAIL_ADDRESS",),
)
