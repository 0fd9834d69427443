"""The data-sharing agreement as data: the model every agreement file in ``policies/`` obeys.

An agreement names its parties, what each provider may upload, who may see statistics
derived from each provider's records and at which level, and the disclosure settings that
protect every published figure. The rules that read it live in ``anonymise.policy``.
"""

import functools
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from anonymise.schema import MAX_UPLOAD_H3_RESOLUTION, TABLES, GssCode
from anonymise.vocab import PartnerType

AGREEMENT_FORMAT_VERSION: Final = 1

OrgId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
AgreementId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class AgreementStatus(StrEnum):
    draft = "draft"
    active = "active"
    suspended = "suspended"
    expired = "expired"
    revoked = "revoked"


class PartyRole(StrEnum):
    provider = "provider"
    recipient = "recipient"


class ViewerRole(StrEnum):
    operator = "operator"
    borough_officer = "borough_officer"
    analyst = "analyst"
    partner_uploader = "partner_uploader"


class AccessLevel(StrEnum):
    """How much of a provider's contribution a recipient may see.

    ``borough_detail``: breakdowns for the recipient's own borough, or for the boroughs the grant
    lists (and pooled London); ``pooled_london``: only figures pooled across all of London;
    ``networks``: pooled London figures, and the provider's incidents in the hub's network list and
    link chart (``docs/networks.md``) — only for an analyst or a police partner.
    """

    borough_detail = "borough_detail"
    pooled_london = "pooled_london"
    networks = "networks"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(Strict):
    org: OrgId
    kind: PartnerType
    roles: tuple[PartyRole, ...] = Field(min_length=1)
    gss_code: GssCode | None = Field(
        default=None, description="The borough's ONS GSS code, for local authorities."
    )


class Grant(Strict):
    """One recipient rule: exactly one of ``org``, ``kind`` or ``role`` says who it covers."""

    org: OrgId | None = None
    kind: PartnerType | None = None
    role: ViewerRole | None = None
    level: AccessLevel
    boroughs: tuple[GssCode, ...] = Field(
        default=(),
        description=(
            "With borough_detail: the boroughs (GSS codes) whose detail this grant opens. "
            "Empty means the recipient's own borough only."
        ),
    )

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if sum(x is not None for x in (self.org, self.kind, self.role)) != 1:
            raise ValueError("a grant names exactly one of org, kind or role")
        if self.boroughs and self.level is not AccessLevel.borough_detail:
            raise ValueError("boroughs may only be listed on a borough_detail grant")
        if self.level is AccessLevel.networks and not (
            self.org is not None or self.role is ViewerRole.analyst or self.kind is PartnerType.LawEnforcement
        ):
            raise ValueError("a networks grant names an analyst role, the LawEnforcement kind or a police organisation")
        return self


class ProviderRule(Strict):
    """What one provider shares: the fields it uploads and who may see what comes of them."""

    provider: OrgId
    grants: tuple[Grant, ...] = ()
    fields: tuple[str, ...] | None = Field(
        default=None,
        description="Schema fields (table.field or field) this provider may upload; null means all.",
    )
    narrative: bool = Field(
        default=False, description="Whether scrubbed narrative text may be uploaded at all."
    )
    business_names: bool = Field(
        default=False,
        description=(
            "Whether business and premises names (a named nail bar, car wash, care home) may stay in "
            "scrubbed narratives. Off: they are replaced by <BUSINESS_n>; in a small town a named "
            "premises identifies the people who worked there."
        ),
    )
    alerts: bool = Field(
        default=False,
        description=(
            "Whether this provider takes part in cross-partner alerts: when one of its records links to "
            "another opted-in provider's record (same person, shared phone, email, vehicle, address or "
            "bank account), both are told that another partner holds a linked record (never whose, nor "
            "what). Off by default: an alert reveals to another organisation that this provider holds a "
            "record about the same person or selector. Needs linkage.cross_partner."
        ),
    )


class LocationRules(Strict):
    upload_h3_resolution: int = Field(default=MAX_UPLOAD_H3_RESOLUTION, ge=0, le=MAX_UPLOAD_H3_RESOLUTION)
    view_h3_resolution: int = Field(default=7, ge=0, le=MAX_UPLOAD_H3_RESOLUTION)

    @model_validator(mode="after")
    def _view_not_finer(self) -> Self:
        if self.view_h3_resolution > self.upload_h3_resolution:
            raise ValueError("view_h3_resolution: may not be finer than upload_h3_resolution")
        return self


class DisclosureRules(Strict):
    min_count: int = Field(default=5, ge=3, le=100, description="Counts 1..min_count-1 are suppressed.")
    rounding_base: int = Field(default=5, ge=1, le=100)
    max_resubmissions: int = Field(
        default=2, ge=0, le=20,
        description=(
            "How many times one partner may send a quarter again (supersede it, or send it after "
            "withdrawing it). Each new upload gives published figures a fresh perturbation draw, "
            "so every one allowed lets a partner probing with known records learn a little more."
        ),
    )


