"""Fail-closed name detection word by word: a token nobody vouches for is treated as identifying.

The allowlist approach of clinical de-identification (Philter): every word of a note that no
recognizer has already removed is looked up in the word model (:mod:`anonymise.lexicon`):

* domain vocabulary (:func:`domain_words`: kept words, casework abbreviations) and ordinary
  English words that are not names stay;
* a word that is neither (``Kidane``, ``ionut``, ``SHPRESA``, a surname, a typo nobody can place)
  is removed as a possible name, in any case — this is what makes the pass fail closed;
* a name that is also an ordinary word (``Rose``, ``Will``, ``Joy``, ``Butcher``) is removed when a
  context cue says it is a name: a title or kinship word before it (``aunty Comfort``, ``Mrs
  Potter``), a naming phrase (``called``, ``known as``), a name beside it (``NGUYEN Van Duc``),
  "with"/"and" before a given name in a note without capitals, or a capital letter inside a
  sentence of a normally written note, or a given name starting a sentence ("Faith said …");
  otherwise it is left *undecided*, for NER to settle (:class:`Decision`);
* a proper noun no gazetteer holds (``Calais``, ``Southend``) is kept only when NER calls it a
  place or a nationality; without NER it goes.

The text's case is read first (:func:`case_style`): in a note written all in capitals or all in
lower case capital letters say nothing, and only the lexicon and the cues decide.
"""

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from anonymise.lexicon import Lexicon, lexicon
from anonymise.normalise import fold
from anonymise.recognizers.keep import (
    BUSINESS,
    FUNCTION_WORDS,
    NATIONALITIES,
    PLACES,
    VOCABULARY,
    country_names,
    kept_words,
)


def _words(text: str) -> list[str]:
    return text.split()


__all__ = ["CaseStyle", "Decision", "NameWords", "WordFind", "case_style", "domain_words", "place_phrases"]

_TOKEN: Final = re.compile(r"(?<![\w'’])[^\W\d_]+(?:['’][^\W\d_]+)*(?![\w])")
_CONTRACTION: Final = re.compile(r"(?:n['’]t|['’](?:s|re|ve|ll|d|m))$", re.IGNORECASE)
_BASES: Final = {"ca": "can", "wo": "will", "sha": "shall", "ai": "am"}
_QUOTED: Final = re.compile(r"[\"“‘']([^\W\d_][^\s\"”’']*(?:\s[^\W\d_][^\s\"”’']*)?)[\"”’'](?!\w)")
"""One or two words alone in quotes: a nickname ("pinky", “Skinny”)."""
_AGE_AFTER: Final = re.compile(r"\s*\(\d{1,2}\s*(?:[MFmf]|yrs?|y/?o)?\)")
"""A name followed by an age: "Precious (15)", "Will (17M)"."""
_FOREIGN_LETTERS: Final = re.compile(r"[^\x00-\x7fàâçèéêëîïôûùüÿæœ]")
_SENTENCE_END: Final = re.compile(r"[.!?:;\n•\-–—*(\[\"“]\s*$|^\s*$")
_APOSTROPHE: Final = re.compile(r"['’]")
_CLAUSE_END: Final = re.compile(r"[.!?;\n]")

TITLES: Final = frozenset(
    _words("""mr mrs ms miss mx dr prof sir madam lady lord rev pc dc ds di sgt insp cllr
    mother mum mummy mom mama mam mamma mother's father dad daddy papa baba pop
    aunt aunty auntie auntii tia uncle unc nan nana nanny gran granny grandma grandmother
    grandad granddad grandpa grandfather sister sis brother bro cousin cuz son daughter wife
    husband partner boyfriend girlfriend bf gf fiance fiancee friend mate niece nephew baby
    stepmother stepfather stepdad stepmum stepbrother stepsister half-brother half-sister
    ex boss landlord landlady pt patient client child victim suspect susp witness caller worker
    interpreter translator driver rider student pupil carer resident tenant officer nurse doctor
    nok mrs. mr. dr. ms. pastor imam sheikh hajji chief
    owner operator manager director supervisor foreman neighbour neighbor runner referrer reporter
    employer recruiter agent controller trafficker customer colleague housemate flatmate roommate
    pimp punter sponsor guardian teacher producer cleaner attendant labourer manageress proprietor
    licensee dsl sw iso advocate""")
)
"""Words before a name: titles, kinship and roles ("aunty Comfort", "Mother Joy", "Mrs Potter")."""

