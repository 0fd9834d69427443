"""Countries: ISO 3166-1 codes, their UN M49 world region, and nationality text read as a code.

Nationality is a quasi-identifier: a rare nationality in a small borough can single a person
out. ``region_of`` gives the generalisation step (UN M49 sub-regions, with the intermediate
regions for Africa and the Americas), written as ``region:<snake_name>`` codes.
"""

import re
import unicodedata
from functools import cache
from typing import Final

__all__ = ["REGIONS", "alpha3_of", "country_name", "nationality_code", "region_of"]

MARKERS: Final = frozenset({"unknown", "not_asked", "not_applicable", "other"})
UNKNOWN_TEXT: Final = frozenset({
    "", "unknown", "not known", "nk", "n/k", "unk", "n/a", "na", "none", "not recorded",
    "not stated", "prefer not to say", "stateless", "?", "-", "not asked",
})
_NOISE: Final = re.compile(r"\b(national|nationality|citizen|citizenship|passport holder|origin)\b")
_PUNCT: Final = re.compile(r"[^\w\s]")

# code|alpha-3|region|names (;-separated)|demonyms (;-separated)
_TABLE: Final = """
AC|ASC|western_africa|Ascension Island|
AD|AND|southern_europe|Andorra|Andorran
AE|ARE|western_asia|United Arab Emirates|Emirati
AF|AFG|southern_asia|Afghanistan|Afghan
AG|ATG|caribbean|Antigua and Barbuda|Antiguan
AI|AIA|caribbean|Anguilla|Anguillan
AL|ALB|southern_europe|Albania|Albanian
AM|ARM|western_asia|Armenia|Armenian
AO|AGO|middle_africa|Angola|Angolan
AR|ARG|south_america|Argentina|Argentine;Argentinian
AS|ASM|polynesia|American Samoa|
AT|AUT|western_europe|Austria|Austrian
AU|AUS|australia_new_zealand|Australia|Australian
AW|ABW|caribbean|Aruba|Aruban
AX|ALA|northern_europe|Åland Islands|
AZ|AZE|western_asia|Azerbaijan|Azerbaijani;Azeri
BA|BIH|southern_europe|Bosnia and Herzegovina;Bosnia|Bosnian
BB|BRB|caribbean|Barbados|Barbadian;Bajan
BD|BGD|southern_asia|Bangladesh|Bangladeshi
BE|BEL|western_europe|Belgium|Belgian
BF|BFA|western_africa|Burkina Faso|Burkinabe
BG|BGR|eastern_europe|Bulgaria|Bulgarian
BH|BHR|western_asia|Bahrain|Bahraini
BI|BDI|eastern_africa|Burundi|Burundian
BJ|BEN|western_africa|Benin|Beninese
BL|BLM|caribbean|Saint Barthélemy|
BM|BMU|northern_america|Bermuda|Bermudian
BN|BRN|south_eastern_asia|Brunei;Brunei Darussalam|Bruneian
BO|BOL|south_america|Bolivia|Bolivian
BQ|BES|caribbean|Bonaire, Sint Eustatius and Saba;Caribbean Netherlands|
BR|BRA|south_america|Brazil|Brazilian
BS|BHS|caribbean|Bahamas;The Bahamas|Bahamian
BT|BTN|southern_asia|Bhutan|Bhutanese
BW|BWA|southern_africa|Botswana|Motswana;Batswana;Botswanan
BY|BLR|eastern_europe|Belarus|Belarusian
BZ|BLZ|central_america|Belize|Belizean
CA|CAN|northern_america|Canada|Canadian
CC|CCK|australia_new_zealand|Cocos (Keeling) Islands;Cocos Islands|
CD|COD|middle_africa|Democratic Republic of the Congo;DR Congo;DRC;Congo-Kinshasa;Congo (Democratic Republic)|Congolese (DRC)
CF|CAF|middle_africa|Central African Republic|Central African
CG|COG|middle_africa|Republic of the Congo;Congo;Congo-Brazzaville|Congolese
CH|CHE|western_europe|Switzerland|Swiss
CI|CIV|western_africa|Côte d'Ivoire;Ivory Coast|Ivorian
CK|COK|polynesia|Cook Islands|
CL|CHL|south_america|Chile|Chilean
CM|CMR|middle_africa|Cameroon|Cameroonian
CN|CHN|eastern_asia|China;People's Republic of China;PRC|Chinese
CO|COL|south_america|Colombia|Colombian
CR|CRI|central_america|Costa Rica|Costa Rican
CU|CUB|caribbean|Cuba|Cuban
CV|CPV|western_africa|Cabo Verde;Cape Verde|Cape Verdean
CW|CUW|caribbean|Curaçao|
CX|CXR|australia_new_zealand|Christmas Island|
CY|CYP|western_asia|Cyprus|Cypriot
CZ|CZE|eastern_europe|Czechia;Czech Republic|Czech
DE|DEU|western_europe|Germany|German
DJ|DJI|eastern_africa|Djibouti|Djiboutian
DK|DNK|northern_europe|Denmark|Danish;Dane
DM|DMA|caribbean|Dominica|Dominican (Dominica)
DO|DOM|caribbean|Dominican Republic|Dominican
DZ|DZA|northern_africa|Algeria|Algerian
EC|ECU|south_america|Ecuador|Ecuadorian
EE|EST|northern_europe|Estonia|Estonian
EG|EGY|northern_africa|Egypt|Egyptian
EH|ESH|northern_africa|Western Sahara|Sahrawi
ER|ERI|eastern_africa|Eritrea|Eritrean
ES|ESP|southern_europe|Spain|Spanish;Spaniard
ET|ETH|eastern_africa|Ethiopia|Ethiopian
FI|FIN|northern_europe|Finland|Finnish;Finn
FJ|FJI|melanesia|Fiji|Fijian
FK|FLK|south_america|Falkland Islands|Falkland Islander
FM|FSM|micronesia|Micronesia;Federated States of Micronesia|Micronesian
FO|FRO|northern_europe|Faroe Islands|Faroese
FR|FRA|western_europe|France|French
GA|GAB|middle_africa|Gabon|Gabonese
GB|GBR|northern_europe|United Kingdom;UK;U.K.;Great Britain;Britain;England;Scotland;Wales;Northern Ireland;United Kingdom of Great Britain and Northern Ireland|British;English;Scottish;Welsh;Northern Irish;Brit
GD|GRD|caribbean|Grenada|Grenadian
GE|GEO|western_asia|Georgia|Georgian
GF|GUF|south_america|French Guiana|
GG|GGY|northern_europe|Guernsey|
GH|GHA|western_africa|Ghana|Ghanaian
GI|GIB|southern_europe|Gibraltar|Gibraltarian
GL|GRL|northern_america|Greenland|Greenlandic
GM|GMB|western_africa|Gambia;The Gambia|Gambian
GN|GIN|western_africa|Guinea|Guinean
GP|GLP|caribbean|Guadeloupe|
GQ|GNQ|middle_africa|Equatorial Guinea|Equatoguinean
GR|GRC|southern_europe|Greece|Greek
GT|GTM|central_america|Guatemala|Guatemalan
GU|GUM|micronesia|Guam|
GW|GNB|western_africa|Guinea-Bissau|Bissau-Guinean
GY|GUY|south_america|Guyana|Guyanese
HK|HKG|eastern_asia|Hong Kong|Hongkonger
HN|HND|central_america|Honduras|Honduran
HR|HRV|southern_europe|Croatia|Croatian
HT|HTI|caribbean|Haiti|Haitian
HU|HUN|eastern_europe|Hungary|Hungarian
ID|IDN|south_eastern_asia|Indonesia|Indonesian
IE|IRL|northern_europe|Ireland;Republic of Ireland;Eire|Irish
IL|ISR|western_asia|Israel|Israeli
IM|IMN|northern_europe|Isle of Man|Manx
IN|IND|southern_asia|India|Indian
IO|IOT|eastern_africa|British Indian Ocean Territory|
IQ|IRQ|western_asia|Iraq|Iraqi
IR|IRN|southern_asia|Iran;Islamic Republic of Iran|Iranian;Persian
IS|ISL|northern_europe|Iceland|Icelandic
IT|ITA|southern_europe|Italy|Italian
JE|JEY|northern_europe|Jersey|
JM|JAM|caribbean|Jamaica|Jamaican
JO|JOR|western_asia|Jordan|Jordanian
JP|JPN|eastern_asia|Japan|Japanese
KE|KEN|eastern_africa|Kenya|Kenyan
KG|KGZ|central_asia|Kyrgyzstan|Kyrgyz
KH|KHM|south_eastern_asia|Cambodia|Cambodian
KI|KIR|micronesia|Kiribati|I-Kiribati
KM|COM|eastern_africa|Comoros|Comoran
KN|KNA|caribbean|Saint Kitts and Nevis;St Kitts and Nevis|Kittitian
KP|PRK|eastern_asia|North Korea;Democratic People's Republic of Korea;DPRK|North Korean
KR|KOR|eastern_asia|South Korea;Republic of Korea;Korea|South Korean;Korean
KW|KWT|western_asia|Kuwait|Kuwaiti
KY|CYM|caribbean|Cayman Islands|Caymanian
KZ|KAZ|central_asia|Kazakhstan|Kazakh;Kazakhstani
LA|LAO|south_eastern_asia|Laos;Lao People's Democratic Republic|Lao;Laotian
LB|LBN|western_asia|Lebanon|Lebanese
LC|LCA|caribbean|Saint Lucia;St Lucia|Saint Lucian
LI|LIE|western_europe|Liechtenstein|
LK|LKA|southern_asia|Sri Lanka|Sri Lankan
LR|LBR|western_africa|Liberia|Liberian
LS|LSO|southern_africa|Lesotho|Basotho;Mosotho
LT|LTU|northern_europe|Lithuania|Lithuanian
LU|LUX|western_europe|Luxembourg|Luxembourgish
LV|LVA|northern_europe|Latvia|Latvian
LY|LBY|northern_africa|Libya|Libyan
MA|MAR|northern_africa|Morocco|Moroccan
MC|MCO|western_europe|Monaco|Monegasque
MD|MDA|eastern_europe|Moldova;Republic of Moldova|Moldovan
ME|MNE|southern_europe|Montenegro|Montenegrin
MF|MAF|caribbean|Saint Martin|
MG|MDG|eastern_africa|Madagascar|Malagasy
MH|MHL|micronesia|Marshall Islands|Marshallese
MK|MKD|southern_europe|North Macedonia;Macedonia|Macedonian
ML|MLI|western_africa|Mali|Malian
MM|MMR|south_eastern_asia|Myanmar;Burma|Burmese;Myanmar
MN|MNG|eastern_asia|Mongolia|Mongolian
MO|MAC|eastern_asia|Macao;Macau|
MP|MNP|micronesia|Northern Mariana Islands|
MQ|MTQ|caribbean|Martinique|
MR|MRT|western_africa|Mauritania|Mauritanian
MS|MSR|caribbean|Montserrat|
MT|MLT|southern_europe|Malta|Maltese
MU|MUS|eastern_africa|Mauritius|Mauritian
MV|MDV|southern_asia|Maldives|Maldivian
MW|MWI|eastern_africa|Malawi|Malawian
MX|MEX|central_america|Mexico|Mexican
MY|MYS|south_eastern_asia|Malaysia|Malaysian
MZ|MOZ|eastern_africa|Mozambique|Mozambican
NA|NAM|southern_africa|Namibia|Namibian
NC|NCL|melanesia|New Caledonia|
NE|NER|western_africa|Niger|Nigerien
NF|NFK|australia_new_zealand|Norfolk Island|
NG|NGA|western_africa|Nigeria|Nigerian
NI|NIC|central_america|Nicaragua|Nicaraguan
NL|NLD|western_europe|Netherlands;The Netherlands;Holland|Dutch
NO|NOR|northern_europe|Norway|Norwegian
NP|NPL|southern_asia|Nepal|Nepalese;Nepali
NR|NRU|micronesia|Nauru|Nauruan
NU|NIU|polynesia|Niue|
NZ|NZL|australia_new_zealand|New Zealand|New Zealander;Kiwi
OM|OMN|western_asia|Oman|Omani
PA|PAN|central_america|Panama|Panamanian
PE|PER|south_america|Peru|Peruvian
PF|PYF|polynesia|French Polynesia|
PG|PNG|melanesia|Papua New Guinea|Papua New Guinean
PH|PHL|south_eastern_asia|Philippines;The Philippines|Filipino;Filipina;Philippine
PK|PAK|southern_asia|Pakistan|Pakistani
PL|POL|eastern_europe|Poland|Polish;Pole
PM|SPM|northern_america|Saint Pierre and Miquelon|
PR|PRI|caribbean|Puerto Rico|Puerto Rican
PS|PSE|western_asia|Palestine;State of Palestine;Occupied Palestinian Territories|Palestinian
PT|PRT|southern_europe|Portugal|Portuguese
PW|PLW|micronesia|Palau|Palauan
PY|PRY|south_america|Paraguay|Paraguayan
QA|QAT|western_asia|Qatar|Qatari
RE|REU|eastern_africa|Réunion;Reunion|
RO|ROU|eastern_europe|Romania|Romanian
RS|SRB|southern_europe|Serbia|Serbian;Serb
RU|RUS|eastern_europe|Russia;Russian Federation|Russian
RW|RWA|eastern_africa|Rwanda|Rwandan
SA|SAU|western_asia|Saudi Arabia|Saudi;Saudi Arabian
SB|SLB|melanesia|Solomon Islands|Solomon Islander
SC|SYC|eastern_africa|Seychelles|Seychellois
SD|SDN|northern_africa|Sudan|Sudanese
SE|SWE|northern_europe|Sweden|Swedish;Swede
SG|SGP|south_eastern_asia|Singapore|Singaporean
SH|SHN|western_africa|Saint Helena|
SI|SVN|southern_europe|Slovenia|Slovenian;Slovene
SJ|SJM|northern_europe|Svalbard and Jan Mayen|
SK|SVK|eastern_europe|Slovakia|Slovak;Slovakian
SL|SLE|western_africa|Sierra Leone|Sierra Leonean
SM|SMR|southern_europe|San Marino|Sammarinese
SN|SEN|western_africa|Senegal|Senegalese
SO|SOM|eastern_africa|Somalia|Somali
SR|SUR|south_america|Suriname|Surinamese
SS|SSD|eastern_africa|South Sudan|South Sudanese
ST|STP|middle_africa|Sao Tome and Principe;São Tomé and Príncipe|
SV|SLV|central_america|El Salvador|Salvadoran;Salvadorean
SX|SXM|caribbean|Sint Maarten|
SY|SYR|western_asia|Syria;Syrian Arab Republic|Syrian
SZ|SWZ|southern_africa|Eswatini;Swaziland|Swazi;Eswatini
TA|TAA|western_africa|Tristan da Cunha|
TC|TCA|caribbean|Turks and Caicos Islands|
TD|TCD|middle_africa|Chad|Chadian
TG|TGO|western_africa|Togo|Togolese
TH|THA|south_eastern_asia|Thailand|Thai
TJ|TJK|central_asia|Tajikistan|Tajik;Tajikistani
TK|TKL|polynesia|Tokelau|
TL|TLS|south_eastern_asia|Timor-Leste;East Timor|Timorese
TM|TKM|central_asia|Turkmenistan|Turkmen
TN|TUN|northern_africa|Tunisia|Tunisian
TO|TON|polynesia|Tonga|Tongan
TR|TUR|western_asia|Türkiye;Turkey|Turkish;Turk
TT|TTO|caribbean|Trinidad and Tobago|Trinidadian;Tobagonian
TV|TUV|polynesia|Tuvalu|Tuvaluan
TW|TWN|eastern_asia|Taiwan|Taiwanese
TZ|TZA|eastern_africa|Tanzania;United Republic of Tanzania|Tanzanian
UA|UKR|eastern_europe|Ukraine|Ukrainian
UG|UGA|eastern_africa|Uganda|Ugandan
US|USA|northern_america|United States;United States of America;USA;U.S.A.;US;America|American
UY|URY|south_america|Uruguay|Uruguayan
UZ|UZB|central_asia|Uzbekistan|Uzbek;Uzbekistani
VA|VAT|southern_europe|Vatican;Holy See;Vatican City|
VC|VCT|caribbean|Saint Vincent and the Grenadines;St Vincent|Vincentian
VE|VEN|south_america|Venezuela|Venezuelan
VG|VGB|caribbean|British Virgin Islands|
VI|VIR|caribbean|U.S. Virgin Islands;US Virgin Islands|
VN|VNM|south_eastern_asia|Vietnam;Viet Nam|Vietnamese
VU|VUT|melanesia|Vanuatu|Ni-Vanuatu
WF|WLF|polynesia|Wallis and Futuna|
WS|WSM|polynesia|Samoa|Samoan
XK|XKX|southern_europe|Kosovo|Kosovan;Kosovar
YE|YEM|western_asia|Yemen|Yemeni
YT|MYT|eastern_africa|Mayotte|
ZA|ZAF|southern_africa|South Africa|South African
ZM|ZMB|eastern_africa|Zambia|Zambian
ZW|ZWE|eastern_africa|Zimbabwe|Zimbabwean
"""


