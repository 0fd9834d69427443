"""The agreement rules as pure functions with reasons: who may upload what, whose records a viewer's figures draw on.

Two questions, both answered without a database so the hub, the client and the tests ask
them the same way:

- :func:`check_upload` — may this partner upload this bundle under this agreement?
- :func:`visible_sources` — which providers' records may this viewer's statistics draw on,
  for this scope, under which disclosure settings? :func:`allowed_records` applies the answer.

Semantics (also in ``docs/agreements.md``):

- Only an agreement that is ``active`` and within its validity dates governs anything. Data is
  always governed by the agreement's *current* version: pass current versions only.
- A viewer sees a provider's records only if the viewer's organisation is a *recipient* party
  and some grant in the provider's sharing rule names the viewer's organisation, organisation
  kind or role. Nothing is implied: not for operators, not for a provider's own records.
- Scope ``"london"`` (pooled London figures) is opened by any grant. A borough scope (a GSS
  code) is opened only by a ``borough_detail`` grant, and only for the boroughs that grant
  lists, or — when it lists none — for the viewer's own borough.
- Disclosure settings are the strictest across the agreements that contribute: the largest
  minimum count, the largest rounding base, the coarsest view resolution.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Protocol, TypeVar

from anonymise.agreement import (
    AccessLevel,
    Agreement,
    AgreementStatus,
    DisclosureRules,
    Grant,
    LocationRules,
    PartyRole,
)
from anonymise.bundle import Manifest
from anonymise.schema import TABLES

LONDON: Final = "london"

ALWAYS_ALLOWED_FIELDS: Final[dict[str, frozenset[str]]] = {
    table: frozenset(
        name for name, info in model.model_fields.items() if info.is_required() and (table, name) != ("person_keys", "key_pid")
    )
    for table, model in TABLES.items()
}
"""Required fields of each table (keys, month, quarter): a provider's ``fields`` rule cannot exclude them.
``person_keys.key_pid`` is the exception: a provider whose rule lists fields sends linkage keys only
when the rule names it."""


@dataclass(frozen=True)
class Decision:
    """An answer and its reasons; refused answers name each rule broken, never a value."""

    allowed: bool
    reasons: list[str]


@dataclass(frozen=True)
class Viewer:
    """Who asks: their organisation (id and kind), their role, and their borough if they have one."""

    org_id: str
    org_kind: str
    role: str
    gss_code: str | None


@dataclass(frozen=True)
class Visibility:
    """Which records a viewer's figures may draw on, how they are protected, and why.

    ``sources`` holds ``(agreement_id, provider org id)`` pairs; a record counts only if its pair
    is here. ``explanations`` are sentences for the label beside every figure.
    """

    scope: str
    sources: frozenset[tuple[str, str]]
    min_count: int
    rounding_base: int
    view_h3_resolution: int
    linkage: Mapping[str, bool]
    agreements: tuple[tuple[str, int], ...]
    providers_considered: int
    explanations: tuple[str, ...]
    excluded: Mapping[str, str] = field(default_factory=dict)

    @property
    def providers(self) -> frozenset[str]:
        return frozenset(provider for _, provider in self.sources)

    def allows(self, agreement_id: str, provider: str) -> bool:
        return (agreement_id, provider) in self.sources

    def linkage_allowed(self, agreement_id: str) -> bool:
        return self.linkage.get(agreement_id, False)


class Sourced(Protocol):
    """Anything that says which agreement and which provider it came from (a record, a row)."""

    @property
    def agreement_id(self) -> str: ...

    @property
    def org_id(self) -> str: ...


S = TypeVar("S", bound=Sourced)


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter written ``YYYY-Qn``.

    >>> quarter_bounds("2025-Q2")
    (datetime.date(2025, 4, 1), datetime.date(2025, 6, 30))
    """
    year, q = int(quarter[:4]), int(quarter[-1])
    first = date(year, 3 * q - 2, 1)
    last = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def in_force(agreement: Agreement, today: date) -> bool:
    """Whether an agreement governs anything today: active and within its validity dates.

    >>> from anonymise.agreement import parse_agreement
    >>> a = parse_agreement(
    ...     "id: x1\\nversion: 1\\ntitle: Example\\nstatus: active\\nvalid_from: 2025-01-01\\n"
    ...     "valid_until: 2025-12-31\\npurposes: [p]\\nlawful_basis: basis\\n"
    ...     "parties: [{org: ngo-a, kind: NGO, roles: [provider]}]\\n")
    >>> in_force(a, date(2025, 6, 1)), in_force(a, date(2026, 1, 1))
    (True, False)
    """
    return (
        agreement.status is AgreementStatus.active
        and agreement.valid_from <= today <= agreement.valid_until
    )