HONORIFICS: Final = frozenset(
    _words("""mr mrs ms miss mx dr sir madam lady lord pastor imam sheikh aunt aunty auntie uncle mama mum papa dad
    brother bro sister sis cousin nan nana grandma grandad granny""")
)
"""The titles and kinship words before which even a very common word is a name ("brother Will")."""

NAMING: Final = frozenset(_words("called named calls nicknamed aka alias name name's names nickname known goes"))
"""Words that introduce a name ("a woman she calls Mama Joy", "known as Will", "name is Rose")."""

_NAMING_PAIRS: Final = frozenset({
    "known as", "name is", "goes by", "called as", "this is", "it is", "name given", "gave name", "gives name",
    "giving name", "full name", "real name", "named as", "calls herself", "calls himself", "names are",
})
"""Two words before a name ("name given kim", "real name Adeel")."""

COMPANY: Final = frozenset(_words("with and & by from to for met saw told asked visited contacted or"))
"""Words that put a given name in a list or a company in a note without capitals ("left with mai")."""

_DOMAIN_TEXT: Final = """
    nrm mash marac dsl csc csc's cin cp cpp lac lado iro sw sws dtn fr frs spoc cce cse mset
    pnc cad cris storm urn crn mop ip ips susp ic ic1 ic2 ic3 ic4 ds dc pc di dci dsgt sgt insp ppn niche athena
    bwv cctv anpr pnd nfa rtc asb aso cps cjsm ucc chis occ fcc
    pt pts c/o abdo gynae obs ed ae a&e gp gps nok dob yo y/o yrs yr mths wks hrs approx
    triage resus uss bloods obs hr bp rr spo2 temp ix mx dx hx rx tx sx na n/a dna dnr
    ssd csc lasc lscb mash'd rec'd recd re: wrt asap fyi tbc tba etc eg ie aka nb ps pls
    ngo esol brp ukvi hmrc dwp hmo hb uc pip ni nhs uk eu un iom unhcr ioms sar srs
    whatsapp facebook instagram tiktok snapchat telegram viber signal imo messenger
    msht ctdc mtt tht nca gla idva isva ypv yot ypo cyp ehcp sen senco dsl's dsp
    ltd llc inc plc llp lp gmbh srl sro
    uber deliveroo lorry lorries hgv kebab shisha vape airbnb
    okay ok lol omg idk tbh btw thx pls plz ur u r ya yeah yep nope hun babe bruv
    aunty auntie mum mummy nan nana stepdad stepmum stepmom
    dont didnt doesnt cant wont wouldnt couldnt shouldnt isnt wasnt arent werent hasnt havent hadnt
    aint shes hes theyre youre im ive ill thats whats theres lets wanna gotta gonna dunno innit
    txt msg msgs tmrw tmw tomoz tonite 2nite wk wks thurs thur tues tue weds wed fri sat sun mon
    jan feb apr jul aug sep sept oct nov dec
    btp mps glaa gmp wmp nwcu ucu rota'd rota rotas
    paeds ob gyn obgyn ent a&e cos coc
    insta ig fb snap wechat zalo line qq weibo douyin kik wickr skype discord reddit youtube twitter
    linkedin gumtree tinder grindr badoo onlyfans vivastreet adultwork pimpmyride bio dm dms pm pms
    incl excl approx org orgs num nums stn rec recs ref refs acc accs appt appts info intel sim sims
    mondays tuesdays wednesdays thursdays fridays saturdays sundays weekends
    datix webform helpline helplines hotline portakabin portacabin gangmaster gangmasters payslip payslips
    cuckooing cuckooed remediation antenatal postnatal callback referrer
    """
"""Casework shorthand and platform names: vocabulary, never a name."""

_LANGUAGES: Final = """
    albanian amharic arabic bengali bangla bulgarian cantonese mandarin chinese czech dari farsi persian
    french fula fulani gujarati hausa hindi hungarian igbo yoruba kurdish kurmanji sorani badini latvian
    lithuanian malayalam marathi nepali oromo pashto polish portuguese punjabi romanian russian slovak
    somali spanish swahili tagalog tamil telugu thai tigrinya tigre turkish twi ukrainian urdu vietnamese
    wolof lingala krio pidgin edo efik ibibio sinhala sinhalese tetum bisaya cebuano ilocano malay
    indonesian burmese khmer lao mongolian georgian armenian azeri uzbek kazakh tajik turkmen kyrgyz
    hebrew greek italian german dutch estonian croatian serbian bosnian macedonian slovenian moldovan
    romani sylheti mirpuri pahari hindko balochi saraiki sindhi
"""
"""Languages interpreters are booked for: vocabulary, never a name."""

