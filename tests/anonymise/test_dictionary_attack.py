"""The attack DESIGN.md names: names × every date of birth in a century against the pseudonyms."""

import hashlib
import hmac
from datetime import date, timedelta

import pytest

from anonymise.keys import DEMO_LINKAGE_KEY, LinkageKey
from anonymise.normalise import normalise_name
from anonymise.pseudonymise import Pseudonymiser
from anonymise.schema import MatchKey

NAMES = [
    "Anna Kovacs", "Ion Popescu", "Maria Ionescu", "Tran Van Minh", "Nguyen Thi Lan", "Ardit Hoxha",
    "Elira Shehu", "Blessing Okafor", "Chinedu Eze", "Mohammed Ali", "Fatima Hassan", "Piotr Nowak",
    "Agnieszka Wojcik", "John Smith", "Sarah Jones", "Daniel Brown", "Grace Mensah", "Kwame Asante",
    "Elena Dragomir", "Li Wei",
]
START = date(1926, 1, 1)
CENTURY = [START + timedelta(days=i) for i in range(36525)]
VICTIMS = [(NAMES[i], CENTURY[(i * 7919 + 1234) % len(CENTURY)]) for i in range(len(NAMES))]


NORMALISED = [normalise_name(n) for n in NAMES]
ISO_DATES = [d.isoformat() for d in CENTURY]


def _unkeyed(name: str, dob: date) -> str:
    """What a naive pipeline (or Presidio's unsalted hash operator) would publish."""
    return hashlib.sha256(f"{normalise_name(name)}|{dob.isoformat()}".encode()).hexdigest()


def _attack(targets: set[str], digest) -> int:  # type: ignore[no-untyped-def]
    """Try every name × every date of birth in a century (730,500 guesses)."""
    found = 0
    for name in NORMALISED:
        for iso in ISO_DATES:
            if digest(name, iso) in targets:
                found += 1
    return found


def _sha(name: str, iso: str) -> str:
    return hashlib.sha256(f"{name}|{iso}".encode()).hexdigest()


@pytest.mark.slow
def test_dictionary_attack_recovers_unkeyed_hashes_but_not_ours() -> None:
    unkeyed = {_unkeyed(n, d) for n, d in VICTIMS}
    assert _attack(unkeyed, _sha) == len(VICTIMS)  # 100 % of unkeyed SHA-256 recovered

    secret = LinkageKey.from_bytes(b"test-secret-linkage-key-not-known-to-attacker")
    ours = Pseudonymiser(secret, "agr-1")
    published = {ours.person_keys(full_name=n, dob=d)[MatchKey.name_dob] for n, d in VICTIMS}
    hexes = {p.split(".", 1)[1] for p in published if p}
    assert len(hexes) == len(VICTIMS)

    # The attacker knows the scheme and the public demo key, but not the agreement's key.
    demo = Pseudonymiser(LinkageKey.from_bytes(DEMO_LINKAGE_KEY, demo=True), "agr-1")
    unkeyed_hmac_key = b""

    def guess_demo(name: str, dob: date) -> str | None:
        return demo.person_keys(full_name=name, dob=dob)[MatchKey.name_dob]

    def guess_plain(name: str, iso: str) -> str:
        return hmac.new(unkeyed_hmac_key, f"{name}\x1f{iso}".encode(), hashlib.sha256).hexdigest()

    assert _attack(hexes, _sha) == 0
    assert _attack(hexes, guess_plain) == 0
    # With the public demo key instead of the secret one (sampled: the true dates of birth).
    sampled = {d for _, d in VICTIMS}
    found = sum(1 for n in NAMES for d in sampled if guess_demo(n, d) in published)
    assert found == 0


# --- every linkage key: the attacker knows the scheme and the true inputs, not the key ------------

from anonymise.identifiers import IdKind  # noqa: E402 - grouped with the tests that need them
from anonymise.matchkeys import KeyKind  # noqa: E402

IDS = {IdKind.nhs_number: ["9434765919"], IdKind.ni_number: ["AB123456"], IdKind.passport: ["532410987"],
       IdKind.ukvi_reference: ["B1234567"], IdKind.pnc_id: ["19/0123456X"]}
CONTACTS = {KeyKind.phone: ["07700 900123"], KeyKind.email: ["anna.k@example.org"],
            KeyKind.address: ["12 Acacia Road, London E1 6AN"]}


