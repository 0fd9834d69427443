"""Keyed pseudonyms: HMAC-SHA256 under per-agreement, per-purpose sub-keys of the linkage key.

Every pseudonym is ``v<key version>.<64 hex>`` (:data:`anonymise.schema.PSEUDONYM_PATTERN`).
Purposes are separated by HKDF sub-keys (``incident``, ``person:<match key>``,
``selector:<kind>``), so a person pseudonym can never be compared with a phone pseudonym and
nothing made under one agreement joins anything made under another.

Person match keys (after the ONS census linkage match keys), each its own pseudonym so one
spelling slip still leaves others to link on:

- ``name_dob``: all name tokens in order + date of birth;
- ``initial_surname_dob``: first initial + surname + date of birth (given-name typos,
  transliterations such as Mohammed/Muhammad);
- ``sorted_tokens_yob``: name tokens sorted + year of birth (name order swapped);
- ``surname_dob_sex``: Soundex of the surname + date of birth + sex (surname typos).
"""

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Final

from anonymise.identifiers import IdKind
from anonymise.keys import LinkageKey
from anonymise.matchkeys import KeyKind, key_texts
from anonymise.normalise import name_tokens, normalise_selector, normalise_sex, parse_dob, phonetic
from anonymise.schema import MatchKey
from anonymise.vocab import SelectorKind

__all__ = ["Pseudonymiser"]

_SEP: Final = "\x1f"  # unit separator: cannot occur in normalised tokens
_CONTACT_KINDS: Final = {
    KeyKind.phone: SelectorKind.phone,
    KeyKind.email: SelectorKind.email,
    KeyKind.address: SelectorKind.address,
}


def _split_name(full_name: str | None, given: str | None, family: str | None) -> tuple[list[str], list[str]]:
    if given or family:
        return name_tokens(given or ""), name_tokens(family or "")
    tokens = name_tokens(full_name or "")
    return tokens[:-1], tokens[-1:]