_REGIONS: Final = """
    bedfordshire berkshire buckinghamshire cambridgeshire cambs cheshire cornwall cumbria derbyshire devon dorset
    durham gloucestershire hampshire hants herefordshire herts lancashire lancs leicestershire leics lincolnshire
    lincs merseyside norfolk northamptonshire northants northumberland nottinghamshire notts oxfordshire oxon
    rutland shropshire somerset staffordshire staffs suffolk warwickshire wiltshire wilts worcestershire yorkshire
    yorks teesside tyneside humberside cleveland avon dyfed powys gwynedd gwent glamorgan clwyd anglesey fife
    lothian lanarkshire ayrshire strathclyde grampian highlands midlands
    dalston hendon mayfair dulwich knightsbridge manningham digbeth limehouse chinatown soho hackney leyton
    edmonton tottenham plaistow beckton poplar bow deptford catford kilburn harlesden willesden neasden cricklewood
"""
"""British counties, regions and city districts GeoNames does not hold as towns."""

_PLACE_PHRASES: Final = frozenset(
    line.strip() for line in """
    milton keynes
    west midlands
    east midlands
    greater manchester
    greater london
    west yorkshire
    south yorkshire
    north yorkshire
    east yorkshire
    east sussex
    west sussex
    tyne and wear
    east anglia
    east ham
    west ham
    small heath
    perry barr
    forest gate
    upton park
    canary wharf
    elephant and castle
    kings cross
    tower hill
    notting hill
    thornton heath
    cheetham hill
    moss side
    """.strip().splitlines()
)
"""Place names of several words that are kept whole (GeoNames' British places of several words join them)."""

_STREET_WORDS: Final = frozenset(_words("road rd street st avenue ave lane ln close drive crescent terrace way place mews grove gardens row walk"))
"""A place of several words ending in one of these ("Harrow Road", "Abbey Road") is a street first."""

_VEHICLES: Final = """
    toyota audi bmw merc mercedes vauxhall ford volkswagen vw nissan honda hyundai kia peugeot renault
    citroen fiat skoda seat dacia mazda mitsubishi suzuki volvo lexus jaguar landrover lambo porsche
    prius auris corolla yaris aygo corsa astra insignia zafira vivaro fiesta focus mondeo transit
    golf polo passat caddy qashqai micra juke civic jazz octavia fabia sandero logan duster megane clio
    kangoo berlingo sprinter vito hiace
"""
"""Vehicle makes and models: the car is in the note, not a person."""
"""Casework shorthand and platform names: vocabulary, never a name."""


def domain_words() -> frozenset[str]:
    """Kept vocabulary (:func:`anonymise.recognizers.keep.kept_words`) and casework shorthand, folded.

    >>> {"nrm", "albanian", "newham", "gynae"} <= domain_words()
    True
    """
    return _domain_words()


@functools.cache
def _domain_words() -> frozenset[str]:
    listed = {fold(w) for block in (NATIONALITIES, PLACES, BUSINESS, VOCABULARY, _DOMAIN_TEXT, _LANGUAGES, _REGIONS) for w in block.split()}
    lex = lexicon()
    # Vehicles and places no name list holds ("Prius", "Peterborough", "Wisbech"; not "Mercedes", "Boston").
    listed |= {w for w in (fold(v) for v in _VEHICLES.split()) if not lex.is_name(w)}
    listed |= _place_words()
    # Words of the world's country names (Saba, Jordan, Chad, Northern Mariana Islands) that are
    # also given names or surnames are names first.
    countries = {fold(w) for w in kept_words()} - listed
    # A whole country name that is a surname but no given name ("Poland", "Spain") is the country.
    whole = {w for w in _one_word_countries() if w not in lex.forenames}
    return frozenset(listed | whole | {w for w in countries if not lex.is_name(w)})