def _field_allowed(table: str, name: str, allowed: tuple[str, ...] | None) -> bool:
    if name in ALWAYS_ALLOWED_FIELDS.get(table, frozenset()):
        return True
    if allowed is None:
        return True
    return f"{table}.{name}" in allowed or name in allowed


def check_upload(
    agreement: Agreement,
    *,
    partner_id: str,
    manifest: Manifest,
    present_fields: Mapping[str, set[str]],
    today: date,
    demo_mode: bool = False,
) -> Decision:
    """May ``partner_id`` upload this bundle under ``agreement`` (its current version)?

    :param agreement: the agreement's current version, as the hub holds it.
    :param partner_id: the organisation the upload token authenticated (not what the manifest says).
    :param manifest: the verified bundle manifest.
    :param present_fields: table → names of the fields that hold a non-default value in some row.
    :param today: the hub's date (UTC).
    :param demo_mode: demo agreements are refused unless the hub runs in demo mode.

    Uploads must name the agreement's current version: a bundle built under an older version
    is refused, so a partner never uploads under rules that no longer hold.

    >>> from anonymise.agreement import parse_agreement
    >>> a = parse_agreement(
    ...     "id: x1\\nversion: 2\\ntitle: Example\\nstatus: active\\nvalid_from: 2025-01-01\\n"
    ...     "valid_until: 2025-12-31\\npurposes: [p]\\nlawful_basis: basis\\n"
    ...     "parties: [{org: ngo-a, kind: NGO, roles: [provider]}]\\n")
    >>> m = Manifest.model_validate({"submission_id": "00000000-0000-4000-8000-000000000001",
    ...     "client_version": "1", "profile_version": "1", "partner_id": "ngo-a",
    ...     "partner_type": "NGO", "agreement_id": "x1", "agreement_version": 2,
    ...     "reporting_period": "2025-Q1", "key_version": 1, "h3_resolution": 8,
    ...     "created_at": "2025-04-02T00:00:00Z", "record_counts": {}, "files": {}})
    >>> check_upload(a, partner_id="ngo-a", manifest=m, present_fields={}, today=date(2025, 4, 2))
    Decision(allowed=True, reasons=[])
    >>> check_upload(a, partner_id="ngo-a", manifest=m,
    ...     present_fields={"incidents": {"narrative"}}, today=date(2025, 4, 2)).reasons
    ['narrative: this agreement does not allow ngo-a to share narrative text']
    """
    reasons: list[str] = []
    if agreement.demo and not demo_mode:
        reasons.append(
            f"agreement {agreement.id} is a demo agreement and the hub is not in demo mode"
        )
    if agreement.status is not AgreementStatus.active:
        reasons.append(f"agreement {agreement.id} is {agreement.status.value}, not active")
    if not agreement.valid_from <= today <= agreement.valid_until:
        reasons.append(f"agreement {agreement.id} is not in its validity period today")
    if manifest.agreement_id != agreement.id:
        reasons.append(f"the bundle names agreement {manifest.agreement_id}, not {agreement.id}")
    if manifest.agreement_version != agreement.version:
        reasons.append(
            f"the bundle names version {manifest.agreement_version} of agreement {agreement.id}; "
            f"the current version is {agreement.version}"
        )
    if manifest.partner_id != partner_id:
        reasons.append("the bundle's partner_id is not the authenticated partner")
    party = agreement.party(partner_id)
    if party is None or PartyRole.provider not in party.roles:
        reasons.append(f"{partner_id} is not a provider party of agreement {agreement.id}")
    elif party.kind != manifest.partner_type:
        reasons.append(f"the bundle's partner_type is not {partner_id}'s kind in the agreement")
    if manifest.key_version != agreement.linkage.key_version:
        reasons.append(
            f"pseudonyms were made with linkage key version {manifest.key_version}; "
            f"the agreement uses version {agreement.linkage.key_version}"
        )
    cap = agreement.location.upload_h3_resolution
    if manifest.h3_resolution is not None and manifest.h3_resolution > cap:
        reasons.append(f"h3_resolution {manifest.h3_resolution} is finer than the upload cap {cap}")
    first, last = quarter_bounds(manifest.reporting_period)
    if last < agreement.valid_from or first > agreement.valid_until:
        reasons.append(f"quarter {manifest.reporting_period} is outside the agreement's validity")
    elif first > today:
        reasons.append(f"quarter {manifest.reporting_period} has not begun")
    rule = agreement.rule_for(partner_id)
    allowed_fields = rule.fields if rule is not None else None
    narrative_ok = rule is not None and rule.narrative
    for table in sorted(present_fields):
        if table not in TABLES:
            reasons.append(f"{table}: not a table of the common schema")
            continue
        for name in sorted(present_fields[table]):
            if table == "incidents" and name == "narrative":
                if not narrative_ok:
                    reasons.append(
                        f"narrative: this agreement does not allow {partner_id} to share narrative text"
                    )
            elif not _field_allowed(table, name, allowed_fields):
                reasons.append(f"{table}.{name}: not among the fields {partner_id} may share")
    return Decision(allowed=not reasons, reasons=reasons)


