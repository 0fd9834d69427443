"""Fictional people for the demo exports: names by nationality, identifiers and spelling variants.

Everything here is made up. Phone numbers come from Ofcom's ranges reserved for drama
(07700 900000-900999, 020 7946 0000-0999, 0113 496 0000-0999, 0161 496 0000-0999), emails use
example.org/.com/.net, NHS numbers the 999 test range, IP addresses the RFC 5737 documentation
blocks, and postcodes use outward districts that do not exist (E37, SE34, CR56 ...).
"""

import random
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

# nationality ISO code → (NRM-like weight, male given, female given, surnames)
NAMES: Final[dict[str, tuple[float, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "GB": (24, ("Jayden", "Kai", "Tyler", "Liam", "Callum", "Reece", "Daniel", "Connor", "Jamal", "Kyle"),
           ("Chloe", "Jade", "Leah", "Amber", "Megan", "Shannon", "Zoë", "Renée", "Keira", "Abigail"),
           ("Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "O'Connor", "Clarke", "Walker", "Okafor-Reid", "Campbell", "Hughes")),
    "AL": (20, ("Arben", "Erion", "Ardit", "Besnik", "Klodian", "Dritan", "Endrit", "Gëzim", "Ilir", "Mërgim"),
           ("Blerta", "Elira", "Mirela", "Jonida", "Anisa", "Ermira", "Drita", "Arbëresha", "Valbona", "Fjona"),
           ("Hoxha", "Krasniqi", "Shehu", "Gashi", "Berisha", "Dervishi", "Çela", "Leka", "Murati", "Bajrami")),
    "VN": (7, ("Văn Minh", "Đức Anh", "Quang Huy", "Thanh Tùng", "Văn Nam", "Hoàng Long"),
           ("Thị Lan", "Thị Hoa", "Thu Trang", "Ngọc Anh", "Thị Mai", "Kim Ngân"),
           ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng")),
    "ER": (8, ("Tesfaye", "Yonas", "Berhane", "Dawit", "Filmon", "Samuel"),
           ("Helen", "Selam", "Senait", "Luwam", "Mebrat", "Ruta"),
           ("Tekle", "Ghebremedhin", "Haile", "Tesfamariam", "Kidane", "Woldu")),
    "SD": (6, ("Mohammed", "Ahmed", "Osman", "Abdelrahman", "Ibrahim", "Mustafa"),
           ("Fatima", "Amna", "Hawa", "Mariam", "Samah", "Nafisa"),
           ("Abdalla", "Osman", "Elhassan", "Mohamed", "Adam", "Yousif")),
    "RO": (4, ("Andrei", "Ionuț", "Marius", "Florin", "Cristian", "Gheorghe"),
           ("Ioana", "Andreea", "Mădălina", "Elena", "Cristina", "Roxana"),
           ("Popescu", "Ionescu", "Dumitru", "Stan", "Munteanu", "Lăzărescu")),
    "IN": (3, ("Rahul", "Arjun", "Suresh", "Manpreet", "Vikram", "Rajesh"),
           ("Priya", "Anjali", "Sunita", "Kavita", "Harpreet", "Deepa"),
           ("Sharma", "Singh", "Patel", "Kumar", "Gill", "Reddy")),
    "NG": (3, ("Chinedu", "Emeka", "Oluwaseun", "Tunde", "Ifeanyi", "Segun"),
           ("Blessing", "Chioma", "Adaeze", "Funmilayo", "Ngozi", "Precious"),
           ("Okafor", "Adeyemi", "Eze", "Okonkwo", "Balogun", "Nwosu")),
    "PL": (2, ("Tomasz", "Paweł", "Krzysztof", "Łukasz", "Marek", "Piotr"),
           ("Agnieszka", "Małgorzata", "Katarzyna", "Joanna", "Magdalena", "Ewa"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Zieliński", "Lewandowski")),
    "CN": (2, ("Wei", "Jun", "Hao", "Lei"), ("Mei", "Xiu Ying", "Li Na", "Fang"),
           ("Wang", "Li", "Zhang", "Liu", "Chen")),
    "AF": (2, ("Ahmad", "Farid", "Jawad", "Naveed"), ("Zahra", "Maryam", "Farzana", "Shabnam"),
           ("Ahmadzai", "Rahimi", "Karimi", "Noori")),
    "IR": (2, ("Reza", "Amir", "Hossein", "Mehdi"), ("Shirin", "Leila", "Parisa", "Nasrin"),
           ("Hosseini", "Mohammadi", "Rezaei", "Jafari")),
    "ET": (1, ("Abebe", "Getachew", "Tewodros"), ("Hiwot", "Meron", "Tigist"),
           ("Bekele", "Tadesse", "Alemu")),
    "PK": (1, ("Imran", "Bilal", "Usman"), ("Ayesha", "Sana", "Nadia"), ("Khan", "Hussain", "Iqbal")),
    "BG": (1, ("Georgi", "Dimitar", "Ivan"), ("Maria", "Desislava", "Petya"), ("Petrov", "Ivanov", "Georgiev")),
    "LT": (1, ("Mantas", "Tomas", "Darius"), ("Rūta", "Greta", "Ieva"), ("Kazlauskas", "Petrauskas", "Jankauskas")),
    "PH": (1, ("Jose", "Mark", "Ramon"), ("Maricel", "Rosalie", "Jocelyn"), ("Santos", "Reyes", "Dela Cruz")),
}

VARIANTS: Final[dict[str, tuple[str, ...]]] = {
    "Mohammed": ("Mohamed", "Muhammad", "Mohammad"), "Ahmed": ("Ahmad", "Ahmet"),
    "Tesfaye": ("Tesfay",), "Ghebremedhin": ("Gebremedhin", "Ghebremedin"), "Yousif": ("Yousef", "Yusuf"),
    "Abdalla": ("Abdallah",), "Elhassan": ("El Hassan", "Al-Hassan"), "Osman": ("Othman", "Usman"),
    "Çela": ("Cela", "Chela"), "Gëzim": ("Gezim",), "Mërgim": ("Mergim",), "Hoxha": ("Hoxa", "Hodja"),
    "Krasniqi": ("Krasniki",), "Nguyễn": ("Nguyen", "Nguen"), "Trần": ("Tran",), "Phạm": ("Pham",),
    "Lăzărescu": ("Lazarescu",), "Ionuț": ("Ionut",), "Mădălina": ("Madalina",),
    "Wiśniewski": ("Wisniewski",), "Łukasz": ("Lukasz",), "Paweł": ("Pawel",), "Małgorzata": ("Malgorzata",),
    "Zoë": ("Zoe",), "Renée": ("Renee",), "Hosseini": ("Hoseini",), "Okonkwo": ("Okonkow",),
}
NICKNAMES: Final[dict[str, str]] = {
    "Daniel": "Danny", "Callum": "Cal", "Abigail": "Abi", "Jayden": "Jay", "Megan": "Meg",
    "Krzysztof": "Krzys", "Tomasz": "Tomek", "Piotr": "Piotrek", "Magdalena": "Magda",
    "Katarzyna": "Kasia", "Małgorzata": "Gosia", "Agnieszka": "Aga", "Joanna": "Asia",
    "Oluwaseun": "Seun", "Funmilayo": "Funmi", "Ifeanyi": "Ify", "Adaeze": "Ada", "Chinedu": "Chi",
    "Mohammed": "Mo", "Abdelrahman": "Abdel", "Samuel": "Sam", "Tewodros": "Teddy",
    "Cristian": "Cristi", "Andreea": "Andi", "Elena": "Lena", "Gheorghe": "George",
    "Dimitar": "Mitko", "Georgi": "Gosho", "Rajesh": "Raj", "Vikram": "Vicky", "Manpreet": "Manny",
    "Jose": "Pepe", "Ramon": "Mon", "Elira": "Eli", "Valbona": "Bona", "Klodian": "Klodi",
}
STREETS: Final = (
    "Lorimer Road", "Cranbrook Street", "Ashgrove Avenue", "Pelham Close", "Hatherley Gardens",
    "Fennel Street", "Whitcombe Road", "Larch Crescent", "Chalfont Way", "Beresford Terrace",
    "Milner Square", "Sandhurst Road", "Tanner Court", "Gorsefield Lane", "Quarry Rise",
    "Osprey Walk", "Dunmore Road", "Albion Parade", "Marsden Street",
)
INWARD_LETTERS: Final = "ABDEFGHJLNPQRSTUWXYZ"
NI_FIRST: Final = "ABCEGHJKLMNOPRSTWXYZ"
NI_SECOND: Final = "ABCEGHJKLMNPRSTWXYZ"
SEX_WEIGHTS: Final = {"male": 0.62, "female": 0.37, "non_conforming": 0.01}


@dataclass
class TruePerson:
    """One fictional person as they really are; each partner records them its own way."""

    pid: str
    given: str
    surname: str
    sex: str
    dob: date
    nationality: str
    role: str
    phone: str | None
    email: str | None
    house: str
    street: str
    postcode: str
    borough: str
    nhs: str
    ni: str | None
    vehicle: str | None = None
    passport: str | None = None
    exploitation: str = "unknown"
    county_lines: bool = False
    partners: list[str] = field(default_factory=list)
    employer: str | None = None
    """The labour provider or agency the person worked through (``cases.LABOUR_PROVIDERS``), if any."""


def fold_accents(text: str) -> str:
    """Strip diacritics (what a system limited to ASCII or cp1252 keeps of a name)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d").replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def to_cp1252(text: str) -> str:
    """Keep what cp1252 can store (é, ë, ç survive; ș, ł, ễ lose their marks)."""
    if _encodable(text):
        return text
    return "".join(c if _encodable(c) else fold_accents(c) for c in text)


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


class Identifiers:
    """Hands out fictional identifiers, unique while the reserved ranges last."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        mobiles = [f"07700 900{n:03d}" for n in range(1000)]
        landlines = [f"020 7946 0{n:03d}" for n in range(1000)]
        for area in ("0113", "0114", "0115", "0116", "0117", "0118", "0121", "0131", "0141", "0151", "0161"):
            landlines += [f"{area} 496 0{n:03d}" for n in range(1000)]
        rng.shuffle(mobiles)
        rng.shuffle(landlines)
        self._mobiles, self._landlines = mobiles, landlines
        self._issued: list[str] = []
        self._used: set[str] = set()

    def mobile(self) -> str:
        """A drama-range mobile; once all 1,000 are out, one already issued (a shared phone)."""
        if self._mobiles:
            self._issued.append(self._mobiles.pop())
            return self._issued[-1]
        return self.rng.choice(self._issued)

    def landline(self) -> str:
        if self._landlines:
            self._issued.append(self._landlines.pop())
            return self._issued[-1]
        return self.rng.choice(self._issued)

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(100):
            value = make()
            if value not in self._used:
                self._used.add(value)
                return value
        return make()

    def nhs(self) -> str:
        def make() -> str:
            while True:
                digits = [9, 9, 9] + [self.rng.randrange(10) for _ in range(6)]
                check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
                if check == 11:
                    check = 0
                if check != 10:
                    text = "".join(map(str, [*digits, check]))
                    return f"{text[:3]} {text[3:6]} {text[6:]}"
        return self._unique(make)

    def ni(self) -> str:
        def make() -> str:
            prefix = self.rng.choice(NI_FIRST) + self.rng.choice(NI_SECOND)
            if prefix in {"BG", "GB", "NK", "KN", "NT", "TN", "ZZ"}:
                prefix = "JR"
            nums = " ".join(f"{self.rng.randrange(100):02d}" for _ in range(3))
            return f"{prefix} {nums} {self.rng.choice('ABCD')}"
        return self._unique(make)

    def vehicle(self) -> str:
        letters = "ABCDEFGHJKLMNOPRSTUVWXY"

        def make() -> str:
            area = self.rng.choice(["L", "Y", "B", "E", "K", "M", "W", "G", "R"]) + self.rng.choice(letters)
            age = self.rng.choice(["15", "16", "17", "18", "19", "66", "67", "68", "69", "70", "21", "71"])
            return f"{area}{age} {''.join(self.rng.choice(letters) for _ in range(3))}"
        return self._unique(make)

    def passport(self) -> str:
        return self._unique(lambda: "".join(str(self.rng.randrange(10)) for _ in range(9)))

    def email(self, given: str, surname: str) -> str:
        local = fold_accents(f"{given.split()[0]}.{surname}").lower().replace(" ", "").replace("'", "")
        domain = self.rng.choice(["example.org", "example.com", "example.net"])
        return self._unique(lambda: f"{local}{self.rng.randrange(10, 99)}@{domain}")

    def iban(self) -> str:
        bank = self.rng.choice(["NWBK", "MIDL", "BARC", "LOYD", "MONZ"])
        sort = "".join(str(self.rng.randrange(10)) for _ in range(6))
        account = "".join(str(self.rng.randrange(10)) for _ in range(8))
        bban = bank + sort + account
        numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
        check = 98 - int(numeric) % 97
        raw = f"GB{check:02d}{bban}"
        return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))

    def sort_code_account(self) -> tuple[str, str]:
        sort = "-".join(f"{self.rng.randrange(100):02d}" for _ in range(3))
        return sort, "".join(str(self.rng.randrange(10)) for _ in range(8))

    def ip(self) -> str:
        block = self.rng.choice(["192.0.2", "198.51.100", "203.0.113"])
        return f"{block}.{self.rng.randrange(1, 255)}"



def weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def pick_nationality(rng: random.Random) -> str:
    return weighted(rng, {code: spec[0] for code, spec in NAMES.items()})


def pick_name(rng: random.Random, nationality: str, sex: str) -> tuple[str, str]:
    _, male, female, surnames = NAMES[nationality]
    pool = female if sex == "female" else male
    return rng.choice(pool), rng.choice(surnames)


def birth_date(rng: random.Random, age: int, on: date) -> date:
    """A date of birth giving exactly ``age`` on ``on``."""
    latest = date(on.year - age, on.month, min(on.day, 28))
    return latest - timedelta(days=rng.randrange(0, 364))


def spelling_variant(rng: random.Random, given: str, surname: str) -> tuple[str, str, str]:
    """How another partner may write the same name: (given, surname, kind of variation)."""
    choices = ["typo", "swapped"]
    if given in NICKNAMES:
        choices.append("nickname")
    if any(part in VARIANTS for part in (given, surname)) or fold_accents(given + surname) != given + surname:
        choices += ["transliteration", "transliteration"]
    kind = rng.choice(choices)
    if kind == "nickname":
        return NICKNAMES[given], surname, kind
    if kind == "swapped":
        return surname, given, kind
    if kind == "transliteration":
        def vary(part: str) -> str:
            if part in VARIANTS:
                return rng.choice(VARIANTS[part])
            return fold_accents(part)
        return vary(given), vary(surname), kind
    target = surname if len(surname) > 3 else given
    pos = rng.randrange(1, len(target) - 1)
    if rng.random() < 0.5:
        typo = target[:pos] + target[pos + 1] + target[pos] + target[pos + 2:]
    else:
        typo = target[:pos] + target[pos + 1:]
    return (given, typo, kind) if target is surname else (typo, surname, kind)