@functools.cache
def _place_words() -> frozenset[str]:
    """One-word place names no name list holds; a naming word or quotes still make one a name ("known as 'Pali'")."""
    lex = lexicon()
    return frozenset(w for w in lex.places if " " not in w and not lex.is_name(w)) - _vocabulary_words()


@functools.cache
def _vocabulary_words() -> frozenset[str]:
    return frozenset(fold(w) for block in (NATIONALITIES, PLACES, BUSINESS, VOCABULARY, _DOMAIN_TEXT, _LANGUAGES, _REGIONS) for w in block.split())


@functools.cache
def place_phrases() -> dict[str, frozenset[tuple[str, ...]]]:
    """Place names of two words or more, by first word (folded): kept whole by the word pass, and no street.

    A phrase all of whose words are names ("Ashton Hayes") is left out unless listed by hand: it may be a person.

    >>> ("keynes",) in place_phrases()["milton"], ("ham",) in place_phrases()["east"]
    (True, True)
    """
    lex = lexicon()
    phrases = {
        tuple(p.split()) for p in lex.places
        if " " in p and not all(lex.is_name(w) for w in p.split()) and p.split()[-1] not in _STREET_WORDS
    }
    phrases |= {tuple(p.split()) for p in _PLACE_PHRASES}
    by_first: dict[str, set[tuple[str, ...]]] = {}
    for phrase in phrases:
        by_first.setdefault(phrase[0], set()).add(phrase[1:])
    return {first: frozenset(rests) for first, rests in by_first.items()}


@functools.cache
def _one_word_countries() -> frozenset[str]:
    """Countries whose whole English name is one word ("poland", "jordan"; not "leone")."""
    return frozenset(fold(n) for n in country_names() if " " not in n and "-" not in n)


_PLACE_WORDS: Final = frozenset(_words("in into via across through"))
"""Before a country that is also a given name ("in Jordan", "via Georgia"), it is the country."""
_TOWN_WORDS: Final = _PLACE_WORDS | frozenset(_words("from near outside around towards"))
"""Before a town that is also a surname ("from Bolton", "near Boston"), it is the town."""


class CaseStyle(StrEnum):
    mixed = "mixed"
    all_caps = "all_caps"
    all_lower = "all_lower"


def case_style(text: str) -> CaseStyle:
    """How a note is written: normally, all in capitals, or all in lower case.

    >>> case_style("Met Anna at the drop-in."), case_style("MET ANNA AT THE DROP-IN"), case_style("met anna at the drop in")
    (<CaseStyle.mixed: 'mixed'>, <CaseStyle.all_caps: 'all_caps'>, <CaseStyle.all_lower: 'all_lower'>)
    """
    return _style_of([w for w in _TOKEN.findall(text) if len(w) >= 2])


def _style_of(words: Sequence[str]) -> CaseStyle:
    """:func:`case_style` of a text's tokens of two letters or more."""
    if not words:
        return CaseStyle.mixed
    upper = sum(w.isupper() for w in words)
    capital = sum(w[0].isupper() for w in words)
    if upper >= 0.7 * len(words):
        return CaseStyle.all_caps
    if capital <= max(1, 0.04 * len(words)) and upper <= 1:
        return CaseStyle.all_lower
    return CaseStyle.mixed


class Verdict(StrEnum):
    keep = "keep"
    name = "name"
    """A name: in a gazetteer and not an ordinary word, or cued."""
    unknown = "unknown"
    """No ordinary word and no domain word: removed as a possible name (fail closed)."""
    undecided = "undecided"
    """A name that is also a word, with no cue: NER decides; without NER see :class:`NameWords`."""
    proper = "proper"
    """A proper noun (capitalised-only dictionary entry) that no gazetteer holds: place or name; NER decides."""
    acronym = "acronym"
    """A short all-capitals token in a normally written note: kept unless a name is beside it."""


@dataclass(frozen=True, slots=True)
class WordFind:
    """One word of the text and what the word model says about it."""

    start: int
    end: int
    verdict: Verdict
    reason: str


@dataclass(slots=True)
class Decision:
    """The words of one text: what is removed (``names``) and what NER is asked about (``undecided``)."""

    style: CaseStyle
    names: list[WordFind] = field(default_factory=list)
    undecided: list[WordFind] = field(default_factory=list)


