"""Caseworker notes with every planted identifier labelled: the scrubber's test and benchmark set.

A note is built sentence by sentence from templates whose slots are either identifiers (a
labelled span: PERSON, PHONE, EMAIL, POSTCODE, ADDRESS, DATE, NHS_NUMBER, NI_NUMBER, VEHICLE,
IBAN, BANK_ACCOUNT, PASSPORT, IP, URL) or context the scrubber must keep (nationalities,
boroughs, business types, exploitation vocabulary, countries). The CSV generator writes its
notes with the same machinery, so the identifiers it plants are listed in ``identifiers.json``.
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from anonymise.london import BOROUGHS
from partner_client.demo_data.people import (
    INWARD_LETTERS,
    NAMES,
    STREETS,
    Identifiers,
    TruePerson,
    birth_date,
    pick_name,
    pick_nationality,
    weighted,
)
from partner_client.demo_data.places import AREAS

__all__ = ["ENTITY_TYPES", "LabelledNote", "NoteSubject", "compose_note", "labelled_notes"]

ENTITY_TYPES: Final = (
    "PERSON", "PHONE", "EMAIL", "POSTCODE", "ADDRESS", "DATE", "NHS_NUMBER", "NI_NUMBER",
    "VEHICLE", "IBAN", "BANK_ACCOUNT", "PASSPORT", "IP", "URL",
)

DEMONYMS: Final[dict[str, tuple[str, str]]] = {
    "GB": ("British", "the UK"), "AL": ("Albanian", "Albania"), "VN": ("Vietnamese", "Vietnam"),
    "ER": ("Eritrean", "Eritrea"), "SD": ("Sudanese", "Sudan"), "RO": ("Romanian", "Romania"),
    "IN": ("Indian", "India"), "NG": ("Nigerian", "Nigeria"), "PL": ("Polish", "Poland"),
    "CN": ("Chinese", "China"), "AF": ("Afghan", "Afghanistan"), "IR": ("Iranian", "Iran"),
    "ET": ("Ethiopian", "Ethiopia"), "PK": ("Pakistani", "Pakistan"), "BG": ("Bulgarian", "Bulgaria"),
    "LT": ("Lithuanian", "Lithuania"), "PH": ("Filipino", "the Philippines"),
}
LANGUAGES: Final[dict[str, str]] = {
    "GB": "English", "AL": "Albanian", "VN": "Vietnamese", "ER": "Tigrinya", "SD": "Arabic",
    "RO": "Romanian", "IN": "Punjabi", "NG": "English", "PL": "Polish", "CN": "Mandarin",
    "AF": "Pashto", "IR": "Farsi", "ET": "Amharic", "PK": "Urdu", "BG": "Bulgarian",
    "LT": "Lithuanian", "PH": "Tagalog",
}
PREMISES: Final[dict[str, str]] = {
    "hand_car_wash": "hand car wash", "nail_bar": "nail bar", "hot_food_takeaway": "takeaway",
    "convenience_store": "convenience store", "restaurant": "restaurant",
    "brothel_residential": "flat used as a brothel", "construction_site": "building site",
    "factory_warehouse": "warehouse", "care_home": "care home", "private_household": "private house",
    "street": "park", "agricultural_site": "farm", "online_only": "online", "other": "hotel",
}
EXPLOITATION_WORDS: Final[dict[str, str]] = {
    "criminal": "criminal exploitation", "labour": "labour exploitation",
    "sexual": "sexual exploitation", "domestic_servitude": "domestic servitude", "unknown": "exploitation",
}


@dataclass(frozen=True)
class LabelledNote:
    """A note, the record's identifiers the scrubber is told about, and every planted span."""

    text: str
    known: list[str]
    spans: list[tuple[int, int, str]]
    kept: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NoteSubject:
    """What a note is about: the recorded person (as written in the row) and the event."""

    person: TruePerson
    given: str
    surname: str
    event: date
    premises: str
    borough_name: str
    known: tuple[str, ...]
    exploitation: str = ""


_SLOT: Final = re.compile(r"\{([a-z_0-9]+)\}")

