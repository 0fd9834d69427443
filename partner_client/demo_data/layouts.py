"""The four partner export layouts, each written the way its real system would write it.

See docs/demo-data.md for every column, date format, encoding and value spelling.
"""

import csv
import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Final

from anonymise.countries import alpha3_of, country_name
from anonymise.generalise import age_at
from anonymise.london import BY_GSS
from partner_client.demo_data.cases import Case, World, borough_name
from partner_client.demo_data.notes import (
    DEMONYMS,
    LANGUAGES,
    PREMISES,
    LabelledNote,
    NoteSubject,
    compose_note,
)
from partner_client.demo_data.people import to_cp1252
from partner_client.demo_data.routes import Route, route_of

Identifier = tuple[str, str, str]
"""(column, entity type, the exact string written in the file)."""


@dataclass
class Table:
    file: str
    encoding: str
    delimiter: str
    lineterminator: str
    header: tuple[str, ...]
    rows: list[list[str]] = field(default_factory=list)
    identifiers: list[list[Identifier]] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)

    def add(self, case: Case, values: dict[str, str], identifiers: list[Identifier]) -> None:
        assert set(values) == set(self.header), set(values) ^ set(self.header)
        self.rows.append([values[c] for c in self.header])
        self.identifiers.append([i for i in identifiers if i[2]])
        self.cases.append(case)

    def write(self, path: Path) -> None:
        with path.open("w", encoding=self.encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=self.delimiter, lineterminator=self.lineterminator)
            writer.writerow(self.header)
            writer.writerows(self.rows)


def _note(world: World, case: Case, known: list[Identifier], column: str, *,
          suspect: bool = False, fold: bool = False, style: str = "caseworker") -> tuple[str, list[Identifier]]:
    subject = NoteSubject(
        case.person, case.given, case.surname, case.event,
        PREMISES[case.premises], borough_name(case.site.gss),
        tuple(value for _, _, value in known if value), case.exploitation,
    )
    note: LabelledNote = compose_note(world.rng, subject, world.ids, suspect=suspect, style=style)
    text = to_cp1252(note.text) if fold else note.text
    assert len(text) == len(note.text)
    return text, [(column, kind, text[start:end]) for start, end, kind in note.spans]


def _premises(case: Case) -> str:
    return case.premises


def _age(case: Case) -> int:
    return age_at(case.person.dob, case.event)


# --- NGO case export -------------------------------------------------------------------------

NGO_HEADER: Final = (
    "Case Ref", "Date Opened", "Client Name", "DOB", "Gender", "Nationality", "Language", "Mobile",
    "Email", "NI Number", "Current Address", "Postcode", "Exploitation Type", "Place of Exploitation",
    "Borough of Exploitation", "Exploitation Postcode", "NRM Referral", "Reasonable Grounds",
    "Support Provided", "Country Recruited", "Route", "Borough Recruited", "Employer / Agency", "Case Notes",
)
NGO_TYPES: Final = {
    "criminal": "Criminal exploitation", "labour": "Labour exploitation", "sexual": "Sexual exploitation",
    "domestic_servitude": "Domestic servitude", "unknown": "Not known",
}
NGO_PLACES: Final = {
    "hand_car_wash": "Hand car wash", "nail_bar": "Nail bar", "hot_food_takeaway": "Takeaway",
    "convenience_store": "Corner shop", "restaurant": "Restaurant", "brothel_residential": "Residential brothel",
    "construction_site": "Construction", "factory_warehouse": "Warehouse/factory", "care_home": "Care home",
    "private_household": "Private home", "street": "Street", "agricultural_site": "Farm", "online_only": "Online",
    "other": "Other",
}
NATIONALITY_TEXT: Final[dict[str, tuple[str, ...]]] = {
    "GB": ("British", "UK", "English", "British"), "VN": ("Vietnamese", "Viet Nam", "Vietnam"),
    "AL": ("Albanian", "Albania"), "ER": ("Eritrean", "Eritrea"), "SD": ("Sudanese", "Sudan"),
    "CN": ("Chinese", "China"), "PH": ("Filipino", "Philippines"),
}
BOROUGH_SPELLINGS: Final = {"Hammersmith and Fulham": "Hammersmith & Fulham", "Barking and Dagenham": "Barking & Dagenham",
                            "Kensington and Chelsea": "Kensington & Chelsea", "Richmond upon Thames": "Richmond"}


