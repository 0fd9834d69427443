"""Which passwords the hub accepts (NIST SP 800-63B §3.1.1.2): normalised, long enough, not common.

A password is normalised to NFKC before it is checked, hashed or verified, so the same keys typed
on two keyboards sign in alike. Any printing character and the space are allowed; a password of
spaces only, or holding an invisible character (zero-width, control, format, private-use), is
refused, and so is one that `zxcvbn`'s offline lists (the 30,000 most common passwords of public
breach corpora, English words, names, keyboard walks, sequences and repeats) say can be guessed
in fewer than 10^8 tries. No composition rule is imposed: the guidance says not to.
"""

import unicodedata
from typing import Final

from zxcvbn import zxcvbn

MIN_PASSWORD_CHARS: Final = 12
MAX_PASSWORD_CHARS: Final = 1000
MIN_GUESSES_LOG10: Final = 8
"""zxcvbn's estimate below which a password is 'common': its score 3 ('safely unguessable')."""
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


class PasswordRefused(ValueError):
    """A password the rules refuse; the message says which rule, never the password."""


def normalise(password: str) -> str:
    """NFKC, as the guidance asks, so that what is hashed does not depend on the keyboard."""
    return unicodedata.normalize("NFKC", password)


def checked(password: str) -> str:
    """The normalised password, or PasswordRefused naming the rule it breaks."""
    text = normalise(password)
    if len(text) < MIN_PASSWORD_CHARS:
        raise PasswordRefused(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(text) > MAX_PASSWORD_CHARS:
        raise PasswordRefused(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    if any(unicodedata.category(c) in _INVISIBLE for c in text):
        raise PasswordRefused("a password may not hold invisible or control characters")
    if not text.strip() or all(unicodedata.category(c) == "Zs" for c in text):
        raise PasswordRefused("a password may not be spaces only")
    if zxcvbn(text[:100])["guesses_log10"] < MIN_GUESSES_LOG10:
        raise PasswordRefused("this password is too common or too easy to guess; choose a longer, less usual one")
    return text
