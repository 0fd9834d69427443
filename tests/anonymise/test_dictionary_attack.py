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