OPENINGS: Final = (
    "{given} is a {age}-year-old {demonym} {noun} referred to us after an outreach visit to a {premises} in {borough}.",
    "{full} attended the drop-in on {date} with {other}, who said they were a cousin.",
    "First contact with {given} was on {date} at a {premises} on {address}, {borough}.",
    "Met {full} ({demonym}) at the {borough} hub on {date}; an interpreter was used throughout.",
    "{given} {surname} was brought in by {other} from the {premises}, {borough}, on {date}.",
)
MIDDLES: Final = (
    "{pron_cap} describes working long hours at a {premises} for no pay; someone known as {other_given} collects the wages and keeps the passport ({passport}).",
    "{pron_cap} was recruited in {country} through a job advert promising work in a {premises} and was told the journey debt was £4,000.",
    "Money was sent to account {iban} in the name of {other}, a contact of the controller.",
    "Wages are paid into sort code {sort_code} account {account}, which {pron} cannot access.",
    "The advert was found at {url} with a contact number {new_phone}.",
    "The profile used to recruit {pron_obj} was last accessed from IP address {ip}.",
    "{pron_cap} lives at {address}, {postcode} with four other {demonym} workers and sleeps on the floor.",
    "GP registration pending; NHS number {nhs} confirmed with the practice.",
    "{pron_cap} says NI number {ni} was used by someone else to open a bank account.",
    "{given}'s phone is {phone} and email {email}; do not leave voicemails as the phone may be checked.",
    "Date of birth given as {dob}, which {pron} later said the agent made up.",
    "{pron_cap} mentioned a friend, {other}, who is still at the {premises} in {borough2}.",
    "{other_given} drives the workers to the {premises} every morning at six in a van, registration {vehicle}.",
    "The landlord, {other}, came to the property at {address}, {postcode} and took {given}'s phone.",
)
CRIMINAL: Final = (
    "There are signs of {exploitation}: drugs runs from {borough} to Norfolk, a deal line on {new_phone} and pick-ups in a grey car, registration {vehicle}.",
    "{given} was found holding a burner phone ({new_phone}) and £300 in cash; {other_given} is believed to run the line.",
)
SUSPECT: Final = (
    "{full} is believed to control several {demonym} workers at the {premises} in {borough}.",
    "Seen on {date} driving {vehicle} near the {premises}, {borough}, with {other} in the passenger seat.",
    "Uses {phone} and {new_phone}; top-ups paid from account {iban}.",
    "Associated address {address}, {postcode}, where workers are housed.",
    "Known to collect wages from workers every Friday; nickname {other_given}.",
    "Adverts posted at {url} list {phone} as the contact number.",
    "Intelligence suggests {pron} arranges travel from {country} for {exploitation}.",
    "DOB {dob} per PNC; also uses the name {other}.",
)
CLINICAL_OPENINGS: Final = (
    "{given} {surname} ({age}) attended ED on {date} accompanied by {other}, who answered most questions on the patient's behalf.",
    "Pt {full} presented on {date} with an injury sustained at a {premises} in {borough}; history inconsistent.",
    "{age}-year-old {demonym} {noun} brought in by an adult who gave the name {other_given}; {pron} avoided eye contact and did not know {poss} own address.",
)
CLINICAL_ENDINGS: Final = (
    "Safeguarding team informed; MASH referral to {borough} made on {date2}.",
    "Discussed with the safeguarding lead; Duty to Notify completed. Follow-up in clinic {date2}.",
    "Pt discharged with leaflets in {language} and the Modern Slavery Helpline number; concerns of {exploitation}.",
)
INTEL_OPENINGS: Final = (
    "Intelligence indicates {full} is being exploited at a {premises} in {borough}; first reported on {date}.",
    "{given} {surname} stopped on {date} near a {premises}, {borough}; gave an address of {address}.",
    "Information received that {given} ({demonym}, {age}) is controlled by {other} and working at a {premises}.",
)
INTEL_ENDINGS: Final = (
    "Recommend safeguarding visit and NRM referral; intel to be developed.",
    "Referred to the MSHT team; {given} to be treated as a potential victim of {exploitation}.",
    "Grading reviewed {date2}; further enquiries at the {premises} in {borough}.",
)
STYLES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}
ENDINGS: Final = (
    "Strategy meeting booked for {date2}; NRM referral discussed and {pron} consented.",
    "Next appointment {date2} with an interpreter; {given} is anxious about the {borough} address.",
    "Referred to the {borough} MASH and to the Salvation Army for safe house accommodation.",
    "Duty to Notify completed as {pron} did not consent to an NRM referral; follow-up on {date2}.",
    "Police informed; crime reference to follow. {given} remains at risk of {exploitation}.",
)