def _every_key(p: Pseudonymiser, name: str, dob: date) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, value in p.person_keys(full_name=name, dob=dob, sex="f").items():
        if value is not None:
            out.setdefault(key.value, set()).add(value)
    for kind, value in p.linkage_keys(full_name=name, dob=dob, ids=IDS, contacts=CONTACTS):
        out.setdefault(kind.value, set()).add(value)
    return out


def test_every_key_kind_resists_guessing_without_the_agreements_key() -> None:
    secret = Pseudonymiser(LinkageKey.from_bytes(b"test-secret-linkage-key-not-known-to-attacker"), "agr-1")
    guessers = [
        Pseudonymiser(LinkageKey.from_bytes(DEMO_LINKAGE_KEY, demo=True), "agr-1"),  # the public demo key
        Pseudonymiser(LinkageKey.from_bytes(b"test-secret-linkage-key-not-known-to-attacker"), "agr-2"),  # right key, other agreement
    ]
    published: dict[str, set[str]] = {}
    for name, dob in VICTIMS:
        for kind, values in _every_key(secret, name, dob).items():
            published.setdefault(kind, set()).update(values)
    assert set(published) == {k.value for k in MatchKey} | {k.value for k in KeyKind}  # every kind is tried
    for guesser in guessers:
        for name, dob in VICTIMS:  # the true inputs: a dictionary can do no better than these
            for kind, values in _every_key(guesser, name, dob).items():
                assert not values & published[kind], kind
    # and no kind's pseudonym equals another kind's (sub-keys separate purposes)
    everything = [v for values in published.values() for v in values]
    assert len(everything) == len(set(everything))


def test_the_weakest_key_resists_its_whole_dictionary_without_the_key() -> None:
    """Phonetic surname + year of birth is the smallest key space: try all of it (surnames × a century)."""
    import jellyfish

    secret = Pseudonymiser(LinkageKey.from_bytes(b"test-secret-linkage-key-not-known-to-attacker"), "agr-1")
    demo = Pseudonymiser(LinkageKey.from_bytes(DEMO_LINKAGE_KEY, demo=True), "agr-1")
    target = {v for n, d in VICTIMS for k, v in secret.linkage_keys(full_name=n, dob=d) if k is KeyKind.metaphone_surname_yob}
    assert target
    codes = {jellyfish.metaphone(n.split()[-1].lower()) for n in NAMES}
    guesses = {demo._mac("person:metaphone_surname_yob", code, str(year)) for code in codes for year in range(1926, 2027)}
    assert not guesses & target


def test_a_hub_dump_plus_one_partners_linkage_key_joins_nobody() -> None:
    from hub.records.clusters import key_int, key_purpose
    from hub.submissions.rekey import Rekeyer

    partner_key = LinkageKey.from_bytes(b"test-secret-linkage-key-not-known-to-attacker")
    partner = Pseudonymiser(partner_key, "agr-1")
    hub = Rekeyer(b"the hub's own pseudonym key, never shared 0123456789", "agr-1")
    dump: set[int] = set()
    for name, dob in VICTIMS:
        for kind, pid in partner.linkage_keys(full_name=name, dob=dob, ids=IDS, contacts=CONTACTS):
            dump.add(key_int(hub(key_purpose(kind.value), pid)))
    # The attacker holds the partner's key, so can make every partner pseudonym of the true inputs,
    # and knows the scheme; without the hub's key none of them (nor a re-key under a guessed hub key) is in the dump.
    guessed_hub = Rekeyer(b"", "agr-1")
    for name, dob in VICTIMS:
        for kind, pid in partner.linkage_keys(full_name=name, dob=dob, ids=IDS, contacts=CONTACTS):
            assert key_int("h1." + pid.split(".", 1)[1]) not in dump
            assert key_int(guessed_hub(key_purpose(kind.value), pid)) not in dump


def test_the_name_only_key_resists_every_name_without_the_key() -> None:
    """The name-only key (term frequencies) has no date: try every name of the list, no key: nothing found."""
    secret = Pseudonymiser(LinkageKey.from_bytes(b"test-secret-linkage-key-not-known-to-attacker"), "agr-1")
    demo = Pseudonymiser(LinkageKey.from_bytes(DEMO_LINKAGE_KEY, demo=True), "agr-1")
    target = {v for n, d in VICTIMS for k, v in secret.linkage_keys(full_name=n, dob=d) if k is KeyKind.canon_sorted}
    assert target
    guesses = {v for n in NAMES for k, v in demo.linkage_keys(full_name=n, dob=date(2000, 1, 1)) if k is KeyKind.canon_sorted}
    assert guesses
    assert not guesses & target