def _grant_covers(grant: Grant, viewer: Viewer) -> bool:
    return (
        (grant.org is not None and grant.org == viewer.org_id)
        or (grant.kind is not None and grant.kind.value == viewer.org_kind)
        or (grant.role is not None and grant.role.value == viewer.role)
    )


def _grant_opens(grant: Grant, viewer: Viewer, scope: str) -> bool:
    if scope == LONDON:
        return True
    if grant.level is not AccessLevel.borough_detail:
        return False
    if grant.boroughs:
        return scope in grant.boroughs
    return viewer.gss_code is not None and scope == viewer.gss_code


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def visible_sources(
    agreements: Sequence[Agreement], viewer: Viewer, *, scope: str, today: date
) -> Visibility:
    """Which providers' records may ``viewer``'s statistics for ``scope`` draw on, and how protected?

    :param agreements: the current version of every agreement (any status; only those in
        force count).
    :param viewer: who asks.
    :param scope: ``"london"`` for pooled London figures, or a borough's GSS code for its detail.
    :param today: the hub's date (UTC).

    >>> from anonymise.agreement import parse_agreement
    >>> a = parse_agreement(
    ...     "id: x1\\nversion: 1\\ntitle: Example\\nstatus: active\\nvalid_from: 2025-01-01\\n"
    ...     "valid_until: 2025-12-31\\npurposes: [p]\\nlawful_basis: basis\\n"
    ...     "parties: [{org: ngo-a, kind: NGO, roles: [provider]},\\n"
    ...     "  {org: lb-x, kind: LocalGovernmentOrganisation, roles: [recipient], gss_code: E09000001}]\\n"
    ...     "sharing: [{provider: ngo-a, grants: [{org: lb-x, level: pooled_london}]}]\\n")
    >>> officer = Viewer("lb-x", "LocalGovernmentOrganisation", "borough_officer", "E09000001")
    >>> sorted(visible_sources([a], officer, scope="london", today=date(2025, 6, 1)).sources)
    [('x1', 'ngo-a')]
    >>> v = visible_sources([a], officer, scope="E09000001", today=date(2025, 6, 1))
    >>> v.sources, v.explanations[0]
    (frozenset(), 'based on 0 of 1 partner; 1 does not share borough detail with your organisation')
    """
    sources: set[tuple[str, str]] = set()
    considered: set[str] = set()
    excluded: dict[str, str] = {}
    contributing: list[Agreement] = []
    notes: list[str] = []
    for agreement in sorted(agreements, key=lambda a: a.id):
        party = agreement.party(viewer.org_id)
        if party is None or PartyRole.recipient not in party.roles:
            continue
        providers = [p.org for p in agreement.parties if PartyRole.provider in p.roles]
        if not in_force(agreement, today):
            state = (
                agreement.status.value
                if agreement.status is not AgreementStatus.active
                else "out of date"
            )
            notes.append(
                f"agreement {agreement.id} is {state}: its "
                f"{_plural(len(providers), 'partner is', 'partners are')} not included"
            )
            continue
        contributes = False
        for provider in providers:
            considered.add(provider)
            rule = agreement.rule_for(provider)
            covering = [g for g in (rule.grants if rule else ()) if _grant_covers(g, viewer)]
            if any(_grant_opens(g, viewer, scope) for g in covering):
                sources.add((agreement.id, provider))
                contributes = True
            elif covering:
                excluded.setdefault(provider, "borough")
            else:
                excluded.setdefault(provider, "none")
        if contributes:
            contributing.append(agreement)
    included = {p for _, p in sources}
    for provider in included:
        excluded.pop(provider, None)
    reasons = {
        "borough": "does not share borough detail with your organisation",
        "none": "does not share with your organisation",
    }
    reasons_many = {
        "borough": "do not share borough detail with your organisation",
        "none": "do not share with your organisation",
    }
    head = f"based on {len(included)} of {_plural(len(considered), 'partner', 'partners')}"
    parts = [head]
    for kind in ("borough", "none"):
        n = sum(1 for k in excluded.values() if k == kind)
        if n:
            parts.append(f"{n} {reasons[kind] if n == 1 else reasons_many[kind]}")
    explanations = ["; ".join(parts), *notes]
    defaults_d, defaults_l = DisclosureRules(), LocationRules()
    return Visibility(
        scope=scope,
        sources=frozenset(sources),
        min_count=max((a.disclosure.min_count for a in contributing), default=defaults_d.min_count),
        rounding_base=max(
            (a.disclosure.rounding_base for a in contributing), default=defaults_d.rounding_base
        ),
        view_h3_resolution=min(
            (a.location.view_h3_resolution for a in contributing),
            default=defaults_l.view_h3_resolution,
        ),
        linkage={a.id: a.linkage.cross_partner for a in contributing},
        agreements=tuple((a.id, a.version) for a in contributing),
        providers_considered=len(considered),
        explanations=tuple(explanations),
        excluded=excluded,
    )