class NameWords:
    """Reads every uncovered word of a note against the word model.

    :param ner_available: whether undecided words will be shown to NER; without it an
        undecided given name at a sentence start, and every unplaced proper noun, are removed
        (fail closed), and other undecided words are kept.

    >>> nw = NameWords(ner_available=False)
    >>> text = "left the house with mai and rose, aunty Comfort says Kidane has the van"
    >>> [text[w.start:w.end] for w in nw.decide(text, covered=()).names]
    ['mai', 'Comfort', 'Kidane']
    >>> [text.lower()[w.start:w.end] for w in nw.decide(text.lower(), covered=()).names]
    ['mai', 'rose', 'comfort', 'kidane']
    """

    def __init__(self, *, ner_available: bool, lex: Lexicon | None = None) -> None:
        self.lex = lex or lexicon()
        self.domain = domain_words()
        self.ner_available = ner_available
        self._plain = _plain_words(self.lex, self.domain)
        self._short = _short_common_words(self.lex, self.domain)

    def warm(self) -> None:
        """Build the typo index now (before worker processes fork), not on the first note."""
        _deletes(self.lex)

    def decide(self, text: str, covered: Sequence[tuple[int, int]]) -> Decision:
        found = [(m.start(), m[0]) for m in _TOKEN.finditer(text)]
        style = _style_of([w for _, w in found if len(w) >= 2])  # case_style(text), from the same tokens
        decision = Decision(style)
        spans = sorted(covered)
        tokens: list[tuple[int, int, str, str]] = []  # start, end, surface, folded
        for start, surface in found:
            if "'" in surface or "’" in surface:
                surface = _CONTRACTION.sub("", surface)
                if not surface:
                    continue
            elif len(surface) == 1:
                continue
            folded = surface.lower() if surface.isascii() else fold(surface)  # fold's own ASCII path, inline
            tokens.append((start, start + len(surface), surface, _BASES.get(folded, folded)))
        covered_at = bytearray(len(text))
        for a, b in spans:
            covered_at[a:b] = b"\x01" * (b - a)
        quoted = {m.start(1) for m in _QUOTED.finditer(text) if m.start() == 0 or text[m.start() - 1].isspace()}
        in_place = _place_tokens(text, tokens)
        verdicts: list[tuple[Verdict, str]] = []
        plain, short, common, domain, places = self._plain, self._short, self.lex.common, self.domain, _place_words()
        previous = ""
        for i, (start, end, surface, folded) in enumerate(tokens):
            cue_before = previous in _CUES
            previous = folded
            if covered_at.find(1, start, end) >= 0:
                verdicts.append(_COVERED)
            elif i in in_place:
                verdicts.append(_PLACE)
            elif (
                start in quoted and folded not in common and (folded not in domain or folded in places)
                and (folded not in plain or cue_before or (style is CaseStyle.mixed and surface[0].isupper()))
            ):
                verdicts.append(_NICKNAME)  # "Timi", “Skinny”, but not deductions for "transport"
            elif folded in plain and not cue_before and surface.isascii():
                verdicts.append(_ORDINARY)  # the common case, without the checks below
            elif folded in domain and not (cue_before and folded in places):
                verdicts.append(_DOMAIN)  # what _verdict answers first
            elif folded in short:
                verdicts.append(_TOO_SHORT)  # "to", "in", "my": what _verdict answers for them, cue or not
            else:
                verdicts.append(self._verdict(text, tokens, i, surface, folded, style))
        self._beside_names(text, tokens, verdicts, spans, style)
        for (start, end, _, _), (verdict, reason) in zip(tokens, verdicts, strict=True):
            if verdict is Verdict.keep or verdict is Verdict.acronym:
                continue
            find = WordFind(start, end, verdict, reason)
            if verdict in (Verdict.name, Verdict.unknown) or reason.startswith("given name"):
                decision.names.append(find)  # a given name starting a sentence goes, NER or not: "Faith said …"
            elif self.ner_available:
                decision.undecided.append(find)
            elif verdict is Verdict.proper:
                decision.names.append(WordFind(start, end, verdict, reason + " (no NER: removed)"))
        return decision

    def _verdict(
        self, text: str, tokens: list[tuple[int, int, str, str]], i: int, surface: str, folded: str, style: CaseStyle
    ) -> tuple[Verdict, str]:
        lex = self.lex
        start = tokens[i][0]

        def end_of(k: int) -> int:
            return tokens[k][1]

        parts = [p for p in _APOSTROPHE.split(folded) if p]
        if folded in _place_words() and i and tokens[i - 1][3] in NAMING:
            return Verdict.name, "after a naming word"  # "a man called Bolton", "known as Pali"
        if folded in self.domain or (parts and all(p in self.domain for p in parts)):
            return _DOMAIN
        if i and not _CLAUSE_END.search(text, tokens[i - 1][1], start):
            place_word = tokens[i - 1][3]
            if folded in _one_word_countries() and place_word in _PLACE_WORDS:
                return Verdict.keep, "a country after a place word"
            if folded in lex.places and folded not in lex.forenames and place_word in _TOWN_WORDS:
                return Verdict.keep, "a town after a place word"  # "in Boston", "from Bolton"; a given name stays a name
        ordinary = folded in lex.ordinary or (len(parts) > 1 and all(p in lex.ordinary for p in parts))
        if not ordinary and surface.islower() and folded.endswith("s") and folded[:-1] in lex.ordinary:
            ordinary = True  # a plural SCOWL lacks ("voicemails")
        if ordinary and not surface.isascii() and _FOREIGN_LETTERS.search(surface):
            ordinary = False  # "Thế", "Hằng": no English word is written so
        is_name = lex.is_name(folded)
        capital = surface[0].isupper()
        initial = _sentence_start(text, start)
        if len(folded) <= 2:
            if is_name and folded not in lex.common and style is CaseStyle.mixed and capital and not initial and not surface.isupper():
                return Verdict.name, "two-letter name"
            return _TOO_SHORT
        if not ordinary:
            if style is CaseStyle.mixed and surface.isupper() and len(surface) <= 4 and not is_name:
                return Verdict.acronym, "short capitals"
            after_platform = _after_platform(text, tokens, i)
            if style is CaseStyle.mixed and not capital and len(folded) >= 6 and not is_name and not after_platform and self._typo(folded):
                return Verdict.keep, "typo of an ordinary word"  # but "fb costel enache" is a profile name, not a typo
            if folded in lex.proper and not is_name:
                return Verdict.proper, "proper noun in no name list"
            return (Verdict.name, "in a name list") if is_name else (Verdict.unknown, "not an ordinary word")
        # An ordinary word: a title, kinship or naming word before it makes it a name ("aunty Comfort").
        before = [t[3] for t in tokens[max(0, i - 2) : i]]
        gap = text[tokens[i - 1][1] : start] if i else ""
        prev = before[-1] if before and not _CLAUSE_END.search(gap) else ""
        titled = prev in TITLES and (style is not CaseStyle.mixed or capital)
        if titled and (folded not in lex.common or prev in HONORIFICS):
            return Verdict.name, f"after '{prev}'"
        named = prev in NAMING or (len(before) == 2 and " ".join(before) in _NAMING_PAIRS)
        named = named or (prev in ("its", "it's", "im", "i'm") and style is not CaseStyle.mixed)  # "hi its peace from the clinic"
        if named and (folded not in lex.common or capital):
            return Verdict.name, "after a naming word"
        if _AGE_AFTER.match(text, tokens[i][1]) and folded not in lex.common:
            return Verdict.name, "an age in brackets after it"
        if not is_name:
            return Verdict.keep, "ordinary word"
        # A name that is also an ordinary word, with no cue before it.
        if style is CaseStyle.mixed:
            if capital and not initial:
                return Verdict.name, "capitalised inside a sentence"
            if capital and initial:
                after = tokens[i + 1] if i + 1 < len(tokens) else None
                if after is not None and after[2].islower() and after[3] in _VERB_OBJECTS and text[end_of(i) : after[0]].isspace():
                    return Verdict.keep, "a verb starting a sentence"  # "Will check", "Mark the file", "Hope to hear"
                given = folded in lex.forenames or folded not in lex.common
                return (Verdict.undecided, "given name at a sentence start" if given else "surname at a sentence start")
            return Verdict.keep, "lower-case ordinary word"
        if folded in lex.common:
            return Verdict.keep, "common word"
        if prev in COMPANY and folded in lex.forenames:
            return Verdict.name, f"given name after '{prev}'"
        return Verdict.undecided, "name that is also a word"

    def _beside_names(
        self, text: str, tokens: list[tuple[int, int, str, str]], verdicts: list[tuple[Verdict, str]],
        spans: list[tuple[int, int]], style: CaseStyle,
    ) -> None:
        """Given names that are also words, and short capitals, next to a name are part of it ("NGUYEN Van DUC", "Bui Thi Hong").

        Only given names (a surname list holds half the dictionary: Back, Driver, Young), never a
        very common word, a title or a company word, and only in the same case as the name.
        """
        person_like = {Verdict.name, Verdict.unknown}
        lex = self.lex

        def candidate(i: int, j: int) -> bool:
            """Whether word i may join the name at j beside it."""
            verdict, reason = verdicts[i]
            surface, folded = tokens[i][2], tokens[i][3]
            gap_comma = text[tokens[min(i, j)][1] : tokens[max(i, j)][0]].startswith(",")
            if reason == "a place of several words":
                return False
            if folded in _PARTICLES and not gap_comma and 0 <= 2 * i - j < len(tokens) and verdicts[2 * i - j][0] in person_like:
                return True  # "dang van khoa", "Omar bin Laden": a particle between two names
            if j < i and not gap_comma and i >= 2 and tokens[i - 1][3] in _VIETNAMESE_MIDDLE and folded not in FUNCTION_WORDS:
                return True  # "PHAM THI HANG", "Tran Van Long": the given name after a middle name
            if folded in TITLES or folded in COMPANY or folded in NAMING:
                return False
            if j == i - 1 and verdicts[j][1] == "after a naming word" and not gap_comma and folded not in lex.common and folded not in FUNCTION_WORDS:
                return True  # "name given kim lien": the rest of a name after a naming word
            if verdict is Verdict.acronym:
                return True
            mixed_capital = style is CaseStyle.mixed and surface[0].isupper()
            if mixed_capital and i < j and folded in _NICKNAME_PREFIXES and not surface.isupper():
                return True  # "Big Tony", "Lil Romas": part of the street name
            if reason == "domain word" and not lex.is_name(folded) and (surface.isupper() or i < j or gap_comma):
                return False  # "Hoxha, DOB", "Gashi DOB": vocabulary is no part of a name ("Cristian Moldovan" is)
            if mixed_capital and (verdict is Verdict.undecided or reason in ("ordinary word", "domain word")):
                # A given name before the name ("Faith Robinson", "Comfort Adeyemi"), a surname after it ("Gary Young").
                if i < j:
                    return folded in lex.forenames or folded not in lex.common
                return lex.is_name(folded) or (folded not in lex.common and not _sentence_start(text, tokens[i][0]))
            if text[tokens[min(i, j)][1] : tokens[max(i, j)][0]].startswith(",") and j < i and folded not in lex.common:
                return True  # "IGBINEDION, BLESSING": surname, given name
            if folded in lex.common:
                return False
            if verdict is Verdict.undecided or (verdict is Verdict.keep and reason == "domain word"):
                return folded in lex.forenames or (j < i and folded in lex.surnames)
            return False

        # Joining only ever turns a word into a name, and whether word i may join depends on its
        # own verdict and on a neighbour being a name: the words reached from the names, one
        # neighbour at a time, are all that can change (the same as sweeping until nothing does).
        pending = sorted({j for i, (verdict, _) in enumerate(verdicts) if verdict in person_like for j in (i - 1, i + 1)})
        while pending:
            i = pending.pop()
            if not 0 <= i < len(tokens) or verdicts[i][0] in person_like:
                continue
            for j in (i - 1, i + 1):
                if not 0 <= j < len(tokens) or verdicts[j][0] not in person_like or verdicts[j][1] == "covered":
                    continue
                if not candidate(i, j):
                    continue
                a, b = (j, i) if j < i else (i, j)
                gap = text[tokens[a][1] : tokens[b][0]]
                if _NAME_GAP.fullmatch(gap) and _same_case(tokens[i][2], tokens[j][2]):
                    verdicts[i] = (Verdict.name, "beside a name")
                    pending.extend((i - 1, i + 1))
                    break

    def _typo(self, folded: str) -> bool:
        return any(d in _deletes(self.lex) for d in _one_deletes(folded)) or folded in _deletes(self.lex)