def _rows() -> list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]]:
    rows = []
    for line in _TABLE.strip().splitlines():
        code, alpha3, region, names, demonyms = line.split("|")
        rows.append((code, alpha3, region, tuple(names.split(";")), tuple(filter(None, demonyms.split(";")))))
    return rows


_ROWS: Final = _rows()
_REGION: Final[dict[str, str]] = {code: f"region:{region}" for code, _, region, _, _ in _ROWS}
_ALPHA3: Final[dict[str, str]] = {code: alpha3 for code, alpha3, _, _, _ in _ROWS}
_NAME: Final[dict[str, str]] = {code: names[0] for code, _, _, names, _ in _ROWS}
REGIONS: Final[frozenset[str]] = frozenset(_REGION.values())
"""Every region code ``region_of`` can return."""


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = _PUNCT.sub(" ", re.sub(r"[.'’`]", "", folded))
    folded = _NOISE.sub(" ", folded)
    folded = re.sub(r"^the\s+", "", " ".join(folded.split()))
    return folded


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, alpha3, _, names, demonyms in _ROWS:
        for word in (code, alpha3, *names, *demonyms):
            index.setdefault(_key(word), code)
    return index


@cache
def _unknown_keys() -> frozenset[str]:
    return frozenset(_key(text) for text in UNKNOWN_TEXT) | {""}


