"""Prefilters computed from a pattern's own parse (speed only): its first characters, and the strings every match holds.

Python's regular-expression engine skips quickly through text only when an expression starts with
a literal or a case-sensitive character class. A recognizer pattern usually starts with ``\\b``, a
lookbehind or a case-insensitive alternation (``(?i:\\b(?:facebook|fb|insta…))``), so the engine
tries the whole expression at every character of a note. :func:`prefiltered` puts a one-character
lookahead in front — the set of characters every match must start with, computed from the
expression's own parse (:func:`first_chars`) — so most positions fail after one test.

The lookahead never changes what matches: a non-empty match starting at a position consumes the
character there first, and that character is in the computed set (a superset: zero-width
assertions are passed over, every branch and optional part is included). Anything the computation
does not understand (negated classes, ``.``, back-references, expressions that can match empty)
gives no prefilter, and the expression runs as written.

:func:`required_strings` lists literal strings that every match contains (``@`` in an @-handle,
``_`` in an underscore name, ``Sons`` in "… and Sons"): a text without one of them cannot match,
and the recognizer does not run that pattern on it.

:func:`compile_prefiltered` goes one step further. A lookahead in front still makes the engine
start a match attempt at every character (each costs a call into the matcher); the engine's own
skip loop runs only for an expression whose compiled form begins with an information block
naming the characters a match can start with, which CPython's compiler writes only when the
expression itself starts with a case-sensitive literal or class. :func:`compile_prefiltered`
compiles the expression as written and puts the computed first characters into that block (as a
case-sensitive class: for a case-insensitive part every ASCII character it matches in any case,
and every non-ASCII character), so the engine skips the other positions in C without trying them.
The block is only a promise that no match starts elsewhere, which the computation guarantees;
the rest of the compiled code is the expression's own, so matches, groups and their order are
unchanged. It relies on CPython's internal compiler (``re._compiler``): on an interpreter whose
internals it does not know, or on any surprise, it falls back to :func:`prefiltered`.
"""

import _sre as _engine  # type: ignore[import-not-found]  # CPython's regular-expression engine, which builds a pattern from its code
import re
import re._compiler as _sre_compile  # type: ignore[import-not-found]  # the compiler, for the information block (no stubs)
import re._constants as _sre  # type: ignore[import-not-found]  # the parse tree's opcodes: CPython's own regex parser, no stubs
import re._parser as _sre_parse  # type: ignore[import-not-found]  # (3.11+; the public sre_parse alias warns)
import sys
from collections.abc import Callable
from typing import Any, Final

__all__ = ["alternation", "compile_prefiltered", "first_chars", "prefiltered", "required_strings", "searcher"]

_ZERO_WIDTH: Final = frozenset({_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT})
_REPEATS: Final = frozenset({_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT})
_CATEGORIES: Final = {
    _sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_SPACE: r"\s", _sre.CATEGORY_WORD: r"\w",
    _sre.CATEGORY_NOT_DIGIT: r"\D", _sre.CATEGORY_NOT_SPACE: r"\S", _sre.CATEGORY_NOT_WORD: r"\W",
}
_NOT_WORD: Final = frozenset({_sre.CATEGORY_NOT_WORD, _sre.CATEGORY_UNI_NOT_WORD, _sre.CATEGORY_LOC_NOT_WORD})
_BROAD: Final = (r"\w", r"\W", r"\s", r"\S", r"\D")
"""Classes that hold (nearly) every letter, or every space: a lookahead on them filters little in prose."""
_GLOBAL_FLAGS: Final = re.compile(r"\(\?[aiLmsux]+\)")
"""Flags for the whole expression, which must stay at its start."""


class _Unknown(Exception):
    """A part of the expression whose first characters are not computed."""