_VERB_OBJECTS: Final = frozenset(
    _words("""to the a an be not you we i it this that them him her us me your our all any also have do
    call check pass update follow ring contact chase speak visit send see try ask review make look get arrange
    refer email text discuss confirm liaise complete keep need take meet go come let share book monitor advise
    consider continue attend provide help phone write note add record inform tell""")
)
"""Words after a modal or an imperative that starts a sentence ("Will check", "Mark the file", "Hope to
hear"): the word before is a verb, not a name. A name is followed by its verb ("Will said", "Grace went")."""
_PARTICLES: Final = frozenset(_words("van von der de da di du le la del della bin binti ibn bint abu al el ter ten thi thị văn"))
"""Name particles: between two names, part of the name ("dang van khoa", "Omar bin Rashid")."""
_VIETNAMESE_MIDDLE: Final = frozenset(_words("thi thị van văn"))
"""Vietnamese middle names: after a surname, the next word is the given name ("PHAM THI HANG")."""
_NICKNAME_PREFIXES: Final = frozenset(_words("big lil little young"))
"""Capitalised before a name, part of a nickname ("Big Tony")."""
_NAME_GAP: Final = re.compile(r"[ \t]+|,[ \t]*")
_ORDINARY: Final = (Verdict.keep, "ordinary word")
_DOMAIN: Final = (Verdict.keep, "domain word")
_TOO_SHORT: Final = (Verdict.keep, "too short")
_COVERED: Final = (Verdict.keep, "covered")
_PLACE: Final = (Verdict.keep, "a place of several words")
_NICKNAME: Final = (Verdict.name, "a nickname in quotes")
_CUES: Final = TITLES | NAMING | {"as", "is"}
_PLATFORM_TOKENS: Final = frozenset(_words("fb facebook insta instagram ig tiktok snap snapchat whatsapp telegram twitter wechat viber"))
"""Platform words: what follows one is a profile name, whatever it looks like ("fb costel enache")."""
_PROFILE_GAP: Final = re.compile(r"[ ]?[:\-–]?[ ]")