class Pseudonymiser:
    """Makes the pseudonyms of one agreement under its linkage key.

    :param key: the agreement's linkage key (see :mod:`anonymise.keys`).
    :param agreement_id: the agreement these pseudonyms are for; a different id gives
        unrelated pseudonyms.

    >>> from anonymise.keys import LinkageKey
    >>> p = Pseudonymiser(LinkageKey.from_bytes(bytes(range(32))), "agr-demo")
    >>> p.incident("ngo-1", "123") == p.incident("ngo-2", "123")
    False
    >>> keys = p.person_keys(full_name="Kovács, Anna", dob=date(1990, 3, 12), sex="F")
    >>> keys == p.person_keys(given="anna", family="KOVACS", dob="12/03/1990", sex="female")
    True
    >>> keys[MatchKey.name_dob][:3]
    'v1.'
    """

    def __init__(self, key: LinkageKey, agreement_id: str) -> None:
        if not agreement_id:
            raise ValueError("an agreement id is needed: pseudonyms are bound to one agreement")
        self.key = key
        self.agreement_id = agreement_id

    def _mac(self, purpose: str, *parts: str) -> str:
        sub = self.key.subkey(self.agreement_id, purpose)
        message = _SEP.join(parts).encode("utf-8")
        return f"v{self.key.version}.{hmac.new(sub, message, hashlib.sha256).hexdigest()}"

    def incident(self, partner_id: str, local_id: str) -> str:
        """The pseudonym of a partner's own case id.

        :param partner_id: the partner's identifier, so that two partners' case "123" differ.
        :param local_id: the case id in the partner's system; surrounding whitespace ignored.
        """
        local = local_id.strip()
        if not partner_id or not local:
            raise ValueError("incident pseudonyms need a partner id and a non-empty local id")
        return self._mac("incident", partner_id, local)

    def person_keys(
        self,
        *,
        full_name: str | None = None,
        given: str | None = None,
        family: str | None = None,
        dob: date | str | None = None,
        sex: str | None = None,
    ) -> dict[MatchKey, str | None]:
        """Every person match key; a key is None when one of its inputs is missing.

        :param full_name: the whole name in any order ("Surname, Given" is understood); used
            when ``given``/``family`` are absent.
        :param given: given name(s).
        :param family: surname.
        :param dob: date of birth, a date or text in any format :func:`parse_dob` reads.
        :param sex: any spelling :func:`normalise_sex` reads.
        """
        given_tokens, family_tokens = _split_name(full_name, given, family)
        birth = parse_dob(dob) if isinstance(dob, str) else dob
        sex_code = normalise_sex(sex)
        all_tokens = given_tokens + family_tokens
        surname = "".join(family_tokens)
        out: dict[MatchKey, str | None] = dict.fromkeys(MatchKey)
        if birth is not None and given_tokens and family_tokens:
            out[MatchKey.name_dob] = self._mac(
                "person:name_dob", " ".join(all_tokens), birth.isoformat()
            )
            out[MatchKey.initial_surname_dob] = self._mac(
                "person:initial_surname_dob", given_tokens[0][0], surname, birth.isoformat()
            )
        if birth is not None and len(all_tokens) >= 2:
            out[MatchKey.sorted_tokens_yob] = self._mac(
                "person:sorted_tokens_yob", " ".join(sorted(all_tokens)), str(birth.year)
            )
        if birth is not None and family_tokens and sex_code is not None:
            out[MatchKey.surname_dob_sex] = self._mac(
                "person:surname_dob_sex", phonetic(surname), birth.isoformat(), sex_code
            )
        return out

    def linkage_keys(
        self,
        *,
        full_name: str | None = None,
        given: str | None = None,
        family: str | None = None,
        dob: date | None = None,
        ids: Mapping[IdKind, Iterable[str]] | None = None,
        contacts: Mapping[KeyKind, Iterable[str]] | None = None,
        region: str = "GB",
    ) -> list[tuple[KeyKind, str]]:
        """Every linkage key of :mod:`anonymise.matchkeys` of one person, as (kind, pseudonym), sorted.

        :param full_name: as for :meth:`person_keys`.
        :param given: as for :meth:`person_keys`.
        :param family: as for :meth:`person_keys`.
        :param dob: the date of birth, already read (an unreadable one is None: only the keys
            needing it are left out).
        :param ids: canonical ID numbers (:func:`anonymise.identifiers.normalise_id`) by kind.
        :param contacts: raw phone numbers, emails and addresses (with postcode) under
            ``KeyKind.phone``/``email``/``address``; normalised here, unreadable ones dropped.
        :param region: region assumed for phone numbers without an international prefix.

        >>> from anonymise.keys import LinkageKey
        >>> p = Pseudonymiser(LinkageKey.from_bytes(bytes(range(32))), "agr-demo")
        >>> a = dict(p.linkage_keys(full_name="Robert Smith", dob=date(1990, 3, 12)))
        >>> b = dict(p.linkage_keys(given="Smith", family="Robert", dob=date(1990, 12, 3)))
        >>> a[KeyKind.canon_sorted_dob_dm] == b[KeyKind.canon_sorted_dob_dm], KeyKind.nhs_number in a
        (True, False)
        >>> c = p.linkage_keys(ids={IdKind.nhs_number: ["9434765919"]}, contacts={KeyKind.phone: ["07700 900123"]})
        >>> [kind.value for kind, _ in c]
        ['nhs_number', 'phone']
        """
        given_tokens, family_tokens = _split_name(full_name, given, family)
        normalised = {
            kind: [n for v in values if (n := normalise_selector(_CONTACT_KINDS[kind], v, region=region))]
            for kind, values in (contacts or {}).items()
        }
        texts = key_texts(given_tokens, family_tokens, dob, ids=ids, contacts=normalised)
        return sorted(
            (kind, self._mac(f"person:{kind.value}", *parts)) for kind, values in texts.items() for parts in values
        )

    def selector(self, kind: SelectorKind, value: str, *, region: str = "GB") -> str | None:
        """The pseudonym of a phone, email, vehicle, address or bank account; None if unreadable.

        :param kind: the selector kind; each kind has its own sub-key.
        :param value: the raw value, normalised first (see :func:`normalise_selector`).
        :param region: region assumed for phone numbers without an international prefix.
        """
        normalised = normalise_selector(kind, value, region=region)
        if normalised is None:
            return None
        return self._mac(f"selector:{kind.value}", normalised)