class LinkageRules(Strict):
    cross_partner: bool = Field(
        default=False, description="Whether pseudonyms may be matched across providers."
    )
    key_version: int = Field(default=1, ge=1)
    match_threshold: float = Field(
        default=0.9, ge=0.5, lt=1.0,
        description="Match probability (the hub's Fellegi–Sunter model) at or above which two person "
        "records are the same person; higher links fewer pairs, more surely.",
    )
    bridge_threshold: float = Field(
        default=0.95, ge=0.5, lt=1.0,
        description="Least match probability of a link that alone holds three or more person records "
        "together (a bridge of their cluster): a cluster whose weakest bridge is below it is cut "
        "there, so a chain of doubtful links never makes one person of many. At or below "
        "match_threshold it cuts nothing.",
    )


class Agreement(Strict):
    format: int = AGREEMENT_FORMAT_VERSION
    id: AgreementId
    version: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=200)
    status: AgreementStatus = AgreementStatus.draft
    valid_from: date
    valid_until: date
    purposes: tuple[str, ...] = Field(min_length=1)
    lawful_basis: str = Field(min_length=3)
    parties: tuple[Party, ...] = Field(min_length=1)
    sharing: tuple[ProviderRule, ...] = ()
    location: LocationRules = LocationRules()
    disclosure: DisclosureRules = DisclosureRules()
    upload_min_k: int = Field(default=1, ge=1, le=50)
    linkage: LinkageRules = LinkageRules()
    retention_months: int = Field(default=36, ge=1, le=240)
    demo: bool = Field(default=False, description="Demo agreements are refused outside demo mode.")
    returns_due_days: int = Field(
        default=30, ge=0, le=180,
        description="Days after a quarter ends by which each provider's return for it is due (the console's grid and reminders).",
    )
    protective_marking: str = Field(
        default="OFFICIAL-SENSITIVE", min_length=3, max_length=60, pattern=r"^[A-Z][A-Z \-]*[A-Z]$",
        description="The Government Security Classification printed on every page of reports drawn from this agreement.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        if self.valid_until < self.valid_from:
            problems.append("valid_until: is before valid_from")
        orgs = [p.org for p in self.parties]
        for i, org in enumerate(orgs):
            if org in orgs[:i]:
                problems.append(f"parties[{i}]: {org} is listed twice")
        providers = {p.org for p in self.parties if PartyRole.provider in p.roles}
        for i, rule in enumerate(self.sharing):
            if rule.provider not in providers:
                problems.append(f"sharing[{i}]: {rule.provider} is not a provider party")
            for j, grant in enumerate(rule.grants):
                if grant.org is not None and grant.org not in orgs:
                    problems.append(f"sharing[{i}].grants[{j}]: {grant.org} is not a party")
                elif grant.org is not None and grant.level is AccessLevel.networks:
                    party = self.party(grant.org)
                    if party is not None and party.kind is not PartnerType.LawEnforcement:
                        problems.append(f"sharing[{i}].grants[{j}]: a networks grant to an organisation needs a police party")
            for j, name in enumerate(rule.fields or ()):
                if not _is_schema_field(name):
                    problems.append(f"sharing[{i}].fields[{j}]: not a field of the common schema")
            if rule.alerts and not self.linkage.cross_partner:
                problems.append(f"sharing[{i}].alerts: needs linkage.cross_partner: true (alerts match across providers)")
        ruled = [r.provider for r in self.sharing]
        for i, provider in enumerate(ruled):
            if provider in ruled[:i]:
                problems.append(f"sharing[{i}]: {provider} already has a sharing rule")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def party(self, org: str) -> Party | None:
        return next((p for p in self.parties if p.org == org), None)

    def rule_for(self, provider: str) -> ProviderRule | None:
        return next((r for r in self.sharing if r.provider == provider), None)

    def alert_providers(self) -> frozenset[str]:
        """The providers that opted in to cross-partner alerts (``sharing[].alerts``)."""
        return frozenset(r.provider for r in self.sharing if r.alerts)


def _is_schema_field(name: str) -> bool:
    table, _, field = name.rpartition(".")
    if table:
        return table in TABLES and field in TABLES[table].model_fields
    return any(field in model.model_fields for model in TABLES.values())


def load_agreement(path: Path) -> Agreement:
    """Read and validate an agreement YAML file."""
    return parse_agreement(path.read_text(encoding="utf-8"))


def parse_agreement(text: str) -> Agreement:
    """Validate an agreement document (YAML text); the same text parses once per process (the model is frozen)."""
    return _parse(text)


@functools.lru_cache(maxsize=64)
def _parse(text: str) -> Agreement:
    # The hub reads its stored agreement on every upload (linkage threshold, cross-partner, alerts): PyYAML's
    # pure-Python parse of demo.yaml took ~0.1 s a call. Errors are not cached (lru_cache keeps only results).
    return Agreement.model_validate(yaml.safe_load(text))
