"""Social display names after a platform word: ``on Facebook as Blade Line``, ``TikTok: Kwame Asante Official``.

A display name is often made of ordinary words, so the word pass keeps it. After a platform
word (Facebook, fb, Insta, TikTok, Snapchat, WhatsApp, Telegram, YouTube, Discord …), or a
naming phrase (goes by, profile name, display name, account called, group chat, county line), optionally
followed by "as", "is", "called", ":", the next 1–3 capitalised words, or a quoted string,
are a handle. "X" counts only as "on X as" or "X:" (a letter X is too common otherwise).

>>> [m.group(1) for m in RECOGNIZER.compiled()[0][0].finditer("found him on Facebook as Silver Fox Ldn, then left")]
['Silver Fox Ldn']
>>> [RECOGNIZER.compiled()[1][0].search(t).group(1) for t in ('her TikTok: "sunny girl 22"', 'group chat "Work Mates"')]
['sunny girl 22', 'Work Mates']
>>> bool(RECOGNIZER.compiled()[0][0].search("went to X ray and then"))
False
"""

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.prefilters import alternation
from anonymise.recognizers.words_gate import required_last_words

PLATFORM_WORDS = alternation([r"facebook", r"fb", r"insta(?:gram)?", r"ig", r"tik\s?tok", r"snap(?:chat)?", r"whats\s?app", r"telegram", r"twitter", r"you\s?tube", r"discord", r"signal", r"viber", r"messenger", r"threads", r"onlyfans", r"only\s?fans", r"grindr", r"tinder", r"badoo", r"wechat", r"line\s+app", r"kik", r"cash\s?app"])
"""A platform word (shared with :mod:`~anonymise.recognizers.display_name`)."""
_PLATFORM = PLATFORM_WORDS + r"(?:'s)?"
_PHRASE = (
    r"(?:goes\s+by|profile\s+name|display\s+name|user\s?name|screen\s+name|account\s+(?:called|named|name)"
    r"|county\s+line|(?:new\s+|fake\s+|second\s+)?account|profile|page|group\s+chat|channel|group)"
)
_X = r"(?:on\s+X(?=\s+as\b)|X(?=:))"
_JOIN = r"(?:[ ]?[:\-–][ ]?|[ ]\(|\s+(?:as|is|called|named|under|name)\s*:?\s*|\s+(?:he|she|they)\s+(?:is|was|goes\s+by)\s+|[ ])"
_CAP = r"[A-Z\u00C0-\u024F\u1E00-\u1EFF][\w'’\-\u00C0-\u024F\u1E00-\u1EFF]*"
_NEXT = r"(?:\s+(?:[A-Z\u00C0-\u024F\u1E00-\u1EFF][\w'’\-]*|\d{2,4})(?=[\s,.;:!?)\"”]|$)){0,2}"

_CUE = rf"(?i:\b(?:{_PLATFORM}|{_PHRASE})\b)|\b{_X}"

_platform_words, _phrase_words = required_last_words(PLATFORM_WORDS), required_last_words(_PHRASE)
_CUE_WORDS = _platform_words | _phrase_words | {"x"}
"""Every match holds a platform word, a naming phrase or "X" as a whole word."""

RECOGNIZER = RecognizerSpec(
    entity="HANDLE",
    patterns=(
        Pattern("capitalised words after a platform word", rf"(?:{_CUE}){_JOIN}({_CAP}{_NEXT})", 0.6, group=1),
        Pattern("quoted string after a platform word", rf"(?:{_CUE}){_JOIN}[\"“']((?=[^\"”'\n]*\w)[^\s\"”'][^\"”'\n]{{0,39}})[\"”']", 0.7, group=1),
        Pattern("quoted string before a platform word",
                rf"[\"“]((?=[^\"”\n]*\w)[^\s\"”][^\"”\n]{{0,39}})[\"”]\s+(?:on|via|from|in)\s+(?i:{_PLATFORM})\b", 0.6, group=1),
    ),
    words=_CUE_WORDS,
    gate=_CUE,  # every match holds a cue: the first two start with one, the third ends with a platform word
    priority=60,
)