def _first(items: Any, flags: int, out: list[tuple[bool, str]]) -> bool:
    """Add the first characters of a parsed sequence to ``out`` as (case-insensitive, class item); True if it can match empty."""
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is _sre.LITERAL:
            out.append((bool(flags & re.IGNORECASE), _escape(av)))
            return False
        if op is _sre.IN:
            if av and av[0][0] is _sre.NEGATE:
                # A negated class that excludes every non-word character ([^\W_], [^\W\d]) holds word characters only.
                if any(item_op is _sre.CATEGORY and value in _NOT_WORD for item_op, value in av[1:]):
                    out.append((False, r"\w"))
                    return False
                raise _Unknown
            for item_op, value in av:
                if item_op is _sre.LITERAL:
                    out.append((bool(flags & re.IGNORECASE), _escape(value)))
                elif item_op is _sre.RANGE:
                    out.append((bool(flags & re.IGNORECASE), f"{_escape(value[0])}-{_escape(value[1])}"))
                elif item_op is _sre.CATEGORY and value in _CATEGORIES:
                    out.append((False, _CATEGORIES[value]))
                else:  # a negated class, or a category not listed
                    raise _Unknown
            return False
        if op is _sre.SUBPATTERN:
            _group, add, remove, sub = av
            if not _first(sub.data, (flags | add) & ~remove, out):
                return False
        elif op is _sre.ATOMIC_GROUP:
            if not _first(av.data, flags, out):
                return False
        elif op is _sre.BRANCH:
            empty = False
            for branch in av[1]:
                empty |= _first(branch.data, flags, out)
            if not empty:
                return False
        elif op in _REPEATS:
            low, _high, sub = av
            empty = _first(sub.data, flags, out)
            if low > 0 and not empty:
                return False
        else:  # ., [^…] as a literal, back-references, conditionals
            raise _Unknown
    return True


def _escape(code: int) -> str:
    char = chr(code)
    return "\\" + char if char in "\\]^-[" else re.escape(char)


def first_chars(regex: str, flags: int = 0) -> str | None:
    """A character class, as an expression, holding the first character of every match of ``regex``; None if unknown.

    A case-insensitive part makes the whole class case-insensitive (a wider class is still exact for
    a lookahead); a part that can match empty adds what follows it.

    >>> first_chars(r"\\b(?i:fb|insta)|\\bon\\s+X")
    '(?i:[fio])'
    >>> first_chars(r"(?<![\\w/])(?:flat\\s+)?\\d+")
    '(?-i:[f\\\\d])'
    >>> first_chars(r"(?<![\\w/])[^\\W_]+")
    '(?-i:[\\\\w])'
    >>> first_chars(r"a?") is None, first_chars(r"[^a]b") is None
    (True, True)
    """
    try:
        parsed = _sre_parse.parse(regex, flags)
        found: list[tuple[bool, str]] = []
        if _first(parsed.data, parsed.state.flags, found) or not found:
            return None
    except (_Unknown, re.error, AttributeError, TypeError, ValueError):  # or a parse tree of another shape
        return None
    items = "".join(dict.fromkeys(item for _, item in found))
    # One class test: with any case-insensitive part the whole class is case-insensitive (a
    # superset of the first characters, which is all the lookahead needs).
    return f"(?i:[{items}])" if any(insensitive for insensitive, _ in found) else f"(?-i:[{items}])"


def _fast_already(regex: str, flags: int) -> bool:
    """Whether the engine already skips ahead: the expression starts with a case-sensitive literal or class."""
    parsed = _sre_parse.parse(regex, flags)
    data, current = parsed.data, parsed.state.flags
    while data and data[0][0] is _sre.SUBPATTERN:
        _group, add, remove, sub = data[0][1]
        current, data = (current | add) & ~remove, sub.data
    return bool(data) and not current & re.IGNORECASE and data[0][0] in (_sre.LITERAL, _sre.IN)


def _filters_nothing(chars: str) -> bool:
    """A class holding a broad category or every lower-case letter (capitals are rare in prose: they filter)."""
    if any(c in chars for c in _BROAD):
        return True
    test = re.compile(chars)
    return all(test.match(c) for c in "abcdefghijklmnopqrstuvwxyz")


