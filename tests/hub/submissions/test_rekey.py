"""Hub re-keying: HMAC under HKDF sub-keys per agreement and purpose; a dump plus a linkage key joins nothing."""

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from anonymise.schema import Incident as IncidentRecord
from anonymise.schema import Person as PersonRecord
from hub.models import Person
from hub.submissions.rekey import Rekeyer, derive_subkey, person_purpose
from tests.conftest import TEST_PSEUDONYM_KEY
from tests.factories import FakePartner, add_agreement, add_partner
from tests.hubs import HubUnderTest

HUB_KEY = TEST_PSEUDONYM_KEY.encode()
PSEUDONYMS = st.from_regex(r"\Av[0-9]{1,4}\.[0-9a-f]{64}\Z")


@given(value=PSEUDONYMS, agreement=st.text(min_size=1, max_size=20), purpose=st.text(min_size=1, max_size=20))
def test_rekeyer_is_rfc2104_hmac_sha256_under_the_subkey(value: str, agreement: str, purpose: str) -> None:
    subkey = derive_subkey(HUB_KEY, agreement_id=agreement, purpose=purpose)
    expected = hmac.digest(subkey, value.encode(), hashlib.sha256).hex()
    assert Rekeyer(HUB_KEY, agreement)(purpose, value) == f"h1.{expected}"


def test_rekeying_links_within_an_agreement_and_purpose_only() -> None:
    value = "v1." + "cd" * 32
    a, b = Rekeyer(HUB_KEY, "agreement-a"), Rekeyer(HUB_KEY, "agreement-b")
    assert a("person:mk_name_dob", value) == Rekeyer(HUB_KEY, "agreement-a")("person:mk_name_dob", value)
    assert a("person:mk_name_dob", value) != b("person:mk_name_dob", value)
    assert a("person:mk_name_dob", value) != a("person:mk_surname_dob_sex", value)
    assert a("incident", value) != Rekeyer(b"another-hub-key-" * 3, "agreement-a")("incident", value)
    assert Rekeyer(HUB_KEY, "agreement-a", version=2)("incident", value).startswith("h2.")


def test_subkey_inputs_cannot_be_shifted_between_agreement_and_purpose() -> None:
    assert derive_subkey(HUB_KEY, agreement_id="a", purpose="b\x00c") != derive_subkey(HUB_KEY, agreement_id="a\x00b", purpose="c")
    assert derive_subkey(HUB_KEY, agreement_id="ab", purpose="c") != derive_subkey(HUB_KEY, agreement_id="a", purpose="bc")


def test_a_dump_plus_a_linkage_key_joins_nobody(hub: HubUnderTest) -> None:
    """The attacker holds the database and one partner's linkage key, and a dictionary of identities."""
    partner: FakePartner = hub.arrange(add_partner, "ngo-one")
    hub.arrange(add_agreement, ["ngo-one"])
    linkage_key = b"partner-linkage-key-for-tests-only-0123456789"
    dictionary = [f"person {i}|19{i % 100:02d}-01-01" for i in range(300)]

    def partner_pseudonym(identity: str) -> str:
        return "v1." + hmac.digest(linkage_key, identity.encode(), hashlib.sha256).hex()

    victims = dictionary[::10]
    incident = "v1." + "ab" * 32
    tables = {
        "incidents": [IncidentRecord(incident_pid=incident, first_known_month="2026-07", reporting_quarter="2026-Q3")],
        "persons": [
            PersonRecord(incident_pid=incident, person_seq=n, mk_name_dob=partner_pseudonym(identity))
            for n, identity in enumerate(victims, start=1)
        ],
        "selectors": [],
        "referrals": [],
    }
    assert hub.upload(partner, partner.bundle(tables)).status_code == 201
    with hub.session() as session:
        dump = set(session.scalars(select(Person.mk_name_dob)))
    attack = {partner_pseudonym(identity) for identity in dictionary}
    assert not attack & dump  # the linkage key alone recovers nobody
    attack_hex = {p.split(".", 1)[1] for p in attack}
    assert not attack_hex & {v.split(".", 1)[1] for v in dump}
    # Only with the hub's own secret does the same dictionary match (the attack above could have worked).
    with_hub_key = {Rekeyer(HUB_KEY, "test-agreement")(person_purpose("mk_name_dob"), p) for p in attack}
    assert len(with_hub_key & dump) == len(victims)
