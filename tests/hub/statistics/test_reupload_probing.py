"""Attack 3 of issue 12 against a real hub: re-upload probing with known extra records.

ngo-one sends its quarter, then sends it again with 1, 2, ... extra incidents it made up (each
with one potential victim), and after each upload reads London's overview as a borough officer of
its own organisation. It knows its own counts exactly, so every published figure bounds the other
partner's count: others = pooled - own, with pooled in the window the method allows for the
published value. Intersecting the windows over the uploads is the flip-point attack of the issue
in its strongest form (a step up of deterministic rounding is one such intersection).

The control replaces the ptable by deterministic rounding (and the intruder's window by the 5
counts a value rounds from) and lifts the agreement's resend limit: the same five uploads then pin
the other partner's exact incidents and victims, as the issue found. Against the hub the resend
limit refuses every upload past the agreement's ``max_resubmissions``, each accepted one is in the
audit log with its size, and the uploads it accepts leave the other partner's count unpinned.
"""

from typing import Any

import pytest
from sqlalchemy import select

from anonymise import perturb
from anonymise.agreement import DisclosureRules
from anonymise.disclosure import round_count
from anonymise.intervals import Window, window
from hub.models import AuditEntry
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
BASE, OTHERS = 41, 30  # ngo-one's incidents before probing, ngo-two's (one potential victim each)
TARGETS = ("incidents", "potential_victims")


def _rounded(self: perturb.PTable, count: int, key: int) -> int:
    return round_count(count, RULES)


def _preimages() -> dict[int, Window]:
    """What the intruder, knowing the method and not the keys, learns from a shown value: the
    least and greatest count any cell key publishes as it (read from the ptable the hub uses, so
    a hub that rounds instead is attacked as rounding)."""
    table = perturb.generate(RULES.min_count, RULES.rounding_base)
    seen: dict[int, Window] = {}
    for n in range(RULES.min_count, 160):
        for p in {table.published(n, key) for key in range(perturb.KEY_RANGE)}:
            lo, hi = seen.get(p, (n, n))
            assert hi is not None
            seen[p] = (min(lo, n), max(hi, n))
    return seen


def _arrange(hub: HubUnderTest, max_resubmissions: int) -> tuple[FakePartner, str]:
    prober: FakePartner = hub.arrange(add_partner, "ngo-one")
    other: FakePartner = hub.arrange(add_partner, "ngo-two")
    document = agreement_document(["ngo-one", "ngo-two"]) | {"disclosure": {"max_resubmissions": max_resubmissions}}
    hub.arrange(store_agreement, document)
    token: str = hub.arrange(add_user_token, "ngo-one", "borough_officer")  # the prober's own officer sees pooled London
    assert hub.upload(other, other.bundle(make_tables(OTHERS, seed=2))).status_code == 201
    return prober, token


def _headlines(hub: HubUnderTest, token: str) -> dict[str, dict[str, Any]]:
    r = hub.client.get("/api/v1/stats/london/overview", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return {h["key"]: h["figure"] for h in r.json()["headlines"]}


def _probe(hub: HubUnderTest, prober: FakePartner, token: str, extras: range) -> tuple[dict[str, list[Window]], list[int]]:
    """Upload BASE + k incidents for each k; the others' window per target from each accepted
    upload, and the k the hub refused."""
    seen: dict[str, list[Window]] = {t: [] for t in TARGETS}
    preimages = _preimages()
    refused = []
    for k in extras:
        sent = hub.upload(prober, prober.bundle(make_tables(BASE + k, seed=1)))  # the first BASE records are the same each time
        if sent.status_code == 409:
            assert "resubmission" in sent.json()["detail"]
            refused.append(k)
            continue
        assert sent.status_code == 201, sent.text
        figures = _headlines(hub, token)
        for target in TARGETS:
            f = figures[target]
            seen[target].append(_window_of(f["value"], f["suppressed"], preimages, own=BASE + k))
    return seen, refused


def _window_of(published: int | None, suppressed: str | None, preimages: dict[int, Window], *, own: int) -> Window:
    if suppressed is None and published:
        lo, hi = preimages[published]
    else:
        lo, hi = window(published, suppressed or "shown", min_count=RULES.min_count, rounding_base=RULES.rounding_base)
    return (max(0, lo - own), None if hi is None else hi - own)


def _others(windows: list[Window]) -> Window:
    """The intersection: what every upload together says of the other partner's count."""
    assert windows
    his = [hi for _, hi in windows if hi is not None]
    return (max(lo for lo, _ in windows), min(his) if his else None)


@pytest.fixture
def rounding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defence replaced by deterministic rounding (the intruder reads the same table)."""
    monkeypatch.setattr(perturb.PTable, "published", _rounded)


@pytest.mark.usefixtures("rounding")
def test_reupload_probing_pins_the_others_counts_under_plain_rounding(hub: HubUnderTest) -> None:
    """The control: five uploads (0..4 extra records, the limit lifted) against rounding give
    the other partner's exact incidents and victims."""
    prober, token = _arrange(hub, max_resubmissions=20)
    seen, refused = _probe(hub, prober, token, range(5))
    assert refused == []
    for target in TARGETS:
        assert _others(seen[target]) == (OTHERS, OTHERS), target


def test_reupload_probing_is_refused_past_the_limit_and_audited_with_its_size(hub: HubUnderTest) -> None:
    """Against the hub: the uploads past ``max_resubmissions`` are refused, each accepted resend
    is in the audit log with its old and new size, and what the accepted ones publish leaves the
    other partner's counts wider than +-1 (each window holds the true count)."""
    prober, token = _arrange(hub, max_resubmissions=RULES.max_resubmissions)
    seen, refused = _probe(hub, prober, token, range(9))  # the nine uploads
    allowed = 1 + RULES.max_resubmissions
    assert refused == list(range(allowed, 9))
    for target in TARGETS:
        assert len(seen[target]) == allowed
        lo, hi = _others(seen[target])
        assert lo <= OTHERS, target
        assert hi is None or hi >= OTHERS, target
        assert hi is None or hi - lo > 2, (target, lo, hi)
    with hub.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "submission.superseded")).all()
    sizes = sorted((e.details["records"]["incidents"], e.details["new_records"]["incidents"]) for e in entries)
    assert sizes == [(BASE + k, BASE + k + 1) for k in range(allowed - 1)]


def test_reupload_probing_past_the_limit_pins_nothing_through_the_ptable_alone(hub: HubUnderTest) -> None:
    """The ptable without the limit: nine uploads (0..8 extra records, the issue's count) still
    leave the other partner's counts wide (24..38 and 24..35 on this seed, truth 30): the
    windows of fresh draws overlap in the middle. More resends narrow it further, which is why
    the agreement limits them."""
    prober, token = _arrange(hub, max_resubmissions=20)
    seen, refused = _probe(hub, prober, token, range(9))
    assert refused == []
    for target in TARGETS:
        lo, hi = _others(seen[target])
        assert lo <= OTHERS, target
        assert hi is None or hi >= OTHERS, target
        assert hi is None or hi - lo > 2, (target, lo, hi)