STYLES.update({
    "caseworker": (OPENINGS, ENDINGS),
    "clinical": (CLINICAL_OPENINGS, CLINICAL_ENDINGS),
    "intel": (INTEL_OPENINGS, INTEL_ENDINGS),
})
"""How each kind of partner opens and closes a note about a victim."""


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[tuple[int, int, str]] = []
        self.kept: list[str] = []
        self.words = 0
        """Spaces outside slot values: close enough to the word count for sizing a note."""

    def add(self, text: str, kind: str | None = None) -> None:
        if kind == "KEEP":
            self.kept.append(text)
        elif kind is not None:
            self.spans.append((self.length, self.length + len(text), kind))
        self.parts.append(text)
        self.length += len(text)
        if kind is None:
            self.words += text.count(" ")

    @property
    def text(self) -> str:
        return "".join(self.parts)


class _Once:
    def __init__(self, make: Callable[[], tuple[str, str]]) -> None:
        self._make = make
        self._value: tuple[str, str] | None = None

    def __call__(self) -> tuple[str, str]:
        if self._value is None:
            self._value = self._make()
        return self._value


class _Slots:
    """Slot values made on first use, then reused, so a note repeats a phone consistently."""

    def __init__(self, makers: dict[str, Callable[[], tuple[str, str | None]]]) -> None:
        self._makers = makers
        self._values: dict[str, tuple[str, str | None]] = {}

    def __getitem__(self, key: str) -> tuple[str, str | None]:
        if key not in self._values:
            self._values[key] = self._makers[key]()
        return self._values[key]


def _render(template: str, slots: _Slots, out: _Builder) -> None:
    pos = 0
    for match in _SLOT.finditer(template):
        out.add(template[pos:match.start()])
        value, kind = slots[match.group(1)]
        out.add(value, kind)
        pos = match.end()
    out.add(template[pos:])


def _format_date(rng: random.Random, day: date) -> str:
    style = rng.randrange(4)
    if style == 0:
        return day.strftime("%d/%m/%Y")
    if style == 1:
        return f"{day.day} {day.strftime('%B %Y')}"
    if style == 2:
        return f"{day.day}/{day.month}/{day.strftime('%y')}"
    return f"{day.day} {day.strftime('%b')}"


def _phone_form(rng: random.Random, phone: str) -> str:
    digits = phone.replace(" ", "")
    return rng.choice([phone, digits, "+44 " + phone[1:], digits[:5] + "-" + digits[5:]])


def compose_note(
    rng: random.Random, subject: NoteSubject, ids: Identifiers, *, suspect: bool = False,
    style: str = "caseworker",
) -> LabelledNote:
    """About 70 words of caseworker prose on ``subject`` with every identifier labelled.

    ``style`` is how the partner writes (``caseworker``, ``clinical``, ``intel``); with
    ``suspect`` the note is a police intelligence entry about a suspect instead.
    """
    person = subject.person
    exploitation = subject.exploitation or person.exploitation
    other_nat = person.nationality if rng.random() < 0.6 else pick_nationality(rng)
    other_given, other_surname = subject.given, subject.surname
    while other_given in (subject.given, subject.surname) or other_surname in (subject.given, subject.surname):
        other_given, other_surname = pick_name(rng, other_nat, rng.choice(["male", "female"]))
    age = (subject.event - person.dob).days // 365
    female = person.sex == "female"
    demonym, country = DEMONYMS.get(person.nationality, ("foreign", "abroad"))
    bank = _Once(ids.sort_code_account)
    makers: dict[str, Callable[[], tuple[str, str | None]]] = {
        "given": lambda: (subject.given, "PERSON"), "surname": lambda: (subject.surname, "PERSON"),
        "full": lambda: (f"{subject.given} {subject.surname}", "PERSON"),
        "other": lambda: (f"{other_given} {other_surname}", "PERSON"), "other_given": lambda: (other_given, "PERSON"),
        "age": lambda: (str(age), None), "demonym": lambda: (demonym, "KEEP"), "country": lambda: (country, "KEEP"),
        "noun": lambda: ("girl" if female and age < 18 else "boy" if age < 18 else "woman" if female else "man", None),
        "premises": lambda: (subject.premises, "KEEP"), "borough": lambda: (subject.borough_name, "KEEP"),
        "borough2": lambda: (rng.choice([b.name for b in BOROUGHS if b.name != subject.borough_name]), "KEEP"),
        "exploitation": lambda: (EXPLOITATION_WORDS.get(exploitation, "exploitation"), "KEEP"),
        "date": lambda: (_format_date(rng, subject.event), "DATE"),
        "date2": lambda: (_format_date(rng, subject.event + timedelta(days=rng.randrange(3, 30))), "DATE"),
        "dob": lambda: (person.dob.strftime(rng.choice(["%d/%m/%Y", "%d.%m.%Y", "%d %B %Y"])), "DATE"),
        "address": lambda: (f"{person.house} {person.street}", "ADDRESS"),
        "postcode": lambda: (person.postcode, "POSTCODE"),
        "phone": lambda: (_phone_form(rng, person.phone or ids.mobile()), "PHONE"),
        "new_phone": lambda: (_phone_form(rng, ids.mobile()), "PHONE"),
        "email": lambda: (person.email or ids.email(other_given, other_surname), "EMAIL"),
        "nhs": lambda: (person.nhs, "NHS_NUMBER"), "ni": lambda: (person.ni or ids.ni(), "NI_NUMBER"),
        "vehicle": lambda: (person.vehicle or ids.vehicle(), "VEHICLE"), "iban": lambda: (ids.iban(), "IBAN"),
        "sort_code": lambda: (bank()[0], "BANK_ACCOUNT"), "account": lambda: (bank()[1], "BANK_ACCOUNT"),
        "passport": lambda: (person.passport or ids.passport(), "PASSPORT"), "ip": lambda: (ids.ip(), "IP"),
        "url": lambda: (f"https://www.example.com/jobs/{rng.randrange(10000, 99999)}", "URL"),
        "pron": lambda: ("she" if female else "he", None), "pron_cap": lambda: ("She" if female else "He", None),
        "pron_obj": lambda: ("her" if female else "him", None),
        "language": lambda: (LANGUAGES.get(person.nationality, "English"), "KEEP"),
        "poss": lambda: ("her" if female else "his", None),
    }
    slots = _Slots(makers)
    out = _Builder()
    if suspect:
        middles = list(rng.sample(SUSPECT[1:], k=len(SUSPECT) - 1))
        _render(SUSPECT[0], slots, out)
        ending = middles.pop()
    else:
        middles = [t for t in rng.sample(MIDDLES, k=len(MIDDLES)) if person.nationality != "GB" or "{country}" not in t]
        if exploitation == "criminal" and rng.random() < 0.8:
            middles.append(rng.choice(CRIMINAL))
        openings, endings = STYLES[style]
        _render(rng.choice(openings), slots, out)
        ending = rng.choice(endings)
    ending_words = len(ending.split())
    while out.words + ending_words < 54 and middles:
        out.add(" ")
        _render(middles.pop(), slots, out)
    out.add(" ")
    _render(ending, slots, out)
    return LabelledNote(text=out.text, known=list(subject.known), spans=out.spans, kept=out.kept)


