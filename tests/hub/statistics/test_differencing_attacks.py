"""Attacks 4 and 6 of issue 12 against a real hub: differencing before and after a withdrawal, and
a provider subtracting its own records.

Partners send their quarter through the real upload path and a borough officer of ngo-one holds
everything it can fetch for London (overview, breakdowns, hotspots, coverage shares), knowing the
method: what a published value says of its count is read from the ptable the hub uses, so a hub
that rounds instead is attacked as rounding. Each attack has its control: the same scenario with
the ptable replaced by deterministic rounding, the hub's suppression rules and audit left as they
are, recovers the count; against the hub nothing is, and a hub that rounds fails the test
(mutation-checked).

The scenario puts London's potential victims by gender at the edges of rounding: 13 + 18 + 13 + 13
of 57 are published 15, 20, 15, 15 and 55, so their least counts add up to the greatest total and
rounding pins every row (and 12 + 17 + 12 + 12 of 53, published 10, 15, 10, 10 and 55: the greatest
add up to the least). Each partner's part leaves the others 5 or more of each row, so the
provider-differencing rule hides none of them.

Attack 4: ngo-three (4 potential victims, one of each gender) withdraws. The intruder's system is
both states at once: every cell before is the same cell after plus the withdrawn share of it
(>= 0), every table adding up in both (``linked.joint`` with "before" as the whole and "after" as
its part: the ``rest/`` cells are the shares). A share narrowed to one value, or to +-1, is the
withdrawing partner's small count, which the hub never publishes.

Attack 6: ngo-one subtracts its own potential victims of each gender (it knows them exactly, and
that each pooled cell holds at least as many) from the pooled cells: a pooled cell pinned gives the
other partners' exact count, which should only ever appear rounded.
"""

from collections.abc import Callable
from typing import Any

import pytest

from anonymise import perturb
from anonymise.agreement import DisclosureRules
from anonymise.disclosure import round_count
from anonymise.intervals import Window, intervals, window
from anonymise.vocab import AgeBand, AgeGroup, Gender
from hub.statistics import linked
from tests.factories import (
    FakePartner,
    add_partner,
    add_user_token,
    agreement_document,
    make_tables,
    store_agreement,
)
from tests.hubs import HubUnderTest

RULES = DisclosureRules()
QUARTER = "2026-Q3"
ENDPOINTS = ("overview", "breakdowns", "hotspots")