def prefiltered(regex: str, flags: int = 0) -> str:
    """``regex`` behind a lookahead on its first characters, where that saves time; else ``regex`` unchanged.

    The answer matches exactly what ``regex`` matches, at the same places, with the same groups.

    >>> prefiltered(r"\\b(?:passport|pp)\\s+no\\b", re.IGNORECASE)
    '(?=(?i:[p]))(?:\\\\b(?:passport|pp)\\\\s+no\\\\b)'
    >>> prefiltered(r"[A-Z]\\d{2}")  # the engine skips ahead on its own
    '[A-Z]\\\\d{2}'
    """
    chars = first_chars(regex, flags)
    if chars is None or _fast_already(regex, flags) or _filters_nothing(chars):
        return regex
    head = _GLOBAL_FLAGS.match(regex)
    if (flags | _sre_parse.parse(regex, flags).state.flags) & re.VERBOSE:
        return regex  # in verbose mode a comment could swallow the closing bracket
    start = head.end() if head else 0
    return f"{regex[:start]}(?={chars})(?:{regex[start:]})"


_KNOWN_ENGINES: Final = ((3, 11), (3, 12), (3, 13))
"""Interpreters whose compiled-code layout :func:`compile_prefiltered` was checked against."""


def _skip_class(chars: str) -> str:
    """A case-sensitive class holding every character the class ``chars`` (from :func:`first_chars`) matches."""
    inner = chars[len("(?-i:") : -1]
    if chars.startswith("(?-i:"):
        return inner
    test = re.compile(chars)
    ascii_chars = "".join(_escape(c) for c in range(128) if test.match(chr(c)))
    return f"[{ascii_chars}\\x80-\\U0010ffff]"  # under IGNORECASE non-ASCII letters fold too (K, ſ, İ): keep them all


def _with_skip_block(regex: str, flags: int, skip: str) -> "re.Pattern[str] | None":
    """``regex`` compiled as usual, its information block replaced by one naming the characters in ``skip``."""
    parsed = _sre_parse.parse(regex, flags)
    code = _sre_compile._code(parsed, flags)
    info, body = code[: 1 + code[1]], code[1 + code[1] :]
    if info[0] is not _sre.INFO and info[0] != _sre.INFO:
        return None
    if info[2] != 0 or info[3] < 1:  # the engine skips ahead already (a literal prefix or class), or a match can be empty
        return None
    cls = _sre_parse.parse(skip)
    op, av = cls.data[0]
    items = [(op, av)] if op is _sre.LITERAL else list(av) if op is _sre.IN and len(cls.data) == 1 else None
    if items is None:
        return None
    charset, cased = _sre_compile._optimize_charset(items)
    if cased:
        return None
    block = [_sre.INFO, 0, _sre.SRE_INFO_CHARSET, info[3], info[4]]
    _sre_compile._compile_charset(charset, cls.state.flags, block)
    block[1] = len(block) - 1
    groupindex = parsed.state.groupdict
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    compiled: re.Pattern[str] = _engine.compile(
        regex, flags | parsed.state.flags, block + body, parsed.state.groups - 1, groupindex, tuple(indexgroup)
    )
    return compiled


def compile_prefiltered(regex: str, flags: int = 0) -> "re.Pattern[str]":
    """``regex`` compiled so that the engine skips, in C, every position where no match can start.

    The answer matches exactly what ``re.compile(regex, flags)`` matches, at the same places, with
    the same groups; its ``pattern`` is ``regex``.

    >>> fast = compile_prefiltered(r"\\b(?i:passport)\\s+(\\w+)")
    >>> fast.pattern, [m.group(1) for m in fast.finditer("her Passport 123, passport none")]
    ('\\\\b(?i:passport)\\\\s+(\\\\w+)', ['123', 'none'])
    """
    chars = first_chars(regex, flags)
    if chars is None or _fast_already(regex, flags) or flags & re.LOCALE or sys.version_info[:2] not in _KNOWN_ENGINES:
        return re.compile(prefiltered(regex, flags), flags)
    if (flags | _sre_parse.parse(regex, flags).state.flags) & re.VERBOSE:
        return re.compile(regex, flags)
    try:
        compiled = _with_skip_block(regex, flags, _skip_class(chars))
    except Exception:  # any surprise from the engine's internals: the portable form, which is exact too
        compiled = None
    plain = re.compile(regex, flags)
    if compiled is None or compiled.groups != plain.groups or compiled.groupindex != plain.groupindex:
        return re.compile(prefiltered(regex, flags), flags)
    return compiled