def _nationality_text(rng: random.Random, code: str) -> str:
    if rng.random() < 0.04:
        return "Not known"
    options = NATIONALITY_TEXT.get(code) or (DEMONYMS[code][0], DEMONYMS[code][1])
    return rng.choice(options)


def ngo_table(world: World, cases: list[Case]) -> Table:
    rng = world.rng
    table = Table("ngo_cases.csv", "utf-8-sig", ",", "\r\n", NGO_HEADER)
    routes = incident_routes(cases)
    for n, case in enumerate(cases, start=1):
        p = case.person
        name = f"{case.surname.upper() if rng.random() < 0.2 else case.surname}, {case.given}"
        dob = "" if rng.random() < 0.08 else p.dob.strftime("%d/%m/%Y")
        phone = (p.phone or "") if rng.random() < 0.9 else ""
        phone = phone.replace(" ", "") if rng.random() < 0.4 else phone
        kind = NGO_TYPES[case.exploitation]
        if case.county_lines:
            kind = "Criminal exploitation (county lines)"
        elif case.exploitation == "labour" and rng.random() < 0.1:
            kind = "Labour exploitation; Domestic servitude"
        site_pc = case.site.pcds if rng.random() < 0.6 else ""
        ni = (p.ni or "") if rng.random() < 0.7 else ""
        structured: list[Identifier] = [
            ("Case Ref", "RECORD_ID", f"HS-{case.event.year}-{n:04d}"), ("Client Name", "PERSON", name),
            ("DOB", "DATE", dob), ("Mobile", "PHONE", phone), ("Email", "EMAIL", p.email or ""),
            ("NI Number", "NI_NUMBER", ni), ("Current Address", "ADDRESS", f"{p.house} {p.street}, London"),
            ("Postcode", "POSTCODE", p.postcode), ("Exploitation Postcode", "POSTCODE", site_pc),
        ]
        notes, spans = _note(world, case, structured, "Case Notes")
        if rng.random() < 0.15:
            notes = notes.replace(". ", ".\n", 1)
        place = borough_name(case.site.gss)
        values = {
            "Case Ref": structured[0][2], "Date Opened": case.event.strftime("%d/%m/%Y"), "Client Name": name,
            "DOB": dob, "Gender": {"male": "Male", "female": "Female", "non_conforming": "Non-binary"}[p.sex]
            if rng.random() < 0.95 else "Prefer not to say",
            "Nationality": _nationality_text(rng, p.nationality), "Language": LANGUAGES[p.nationality],
            "Mobile": phone, "Email": p.email or "", "NI Number": ni, "Current Address": structured[6][2],
            "Postcode": p.postcode, "Exploitation Type": kind, "Place of Exploitation": NGO_PLACES[_premises(case)],
            "Borough of Exploitation": BOROUGH_SPELLINGS.get(place, place), "Exploitation Postcode": site_pc,
            "NRM Referral": rng.choice(["Yes - NRM", "Yes - NRM", "No - DtN only", "Pending", "Declined"]),
            "Reasonable Grounds": rng.choice(["Positive", "Positive", "Negative", "Awaiting", ""]),
            "Support Provided": "; ".join(sorted(rng.sample(["Accommodation", "Legal advice", "Counselling", "Subsistence", "Interpreter", "ESOL"], k=rng.randrange(1, 4)))),
            "Employer / Agency": p.employer or "",
            "Case Notes": notes,
            **_ngo_route(routes[case.incident]),
        }
        table.add(case, values, structured + spans)
    return table