def standalone_subject(rng: random.Random, ids: Identifiers, index: int) -> NoteSubject:
    """A fictional person and event for a note that belongs to no CSV row."""
    nationality = pick_nationality(rng)
    sex = weighted(rng, {"male": 0.6, "female": 0.4})
    given, surname = pick_name(rng, nationality, sex)
    event = date(2026, 7, 1) + timedelta(days=rng.randrange(92))
    borough = rng.choice(BOROUGHS)
    person = TruePerson(
        pid=f"N{index:05d}", given=given, surname=surname, sex=sex,
        dob=birth_date(rng, rng.randrange(14, 55), event), nationality=nationality,
        role="potential_victim", phone=ids.mobile(), email=ids.email(given, surname),
        house=str(rng.randrange(1, 180)), street=rng.choice(STREETS),
        postcode=f"{AREAS[borough.gss]}{rng.randrange(30, 99)} {rng.randrange(1, 10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}",
        borough=borough.gss, nhs=ids.nhs(), ni=ids.ni(), passport=ids.passport(),
        exploitation=weighted(rng, {"criminal": 35, "labour": 30, "sexual": 20, "domestic_servitude": 6, "unknown": 9}),
    )
    known = (f"{surname}, {given}", given, surname, person.phone or "", person.email or "",
             person.dob.strftime("%d/%m/%Y"), f"{person.house} {person.street}", person.nhs)
    premises = rng.choice(list(PREMISES.values()))
    return NoteSubject(person, given, surname, event, premises, borough.name, known)


def labelled_notes(n: int, seed: int) -> list[LabelledNote]:
    """``n`` labelled notes of about 70 words, the same for the same seed.

    >>> notes = labelled_notes(3, seed=1)
    >>> all(note.text[s:e] for note in notes for s, e, _ in note.spans)
    True
    >>> notes == labelled_notes(3, seed=1)
    True
    """
    rng = random.Random(seed)  # noqa: S311 - seeded fiction, reproducible by design; not security
    ids = Identifiers(rng)
    return [compose_note(rng, standalone_subject(rng, ids, i), ids) for i in range(n)]


assert set(NAMES) <= set(DEMONYMS)