@functools.cache
def _plain_words(lex: Lexicon, domain: frozenset[str]) -> frozenset[str]:
    """Ordinary words that are no name and no domain word: kept unless a cue word comes before them."""
    return frozenset(w for w in lex.ordinary if w not in domain and not lex.is_name(w))


@functools.cache
def _short_common_words(lex: Lexicon, domain: frozenset[str]) -> frozenset[str]:
    """Very common words of one or two letters that are no domain word and no country: always kept as too short."""
    return frozenset(w for w in lex.common if len(w) <= 2 and w not in domain and w not in _one_word_countries())


def _place_tokens(text: str, tokens: list[tuple[int, int, str, str]]) -> set[int]:
    """Indices of the tokens that make up a place name of several words ("Milton Keynes"), written with capitals or not at all."""
    phrases = place_phrases()
    found: set[int] = set()
    for i, token in enumerate(tokens):
        rests = phrases.get(token[3])
        if not rests:
            continue
        for rest in rests:
            k = i + len(rest)
            if k >= len(tokens) or tuple(t[3] for t in tokens[i + 1 : k + 1]) != rest:
                continue
            words = tokens[i : k + 1]
            if not all(text[a[1] : b[0]].isspace() or text[a[1] : b[0]] == "-" for a, b in itertools.pairwise(words)):
                continue
            if len({w[2][:1].isupper() for w in words if w[3] not in ("and", "upon", "on", "the", "le", "de")}) == 1:
                found.update(range(i, k + 1))
    return found


def _after_platform(text: str, tokens: list[tuple[int, int, str, str]], i: int) -> bool:
    """Whether token i is the first or second word right after a platform word ("fb costel enache", "insta: maria")."""
    for back in (1, 2):
        k = i - back
        if k < 0 or not all(_PROFILE_GAP.fullmatch(text, tokens[m][1], tokens[m + 1][0]) for m in range(k, i)):
            return False
        if tokens[k][3] in _PLATFORM_TOKENS:
            return True
    return False


def _same_case(a: str, b: str) -> bool:
    return (a.isupper() and b.isupper()) or (a[:1].isupper() and b[:1].isupper()) or (a.islower() and b.islower())


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_END.search(text[max(0, start - 3) : start]))


def _one_deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@functools.cache
def _deletes_cached(ordinary: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for word in ordinary:
        if len(word) >= 5:
            out.add(word)
            out |= _one_deletes(word)
    return frozenset(out)


def _deletes(lex: Lexicon) -> frozenset[str]:
    """Ordinary words of five letters or more and every form with one letter deleted (one-edit typos)."""
    return _deletes_cached(lex.ordinary)