def incident_routes(cases: list[Case]) -> dict[str, Route | None]:
    """Each incident's route: its first victim's, written on every row of the incident (the
    client takes an incident's fields from its first row, which may be a suspect's)."""
    out: dict[str, Route | None] = {}
    for case in cases:
        if out.get(case.incident) is None:
            out[case.incident] = route_of(case.person)
    return out


def _ngo_route(route: Route | None) -> dict[str, str]:
    """The NGO writes countries by name, the route as "Italy > France", the borough by name."""
    if route is None or route.recruitment_country is None:
        return {"Country Recruited": "" if route is None else "Not known", "Route": "", "Borough Recruited": ""}
    area = route.recruitment_area
    return {
        "Country Recruited": country_name(route.recruitment_country),
        "Route": " > ".join(country_name(c) for c in route.transit),
        "Borough Recruited": borough_name(area) if area in BY_GSS else "",
    }


# --- Borough safeguarding log (cp1252, semicolons) -------------------------------------------

BOROUGH_HEADER: Final = (
    "Ref No", "Date Received", "First Name", "Last Name", "D.O.B.", "Age at Referral", "Sex",
    "Nationality", "Address Line 1", "Town", "Post Code", "Tel No", "Category", "Adult/Child",
    "Location Type", "Location Post Code", "Referral Source", "NRM Submitted", "Outcome", "Worker Notes",
)
BOROUGH_CATEGORIES: Final = {
    "criminal": "CRIMINAL", "labour": "LABOUR", "sexual": "SEXUAL", "domestic_servitude": "DOM SERV",
    "unknown": "NOT RECORDED",
}
BOROUGH_LOCATIONS: Final = {
    "hand_car_wash": "CAR WASH", "nail_bar": "NAIL BAR", "hot_food_takeaway": "TAKEAWAY",
    "convenience_store": "SHOP", "restaurant": "RESTAURANT", "brothel_residential": "HMO",
    "construction_site": "BUILDING SITE", "factory_warehouse": "WAREHOUSE", "care_home": "CARE HOME",
    "private_household": "PRIVATE DWELLING", "street": "STREET", "agricultural_site": "FARM",
    "online_only": "ONLINE", "other": "OTHER",
}


def borough_table(world: World, cases: list[Case]) -> Table:
    rng = world.rng
    table = Table("borough_safeguarding.csv", "cp1252", ";", "\r\n", BOROUGH_HEADER)
    for n, case in enumerate(cases, start=1):
        p = case.person
        first, last = to_cp1252(case.given), to_cp1252(case.surname)
        last = last.upper() if rng.random() < 0.3 else last
        dob = "" if rng.random() < 0.05 else p.dob.strftime("%d-%b-%Y")
        phone = p.phone or ""
        phone = phone.replace(" ", "-", 1) if phone.startswith("07") and rng.random() < 0.5 else phone
        child = _age(case) < 18
        category = BOROUGH_CATEGORIES[case.exploitation]
        if case.county_lines:
            category = "CRIMINAL - COUNTY LINES"
        structured: list[Identifier] = [
            ("Ref No", "RECORD_ID", f"NEW/SG/{case.event.year}/{n:05d}"), ("First Name", "PERSON", first),
            ("Last Name", "PERSON", last), ("D.O.B.", "DATE", dob),
            ("Address Line 1", "ADDRESS", f"{p.house} {p.street}"), ("Post Code", "POSTCODE", p.postcode),
            ("Tel No", "PHONE", phone), ("Location Post Code", "POSTCODE", case.site.pcds),
        ]
        notes, spans = _note(world, case, structured, "Worker Notes", fold=True)
        values = {
            "Ref No": structured[0][2], "Date Received": case.event.strftime("%d-%b-%Y"),
            "First Name": first, "Last Name": last, "D.O.B.": dob, "Age at Referral": str(_age(case)),
            "Sex": {"male": "M", "female": "F", "non_conforming": "U"}[p.sex],
            "Nationality": "NOT KNOWN" if rng.random() < 0.05 else DEMONYMS[p.nationality][0].upper(),
            "Address Line 1": structured[4][2], "Town": "London", "Post Code": p.postcode, "Tel No": phone,
            "Category": category, "Adult/Child": "CHILD" if child else "ADULT",
            "Location Type": BOROUGH_LOCATIONS[_premises(case)], "Location Post Code": case.site.pcds,
            "Referral Source": rng.choice(["POLICE", "SCHOOL", "HEALTH", "NGO", "SELF", "ANON", "YOT"]),
            "NRM Submitted": rng.choice(["Y", "Y", "N"]),
            "Outcome": rng.choice(["S47 - STRATEGY", "NFA", "CIN", "CP PLAN"] if child else ["ADULT S42", "NFA", "SIGNPOSTED"]),
            "Worker Notes": notes,
        }
        table.add(case, values, structured + spans)
    return table


