"""Words the scrubber keeps: countries, nationalities, boroughs and places, business types, exploitation vocabulary.

A narrative stripped of these would be useless for the statistics, and none of them names a
person. They stop NER false positives ("Albanian" tagged as a person) and title heuristics; a
name in the record's own columns is removed even when it is also one of these words.
"""

import functools
import re
from typing import Final

__all__ = ["FUNCTION_WORDS", "KEEP_PHRASES", "ORG_WORDS", "UPPER", "country_names", "is_kept", "kept_words"]

NATIONALITIES: Final = """
afghan albanian algerian american angolan argentinian armenian australian austrian azerbaijani
bangladeshi belarusian belgian beninese bolivian bosnian brazilian british bulgarian burmese
burundian cambodian cameroonian canadian chadian chilean chinese colombian congolese croatian
cuban cypriot czech danish dominican dutch ecuadorian egyptian emirati english eritrean estonian
ethiopian filipino finnish french gambian georgian german ghanaian greek guatemalan guinean
haitian honduran hungarian indian indonesian iranian iraqi irish israeli italian ivorian
jamaican japanese jordanian kazakh kenyan korean kosovan kosovar kurdish kuwaiti kyrgyz lao
latvian lebanese liberian libyan lithuanian macedonian malagasy malawian malaysian malian
maltese mauritanian mexican moldovan mongolian montenegrin moroccan mozambican namibian nepalese
nepali nicaraguan nigerian nigerien norwegian omani pakistani palestinian panamanian paraguayan
peruvian polish portuguese qatari romanian russian rwandan salvadoran saudi scottish senegalese
serbian sierra leonean singaporean slovak slovakian slovenian somali south african spanish
sri lankan sudanese surinamese swedish swiss syrian taiwanese tajik tanzanian thai togolese
trinidadian tunisian turkish turkmen ugandan ukrainian uruguayan uzbek venezuelan vietnamese
welsh yemeni zambian zimbabwean roma romani european african asian arab caribbean
"""

PLACES: Final = """
barking dagenham barnet bexley brent bromley camden croydon ealing enfield greenwich hackney
hammersmith fulham haringey harrow havering hillingdon hounslow islington kensington chelsea
kingston thames lambeth lewisham merton newham redbridge richmond southwark sutton tower hamlets
waltham forest wandsworth westminster city of london london uk britain great england scotland
wales northern ireland europe africa asia birmingham manchester liverpool leeds sheffield bristol
newcastle nottingham leicester coventry bradford glasgow edinburgh cardiff belfast luton slough
reading southampton portsmouth kent essex surrey sussex hertfordshire heathrow gatwick stansted
dover calais stratford peckham brixton tottenham walthamstow ilford romford wembley southall
whitechapel shoreditch soho kings cross euston paddington victoria
"""

BUSINESS: Final = """
nail bar nails salon hand car wash car wash takeaway hot food restaurant cafe shop convenience
store off licence barber barbers hotel brothel massage parlour farm factory warehouse
construction site building site care home private household household cannabis farm
agency recruitment agency cleaning company
"""

VOCABULARY: Final = """
county lines modern slavery human trafficking trafficking exploitation forced labour labor
sexual criminal domestic servitude debt bondage organ harvesting forced marriage begging
nrm duty to notify first responder reasonable grounds conclusive grounds home office police
met metropolitan national crime agency nca salvation army gla council social services
safeguarding mash marac hospital a&e nhs gp ngo charity victim suspect exploiter controller
potential victim mr mrs ms miss dr
email e-mail phone mobile tel telephone number passport car van vehicle reg nhs ni iban sort code
account address dob date birth born visa id card brp he she they her him his them victim client
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
"""

ORG_WORDS: Final = frozenset(
    ["ltd", "limited", "plc", "llp", "inc", "co", "company", "services", "agency", "council", "police", "hospital", "nhs", "trust", "station", "court", "school", "college", "university", "church", "mosque", "temple", "centre", "center", "office", "bank", "group", "army", "nails", "wash", "salon", "takeaway", "restaurant", "cafe", "shop", "store", "market", "farm", "factory", "warehouse", "hotel"]
)
"""Words that mark a span as an organisation or place rather than a person."""

KEEP_PHRASES: Final = frozenset(
    " ".join(line.split()) for block in (BUSINESS, VOCABULARY) for line in block.strip().splitlines()
)


def _country_names() -> set[str]:
    try:
        import phonenumbers
        from phonenumbers import geocoder

        return {
            geocoder._region_display_name(region, "en").lower()
            for region in phonenumbers.SUPPORTED_REGIONS
        } - {""}
    except (ImportError, AttributeError):  # pragma: no cover - phonenumbers is a dependency
        return set()


@functools.cache
def country_names() -> frozenset[str]:
    """Countries' English names, lower case (phonenumbers' offline geocoder data).

    >>> {"poland", "sierra leone"} <= country_names()
    True
    """
    return frozenset(_country_names())


@functools.cache
def kept_words() -> frozenset[str]:
    """Every single word that is kept (lower case, accents as written).

    >>> {"albanian", "newham", "nail", "romania"} <= kept_words()
    True
    """
    words: set[str] = set()
    for block in (NATIONALITIES, PLACES, BUSINESS, VOCABULARY):
        words.update(block.split())
    for name in country_names():
        words.update(re.findall(r"[a-z]+", name))
    words -= {"and", "the", "of", "to", "a", "island", "islands", "republic", "saint", "st"}
    return frozenset(words)


def is_kept(text: str) -> bool:
    """Whether every word of ``text`` is kept vocabulary (then it is not a person's name).

    :param text: a candidate span, e.g. an NER entity.

    >>> is_kept("Albanian"), is_kept("Tower Hamlets"), is_kept("Anna Kovacs")
    (True, True, False)
    """
    words = re.findall(r"[^\W\d_]+", text.lower())
    return bool(words) and all(w in kept_words() for w in words)


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