def _required(items: Any, flags: int) -> list[str]:
    """Literal strings every match of a parsed sequence contains."""
    out: list[str] = []
    run: list[str] = []

    def cased(char: str) -> bool:
        return bool(flags & re.IGNORECASE) and char.lower() != char.upper()

    for op, av in items:
        if op is _sre.LITERAL and not cased(chr(av)):
            run.append(chr(av))
            continue
        if op in (_sre.AT, _sre.ASSERT_NOT):
            continue  # consumes nothing: the literals either side are adjacent in the match
        if run:
            out.append("".join(run))
            run = []
        if op is _sre.SUBPATTERN:
            _group, add, remove, sub = av
            out += _required(sub.data, (flags | add) & ~remove)
        elif op in _REPEATS and av[0] >= 1:
            out += _required(av[2].data, flags)
        elif op is _sre.BRANCH:
            common = set.intersection(*(set(_required(branch.data, flags)) for branch in av[1]))
            out += sorted(common)
        elif op is _sre.IN and len(av) == 1 and av[0][0] is _sre.LITERAL and not cased(chr(av[0][1])):
            out.append(chr(av[0][1]))
        # anything else (a class, an optional part, a lookahead, …) requires nothing here
    if run:
        out.append("".join(run))
    return out


def required_strings(regex: str, flags: int = 0) -> tuple[str, ...]:
    """Literal strings that every match of ``regex`` contains (case-sensitive ones only); empty when none is known.

    >>> required_strings(r"(?<![\\w.])@[\\w.]{2,}\\w"), required_strings(r"\\b[A-Z]\\w+\\s+(?:and|&)\\s+Sons\\b")
    (('@',), ('Sons',))
    >>> required_strings(r"(?i)\\bpassport\\s*(?:no|number)?:\\s*\\d+")
    (':',)
    """
    try:
        parsed = _sre_parse.parse(regex, flags)
        found = _required(parsed.data, parsed.state.flags)
    except (re.error, AttributeError, TypeError, ValueError):  # a parse tree of another shape
        return ()
    return tuple(dict.fromkeys(found))


def searcher(regex: str, flags: int = 0) -> Callable[[str], "re.Match[str] | None"]:
    """``re.compile(regex, flags).search``, skipping a text without a string every match holds, and prefiltered.

    >>> search = searcher(r"[\\w.+-]+@[\\w-]+\\.[\\w.-]+")
    >>> search("no address here") is None, search("mail ana@example.org")[0]
    (True, 'ana@example.org')
    """
    compiled = compile_prefiltered(regex, flags)
    required = required_strings(regex, flags)
    if not required:
        return compiled.search

    def search(text: str) -> "re.Match[str] | None":
        for string in required:
            if string not in text:
                return None
        return compiled.search(text)

    return search


def alternation(branches: "list[str] | tuple[str, ...]") -> str:
    """``(?:b1|b2|…)``, written with the branches grouped under their first character, in their order.

    Python's engine tries every branch of an alternation in turn at each position (under
    IGNORECASE without even a first-character check), so a long list of words costs a call per
    word per position. Grouped, a position whose character starts no branch fails after one test
    per group. The answer matches exactly what the plain alternation matches, with the same
    preference: at a given position only branches starting with the character there can match,
    and they are tried in their original order (``(?:aX|aY)`` is ``a(?:X|Y)``). Each branch must
    start with a plain literal character (a letter, a digit, a space or ``&``), not a class, a group
    or an optional character.

    >>> alternation(["road", "rd", "street", "st", "avenue"])
    '(?:r(?:oad|d)|s(?:treet|t)|a(?:venue))'
    >>> re.fullmatch(alternation(["barbers?", "bar", "& sons"]), "barber") is not None
    True
    """
    groups: dict[str, list[str]] = {}
    for branch in branches:
        first, rest = branch[:1], branch[1:]
        if not (first.isalnum() or first in " &") or rest[:1] in ("?", "*", "{") or first == "":
            raise ValueError("every branch must start with a plain literal character")
        groups.setdefault(first, []).append(rest)
    return "(?:" + "|".join(f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")"