# --- Hospital A&E flag list (tab separated, ISO dates) ---------------------------------------

HOSPITAL_HEADER: Final = (
    "attendance_id", "arrival_datetime", "mrn", "nhs_number", "pt_surname", "pt_forename", "dob",
    "age_years", "sex", "home_postcode", "la_of_residence", "interpreter_language",
    "presenting_complaint", "flag_type", "flag_raised_by", "accompanied_by", "clinician_notes",
)
HOSPITAL_FLAGS: Final = {
    "criminal": "crim_exp", "labour": "lab_exp", "sexual": "sex_exp", "domestic_servitude": "dom_serv",
    "unknown": "msht_unspec",
}
COMPLAINTS: Final = ("Assault", "Stab wound", "Laceration to hand", "Abdominal pain", "Overdose",
                     "Pregnancy related", "Dental abscess", "Chest pain", "Burns to forearm", "Fall")


def hospital_table(world: World, cases: list[Case]) -> Table:
    rng = world.rng
    table = Table("hospital_flags.csv", "utf-8", "\t", "\n", HOSPITAL_HEADER)
    for n, case in enumerate(cases, start=1):
        p = case.person
        arrival = datetime.combine(case.event, time(rng.randrange(24), rng.randrange(60)))
        has_dob = rng.random() < 0.7
        dob = p.dob.isoformat() if has_dob else ""
        age = "" if has_dob and rng.random() < 0.5 else str(_age(case))
        nhs = p.nhs if rng.random() < 0.85 else ""
        nhs = nhs.replace(" ", "") if rng.random() < 0.5 else nhs
        postcode = "ZZ99 3VZ" if rng.random() < 0.05 else p.postcode
        structured: list[Identifier] = [
            ("attendance_id", "RECORD_ID", f"RLH-ED-{case.event:%y}-{n:06d}"),
            ("mrn", "RECORD_ID", f"K{rng.randrange(10**6, 10**7)}"), ("nhs_number", "NHS_NUMBER", nhs),
            ("pt_surname", "PERSON", case.surname.upper()), ("pt_forename", "PERSON", case.given),
            ("dob", "DATE", dob), ("home_postcode", "POSTCODE", postcode if postcode != "ZZ99 3VZ" else ""),
        ]
        notes, spans = _note(world, case, structured, "clinician_notes", style="clinical")
        flag = HOSPITAL_FLAGS[case.exploitation]
        if case.county_lines:
            flag = "crim_exp_cl"
        values = {
            "attendance_id": structured[0][2], "arrival_datetime": arrival.strftime("%Y-%m-%dT%H:%M"),
            "mrn": structured[1][2], "nhs_number": nhs, "pt_surname": case.surname.upper(), "pt_forename": case.given,
            "dob": dob, "age_years": age, "sex": {"male": "1", "female": "2", "non_conforming": "9"}[p.sex],
            "home_postcode": postcode, "la_of_residence": p.borough if postcode != "ZZ99 3VZ" else "",
            "interpreter_language": "" if p.nationality in {"GB", "NG"} else LANGUAGES[p.nationality].lower(),
            "presenting_complaint": rng.choice(COMPLAINTS), "flag_type": flag,
            "flag_raised_by": rng.choice(["ED nurse", "ED doctor", "Paeds ED", "Maternity", "Safeguarding team"]),
            "accompanied_by": rng.choice(["alone", "alone", "friend", "'uncle' - answered for patient", "employer", "support worker"]),
            "clinician_notes": notes,
        }
        table.add(case, values, structured + spans)
    return table


