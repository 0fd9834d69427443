"""Lower-case display names and short dotted handles right after a platform word.

``tiktok is golden nails ldn``, ``snap as dj rem``, ``insta mia.k``: people writing fast type a
profile name in lower case, made of ordinary words the word pass keeps, and short dotted handles
too short for :mod:`~anonymise.recognizers.handle`. After a platform word (and "is", "as", ":"
or "-"), two to four lower-case words up to a function word or punctuation are a display name;
one word is enough only before punctuation, a line end or "and", after "is", "as" or ":"
("snap: sunshine."), unless it is a stop word ("her insta is private"). Signal, Threads and Messenger are ordinary words
too often ("the signal is bad there") to start a lower-case name. Right after a platform word, a token holding a
dot is a handle. In quotes after a profile word (``Profile 1 "Sweet Lara 21"``, ``Poster "Ewa Cleaning
Team"``), up to five words are a display name, whatever their case.

>>> [m.group(1) for m in RECOGNIZER.compiled()[0][0].finditer("her tiktok is golden nails ldn lol. then")]
['golden nails ldn']
>>> [m.group(1) for m in RECOGNIZER.compiled()[1][0].finditer("found on insta mia.k and")]
['mia.k']
>>> [t for t in ("his insta is private", "whatsapp is the only way", "on tiktok is a video") if any(RECOGNIZER.find(t))]
[]
>>> [m.group(1) for m in RECOGNIZER.compiled()[3][0].finditer("snap: sunshine. on insta as princess and on fb as well")]
['sunshine', 'princess']
>>> [m.group(1) for m in RECOGNIZER.compiled()[2][0].finditer('Profile 2 "Sweet Lara 21": claims 21, "new in town"')]
['Sweet Lara 21']
"""

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.social_name import PLATFORM_WORDS
from anonymise.recognizers.words_gate import required_last_words


def _words(text: str) -> list[str]:
    return text.split()


STOP_WORDS = frozenset(
    _words(
        "a an the and or but if so then than that this these those which who whom whose when where while because as"
        " of in on at to for from with by about into over after before under via per is are was were be been being"
        " has have had do does did not no never still just only also too very really always now again lol lmao haha"
        " he she they we i you it him her them us me my his their our your its"
        " private public blocked deleted down full new old gone hacked closed open active banned fake"
    )
)
"""Words that end a lower-case display name (or, first, show that none follows)."""

_PLATFORM = rf"(?i:\b{PLATFORM_WORDS}(?:'s)?)"
_JOIN = r"(?:[ ](?:is|as|name[ ]is|called)[ ]|[ ]?[:\-–][ ]?)"
"""Single spaces only: the narrative re-check sets placeholders aside as spaces, and "insta as <HANDLE_1>
most nights" must not then make "most nights" a name."""
_WORD_CHARS = r"[a-z\u00C0-\u024F\u1E00-\u1EFF][a-z0-9'\u00C0-\u024F\u1E00-\u1EFF]*"
_STOP = "|".join(sorted(STOP_WORDS, key=len, reverse=True))
_WORD = rf"(?!(?:{_STOP})(?![\w'])){_WORD_CHARS}"

_NOT_ONE_NAME = (
    "well|usual|normal|such|evidence|proof|part|before|above|below|mentioned|requested|said|reported|soon|needed|"
    "required|shown|ok|okay|yes|none|unknown|nothing|same|unclear|n/a|na|nil|tbc|unk|pending|seized|offline|"
    "inactive|suspended|removed|screenshot|screenshots|attached|encrypted|locked|unavailable|disabled|verified|"
    "investigation|review|surveillance|observation|age|control|pressure|threat|duress|watch|scrutiny|another|different"
)
"""A single word after "insta:" or "on snap as" that is not a name ("on insta as well", "fb: none")."""

_PLATFORM_WORDS = required_last_words(PLATFORM_WORDS)