def allowed_records(records: Iterable[S], visibility: Visibility) -> list[S]:
    """Only the records whose (agreement, provider) pair the visibility allows.

    :param records: anything with ``agreement_id`` and ``org_id`` (the provider).
    :param visibility: the answer of :func:`visible_sources` for this viewer and scope.

    >>> from types import SimpleNamespace as R
    >>> v = Visibility("london", frozenset({("x1", "ngo-a")}), 5, 5, 7, {}, (), 1, ())
    >>> [r.org_id for r in allowed_records([R(agreement_id="x1", org_id="ngo-a"),
    ...     R(agreement_id="x1", org_id="ngo-b")], v)]
    ['ngo-a']
    """
    return [r for r in records if (r.agreement_id, r.org_id) in visibility.sources]


NETWORK_ROLES: Final = frozenset({"analyst"})
NETWORK_KINDS: Final = frozenset({"LawEnforcement"})
"""Who may ever see networks: an analyst, or a user of a police partner (and only through a ``networks`` grant)."""


def network_sources(agreements: Sequence[Agreement], viewer: Viewer, *, today: date) -> Visibility:
    """Which providers' incidents may ``viewer``'s network list and link chart draw on?

    A provider counts only through a grant at level ``networks`` covering the viewer, in an
    agreement in force that names the viewer's organisation as a recipient, and only for an
    analyst or a police partner's user. A network is shown only when every provider it draws on
    counts (``docs/networks.md``).

    :param agreements: the current version of every agreement.
    :param viewer: who asks.
    :param today: the hub's date (UTC).

    >>> from anonymise.agreement import parse_agreement
    >>> a = parse_agreement(
    ...     "id: x1\\nversion: 1\\ntitle: Example\\nstatus: active\\nvalid_from: 2025-01-01\\n"
    ...     "valid_until: 2025-12-31\\npurposes: [p]\\nlawful_basis: basis\\n"
    ...     "parties: [{org: ngo-a, kind: NGO, roles: [provider]}, {org: ngo-b, kind: NGO, roles: [provider]},\\n"
    ...     "  {org: mopac, kind: CentralGovernmentOrganisation, roles: [recipient]}]\\n"
    ...     "sharing: [{provider: ngo-a, grants: [{role: analyst, level: networks}]},\\n"
    ...     "  {provider: ngo-b, grants: [{role: analyst, level: pooled_london}]}]\\n")
    >>> analyst = Viewer("mopac", "CentralGovernmentOrganisation", "analyst", None)
    >>> v = network_sources([a], analyst, today=date(2025, 6, 1))
    >>> sorted(v.sources), v.explanations[0]
    ([('x1', 'ngo-a')], 'based on 1 of 2 partners; 1 does not share networks with your organisation')
    >>> network_sources([a], Viewer("mopac", "CentralGovernmentOrganisation", "borough_officer", None),
    ...     today=date(2025, 6, 1)).sources
    frozenset()
    """
    sources: set[tuple[str, str]] = set()
    considered: set[str] = set()
    contributing: list[Agreement] = []
    entitled = viewer.role in NETWORK_ROLES or viewer.org_kind in NETWORK_KINDS
    for agreement in sorted(agreements, key=lambda a: a.id):
        party = agreement.party(viewer.org_id)
        if party is None or PartyRole.recipient not in party.roles or not in_force(agreement, today):
            continue
        contributes = False
        for provider in (p.org for p in agreement.parties if PartyRole.provider in p.roles):
            considered.add(provider)
            rule = agreement.rule_for(provider)
            grants = [g for g in (rule.grants if rule else ()) if _grant_covers(g, viewer)]
            if entitled and any(g.level is AccessLevel.networks for g in grants):
                sources.add((agreement.id, provider))
                contributes = True
        if contributes:
            contributing.append(agreement)
    included = {p for _, p in sources}
    left = len(considered - included)
    head = f"based on {len(included)} of {_plural(len(considered), 'partner', 'partners')}"
    if left:
        head += f"; {left} {'does' if left == 1 else 'do'} not share networks with your organisation"
    defaults = DisclosureRules()
    return Visibility(
        scope="networks",
        sources=frozenset(sources),
        min_count=max((a.disclosure.min_count for a in contributing), default=defaults.min_count),
        rounding_base=max((a.disclosure.rounding_base for a in contributing), default=defaults.rounding_base),
        view_h3_resolution=min((a.location.view_h3_resolution for a in contributing), default=LocationRules().view_h3_resolution),
        linkage={a.id: a.linkage.cross_partner for a in contributing},
        agreements=tuple((a.id, a.version) for a in contributing),
        providers_considered=len(considered),
        explanations=(head,),
    )