# --- Police intelligence log ----------------------------------------------------------------

POLICE_HEADER: Final = (
    "Occurrence No", "Intel Ref", "Report Date", "Role", "Surname", "Forename(s)", "DOB", "Sex",
    "Nationality", "Phone", "PNC ID", "Passport No", "HO Ref", "VRM", "Address", "Postcode", "Lat", "Long",
    "Crime Type", "Premises", "Grading", "Origin Country", "Transit", "Recruited In", "Exploited In", "Linked Business",
    "Intel Text",
)
ALPHA3: Final = {
    "GB": "GBR", "AL": "ALB", "VN": "VNM", "ER": "ERI", "SD": "SDN", "RO": "ROU", "IN": "IND",
    "NG": "NGA", "PL": "POL", "CN": "CHN", "AF": "AFG", "IR": "IRN", "ET": "ETH", "PK": "PAK",
    "BG": "BGR", "LT": "LTU", "PH": "PHL",
}
CRIME_TYPES: Final = {
    "criminal": "MSHT - Criminal", "labour": "MSHT - Labour", "sexual": "MSHT - Sexual",
    "domestic_servitude": "MSHT - Domestic Servitude", "unknown": "MSHT - Other",
}
POLICE_PREMISES: Final = {
    "hand_car_wash": "Car Wash", "nail_bar": "Nail Bar", "hot_food_takeaway": "Takeaway",
    "convenience_store": "Shop", "restaurant": "Restaurant", "brothel_residential": "Residential - Brothel",
    "construction_site": "Construction Site", "factory_warehouse": "Industrial Unit", "care_home": "Care Home",
    "private_household": "Residential", "street": "Street/Open Space", "agricultural_site": "Farm",
    "online_only": "Online", "other": "Other",
}
EXCEL_EPOCH: Final = date(1899, 12, 30)


def _excel_date(rng: random.Random, day: date) -> str:
    if rng.random() < 0.12:
        return str((day - EXCEL_EPOCH).days)
    return f"{day:%d/%m/%Y} 00:00"


def _police_ids(p: object, nationality: str) -> tuple[str, str]:
    """The PNC id and Home Office reference the police hold for a person, the same at every
    contact: derived from the person's NHS number (unique per synthetic person), not drawn."""
    digest = hashlib.sha256(str(getattr(p, "nhs", "")).encode()).digest()
    pnc = ""
    if digest[0] < 150:  # most people the police record have a PNC record
        year = 0 if digest[1] % 3 == 0 else 2000 + digest[2] % 26
        number = int.from_bytes(digest[3:6], "big") % 10**6
        pnc = f"{year % 100:02d}/{number}{chr(65 + digest[6] % 26)}" if year else f"{digest[2] % 26:02d}/{number:07d}{chr(65 + digest[6] % 26)}"
    ukvi = ""
    if nationality != "GB" and digest[7] < 100:
        ukvi = f"{chr(65 + digest[8] % 26)}{int.from_bytes(digest[9:12], 'big') % 10**7:07d}"
    return pnc, ukvi