RECOGNIZER = RecognizerSpec(
    entity="HANDLE",
    patterns=(
        Pattern(
            "lower-case words after a platform word",
            rf"(?i:\b(?!signal|threads|messenger)){_PLATFORM}{_JOIN}({_WORD}(?:[ ]{_WORD}){{1,3}})(?![\w@]|\.\w)",
            0.55,
            group=1,
            words=_PLATFORM_WORDS,
        ),
        Pattern(
            "dotted token after a platform word",
            rf"{_PLATFORM}(?:{_JOIN}|[ ])([a-z0-9][\w]*(?:\.[\w]+)+)(?![\w@]|\.\w)",
            0.6,
            group=1,
            words=_PLATFORM_WORDS,
        ),
        Pattern(
            "quoted name after a profile word",
            r"(?i:\b(?:profile|account|username|user|handle|display[ ]name|page|poster|posted[ ]by|posting[ ]as|"
            r"advertised[ ]as|advertising[ ]as|listed[ ]as|ad[ ]titled|advert[ ]titled|group))(?:[ ]\d{1,2})?[ ]?[:\-–]?[ ]?"
            r"[\"“]([^\"”\n]{2,40}?)[\"”]",
            0.55,
            group=1,
        ),
        Pattern(
            "one word after a platform word and a colon or as",
            rf"(?i:\b(?!signal|threads|messenger)){_PLATFORM}(?:[ ](?:is|as|under|name[ ]is|called)[ ]|[ ]?:[ ]?)"
            rf"(?!(?:{_NOT_ONE_NAME})(?![\w'])|\d)({_WORD})(?=[ ]?[.,;!?)](?![\w@])|\n|$|[ ](?:and|but|lol|haha|then|so|which|who)(?![\w']))",
            0.55,
            group=1,
            words=_PLATFORM_WORDS,
        ),
        Pattern(
            "single-quoted name before a platform word",
            rf"(?<![\w'’])['‘]((?=[^'‘’\n]*\w)[^\s'‘’][^'‘’\n]{{0,39}}?)['’](?!\w)[ ](?i:on|via|from|in)[ ]{_PLATFORM}\b",
            0.55,
            group=1,
            words=_PLATFORM_WORDS,
        ),
        Pattern(
            "one word after a username word",
            rf"(?i:\b(?:user[ ]?name|user[ ]?id|screen[ ]?name|gamer[ ]?tag|profile[ ]name|account[ ]name|display[ ]name"
            rf"|(?:her|his|their|my|your|same|insta|ig|tiktok|twitter)[ ]handle))(?:[ ](?:is|was|as))?[ ]?[:\-–]?[ ]?"
            rf"(?!(?:{_NOT_ONE_NAME}|{_STOP})(?![\w'])|\d)([\w.@]*[^\W\d_][\w.]*?)(?=[.,;:!?)\s]|$)",
            0.55,
            group=1,
            words=required_last_words(r"(?:username|name|id|tag|handle|gamertag|screenname|userid)"),
        ),
        Pattern(
            "cash app tag",
            r"(?i:\bcash[ ]?app)(?:[ ](?:tag|handle|name|id|is))?[ ]?[:\-]?[ ]?\$[ ]?([A-Za-z][\w]{2,})(?![\w@])",
            0.6,
            group=1,
            words=_PLATFORM_WORDS,
        ),
    ),
    validate=lambda s: _is_display_name(s),
    gate=rf"{_PLATFORM}|[\"“]|(?i:user[ ]?(?:name|id)|screen[ ]?name|gamer[ ]?tag|handle|account[ ]name|profile[ ]name|display[ ]name)",
    priority=58,
)


def _is_display_name(text: str) -> bool:
    if len(text.split()) > 5:
        return False
    if "." in text:
        return not text.lower().endswith((".com", ".co.uk", ".org", ".net", ".uk"))
    return not STOP_WORDS.issuperset(text.split())