def _fetch(hub: HubUnderTest, token: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {token}"}
    out = {}
    for name in ENDPOINTS:
        r = hub.client.get(f"/api/v1/stats/london/{name}", params={"quarter": QUARTER}, headers=auth)
        assert r.status_code == 200, r.text
        out[name] = r.json()
    r = hub.client.get("/api/v1/stats/london/coverage", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["quarter"] == QUARTER
    out["coverage"] = r.json()
    return out


GENDERS = (Gender.female, Gender.male, Gender.transgender_female, Gender.unknown)
GENDER_KEYS = ("female", "male", "transgender_female", "not_recorded")
SENT = {"ngo-one": (6, 9, 6, 6), "ngo-two": (6, 8, 6, 6), "ngo-three": (1, 1, 1, 1)}
"""Each partner's potential victims by gender (attack 4); attack 6 has ngo-two send ngo-three's too."""


def _tables(genders: tuple[int, ...], seed: int) -> dict[str, list[Any]]:
    """One incident per potential victim, ``genders[i]`` of them of gender ``GENDERS[i]``; every
    victim an adult of 30-38 from GB, so the other victims' tables hold no small cell."""
    wanted = [g for g, n in zip(GENDERS, genders, strict=True) for _ in range(n)]
    tables = make_tables(len(wanted), seed=seed)
    victims = iter(wanted)
    persons = [
        p.model_copy(update={"gender": next(victims), "age_group": AgeGroup.adult, "age_band": AgeBand.a30_38, "nationality": "GB"})
        if p.role == "potential_victim" else p
        for p in tables["persons"]
    ]
    return {**tables, "persons": persons}


def _send(hub: HubUnderTest, sent: dict[str, tuple[int, ...]]) -> tuple[dict[str, FakePartner], str]:
    """Each partner sends its quarter; an API token for a borough officer of ngo-one."""
    partners: dict[str, FakePartner] = {org: hub.arrange(add_partner, org) for org in sent}
    hub.arrange(store_agreement, agreement_document(list(sent)))
    token: str = hub.arrange(add_user_token, "ngo-one", "borough_officer")
    for seed, (org, genders) in enumerate(sent.items(), start=1):
        assert hub.upload(partners[org], partners[org].bundle(_tables(genders, seed))).status_code == 201
    return partners, token


def _scenario(hub: HubUnderTest) -> tuple[dict[str, Any], dict[str, Any]]:
    partners, token = _send(hub, SENT)
    before = _fetch(hub, token)
    r = hub.partner_call(partners["ngo-three"], "POST", f"/api/v1/submissions/{QUARTER}/withdraw")
    assert r.status_code == 200, r.text
    after = _fetch(hub, token)
    return before, after


def _preimages() -> dict[int, Window]:
    """What the intruder, knowing the method and not the keys, learns from a shown value: the
    least and greatest count any cell key publishes as it, read from the ptable the hub uses (so
    a hub that rounds instead is attacked as rounding)."""
    table = perturb.generate(RULES.min_count, RULES.rounding_base)
    seen: dict[int, Window] = {}
    for n in range(RULES.min_count, 120):
        for p in {table.published(n, key) for key in range(perturb.KEY_RANGE)}:
            lo, hi = seen.get(p, (n, n))
            assert hi is not None
            seen[p] = (min(lo, n), max(hi, n))
    return seen


def _knowing_the_method(monkeypatch: pytest.MonkeyPatch, build: Callable[[], linked.Constraints]) -> linked.Constraints:
    """``build()`` with every shown value read as the intruder reads it (``_preimages``)."""
    preimages = _preimages()

    def known(published: int | None, status: str, *, min_count: int, rounding_base: int) -> Window:
        if status == "shown" and published:
            return preimages[published]
        return window(published, status, min_count=min_count, rounding_base=rounding_base)

    with monkeypatch.context() as m:
        m.setattr(linked, "window", known)
        return build()


def _shares(before: dict[str, Any], after: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Window]:
    """The intruder's interval for ngo-three's share of every cell: both states in one system."""
    system = _knowing_the_method(
        monkeypatch, lambda: linked.joint({"before": before, "after": after}, london="before", pooled=["after"], complete=False)
    )
    shares = [i for i, n in enumerate(system.names) if n.startswith("rest/")]
    assert len(shares) > 50, "every cell has a share"
    return {system.names[i].removeprefix("rest/"): w for i, w in intervals(system.windows, system.lines, shares).items()}


def _rounded(self: perturb.PTable, count: int, key: int) -> int:
    return round_count(count, RULES)


TRUE_SHARES = {"potential victims:total": 4} | {f"potential victims:gender:{g}": 1 for g in GENDER_KEYS}


def _recovered(shares: dict[str, Window]) -> dict[str, Window]:
    """Shares pinned or narrowed to +-1 that are not known to be 0."""
    return {n: w for n, w in shares.items() if w[1] is not None and w[1] >= 1 and w[1] - w[0] <= 2}


def test_before_and_after_a_withdrawal_give_the_share_under_plain_rounding(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: the hub publishing deterministic rounding (its audit and suppression rules
    as they are) lets the intruder read ngo-three's exact potential victims (4) and its 1 of each
    gender from London's figures before and after."""
    monkeypatch.setattr(perturb.PTable, "published", _rounded)
    before, after = _scenario(hub)
    shares = _shares(before, after, monkeypatch)
    for name, share in TRUE_SHARES.items():
        assert shares[name] == (share, share), name


def test_before_and_after_a_withdrawal_narrow_no_share(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the hub: every share of every cell the officer can fetch is left wider than +-1
    (or known to be 0), and ngo-three's true shares lie in their windows."""
    before, after = _scenario(hub)
    assert before != after, "the withdrawal changed what is published"
    shares = _shares(before, after, monkeypatch)
    for name, share in TRUE_SHARES.items():
        lo, hi = shares[name]
        assert lo <= share, name
        assert hi is None or share <= hi, name
    assert _recovered(shares) == {}


# --- attack 6: a provider subtracts its own records ---------------------------------------------

OWN = SENT["ngo-one"]
OTHERS = tuple(a + b for a, b in zip(SENT["ngo-two"], SENT["ngo-three"], strict=True))  # 7, 9, 7, 7


def _others(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> dict[str, Window]:
    """ngo-one's interval for the other partners' potential victims of each gender and in all."""
    _, token = _send(hub, {"ngo-one": OWN, "ngo-two": OTHERS})
    fetched = _fetch(hub, token)
    gender = next(t for t in fetched["breakdowns"]["tables"] if t["id"] == "gender")
    shown = {f["key"] for f in gender["rows"] if f["value"]}
    assert shown == set(GENDER_KEYS), "the cells attacked are shown, not hidden"
    system = _knowing_the_method(monkeypatch, lambda: linked.constraints(fetched))
    own = {f"potential victims:gender:{g}": n for g, n in zip(GENDER_KEYS, OWN, strict=True)} | {"potential victims:total": sum(OWN)}
    for name, n in own.items():
        system.bound(name, (n, None))  # the pooled cell holds at least the viewer's own records
    found = intervals(system.windows, system.lines, [system.names.index(name) for name in own])
    out = {}
    for name, n in own.items():
        lo, hi = found[system.names.index(name)]
        out[name] = (lo - n, None if hi is None else hi - n)
    return out


TRUE_OTHERS = {f"potential victims:gender:{g}": n for g, n in zip(GENDER_KEYS, OTHERS, strict=True)} | {"potential victims:total": sum(OTHERS)}


def test_own_record_subtraction_gives_the_others_exact_counts_under_plain_rounding(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: against rounding, London's gender rows pinned by their total, minus ngo-one's
    own, give ngo-two's exact 7, 9, 7 and 7 potential victims (30 in all)."""
    monkeypatch.setattr(perturb.PTable, "published", _rounded)
    assert _others(hub, monkeypatch) == {name: (n, n) for name, n in TRUE_OTHERS.items()}


def test_own_record_subtraction_gives_no_exact_count(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the hub the same subtraction leaves each of the others' counts wider than +-1,
    every cell shown (so it is the perturbation that hides them, not suppression)."""
    others = _others(hub, monkeypatch)
    assert set(others) == set(TRUE_OTHERS)
    for name, (lo, hi) in others.items():
        assert lo <= TRUE_OTHERS[name], name
        assert hi is None or TRUE_OTHERS[name] <= hi, name
        assert hi is None or hi - lo > 2, (name, lo, hi)