def region_of(code: str) -> str:
    """The world region code of an ISO 3166-1 alpha-2 code; markers and regions pass through.

    :param code: an ISO alpha-2 code as the schema's nationality field holds it. Generalising a
        rare nationality to its region is how a small group stops singling a person out.

    >>> region_of("AL"), region_of("ER"), region_of("GB"), region_of("VN")
    ('region:southern_europe', 'region:eastern_africa', 'region:northern_europe', 'region:south_eastern_asia')
    >>> region_of("unknown"), region_of("region:western_asia")
    ('unknown', 'region:western_asia')
    """
    if code in MARKERS or code.startswith("region:"):
        return code
    try:
        return _REGION[code]
    except KeyError:
        raise ValueError("not an ISO 3166-1 alpha-2 code the schema accepts") from None


def nationality_code(text: str) -> str | None:
    """Read nationality as partners write it (name, demonym, alpha-2 or alpha-3) as an ISO code.

    ``None`` when the text says nothing is known or is not recognised; a bare ``NA`` is read
    as "not available", not Namibia (write ``Namibia`` or ``NAM``). The mapping profile
    decides what that becomes (``unknown`` or an error listing the rows).

    :param text: the nationality cell of an export. Never echoed in errors.

    >>> [nationality_code(t) for t in ("Albanian", "Vietnam", "Viet Nam", "British", "UK", "Eritrean")]
    ['AL', 'VN', 'VN', 'GB', 'GB', 'ER']
    >>> nationality_code("ALB"), nationality_code("  sudanese national "), nationality_code("Not known")
    ('AL', 'SD', None)
    """
    key = _key(text)
    if key in _unknown_keys():
        return None
    return _index().get(key)


def alpha3_of(code: str) -> str:
    """The ISO 3166-1 alpha-3 code of an alpha-2 code (``XKX`` for Kosovo, by convention).

    :param code: ISO alpha-2 code.

    >>> alpha3_of("VN")
    'VNM'
    """
    return _ALPHA3[code]


def country_codes() -> list[str]:
    """Every ISO 3166-1 alpha-2 code the schema's nationality field accepts, ordered by country name.

    >>> codes = country_codes()
    >>> "ER" in codes and "GB" in codes, codes == sorted(codes, key=country_name)
    (True, True)
    """
    return sorted(_NAME, key=lambda code: _NAME[code])


def country_name(code: str) -> str:
    """The short English name of an alpha-2 code.

    :param code: ISO alpha-2 code.

    >>> country_name("ER")
    'Eritrea'
    """
    return _NAME[code]