def police_table(world: World, cases: list[Case]) -> Table:
    rng = world.rng
    table = Table("police_intel.csv", "utf-8", ",", "\r\n", POLICE_HEADER)
    routes = incident_routes(cases)
    refs: dict[str, tuple[str, datetime]] = {}
    for n, case in enumerate(cases, start=1):
        p = case.person
        if case.incident not in refs:
            stamp = datetime.combine(case.event, time(rng.randrange(24), rng.randrange(60)))
            refs[case.incident] = (f"{rng.randrange(10**6, 10**7)}/{case.event:%y}", stamp)
        occurrence, stamp = refs[case.incident]
        suspect = case.role == "suspect"
        surname, given = case.surname, case.given
        if rng.random() < 0.07:  # entered the wrong way round
            surname, given = given, surname
            case.spelling = "swapped" if case.spelling == "exact" else case.spelling
        dob = "" if rng.random() < 0.1 else _excel_date(rng, p.dob)
        phone = p.phone or ""
        if phone.startswith("07") and rng.random() < 0.5:
            phone = "+44" + phone.replace(" ", "")[1:]
        lat, lon = f"{case.site.lat:.6f}", f"{case.site.lon:.6f}"
        pnc, ukvi = _police_ids(p, p.nationality)
        passport = (p.passport or "") if rng.random() < 0.6 else ""
        structured: list[Identifier] = [
            ("Occurrence No", "RECORD_ID", occurrence), ("Intel Ref", "RECORD_ID", f"IR-{case.event:%y}-{n:06d}"),
            ("Surname", "PERSON", surname), ("Forename(s)", "PERSON", given), ("DOB", "DATE", dob),
            ("Phone", "PHONE", phone), ("PNC ID", "RECORD_ID", pnc), ("Passport No", "PASSPORT", passport),
            ("HO Ref", "RECORD_ID", ukvi), ("VRM", "VEHICLE", p.vehicle or ""),
            ("Address", "ADDRESS", f"{p.house} {p.street}"), ("Postcode", "POSTCODE", p.postcode),
            ("Lat", "COORDINATE", lat), ("Long", "COORDINATE", lon),
        ]
        notes, spans = _note(world, case, structured, "Intel Text", suspect=suspect, style="intel")
        role = rng.choice(["Suspect", "SUSPECT"]) if suspect else rng.choice(["Victim", "Potential Victim", "PV"])
        values = {
            "Occurrence No": occurrence, "Intel Ref": structured[1][2],
            "Report Date": stamp.strftime("%d/%m/%Y %H:%M"), "Role": role, "Surname": surname,
            "Forename(s)": given, "DOB": dob, "Sex": {"male": "Male", "female": "Female", "non_conforming": "Unknown"}[p.sex],
            "Nationality": ALPHA3[p.nationality] if rng.random() < 0.95 else "UNK", "Phone": phone,
            "PNC ID": pnc, "Passport No": passport, "HO Ref": ukvi,
            "VRM": p.vehicle or "", "Address": structured[10][2], "Postcode": p.postcode, "Lat": lat, "Long": lon,
            "Crime Type": "County Lines" if case.county_lines else CRIME_TYPES[case.exploitation],
            "Premises": POLICE_PREMISES[_premises(case)],
            "Grading": rng.choice(["A1", "B2", "B2", "C3", "B3", "E4"]), "Linked Business": p.employer or "",
            "Intel Text": notes,
            **_police_route(routes[case.incident]),
        }
        table.add(case, values, structured + spans)
    return table


def _police_route(route: Route | None) -> dict[str, str]:
    """The police system holds ISO alpha-3 country codes, the transit as "ITA/FRA", and GSS codes."""
    if route is None or route.recruitment_country is None:
        return {"Origin Country": "", "Transit": "", "Recruited In": "", "Exploited In": ""}
    return {
        "Origin Country": alpha3_of(route.recruitment_country),
        "Transit": "/".join(alpha3_of(c) for c in route.transit),
        "Recruited In": route.recruitment_area or "",
        "Exploited In": route.exploitation_area or "",
    }
