"""Every table the hub stores, in one file, so a privacy reviewer reads all it keeps in one sitting.

What is here: organisations and their users, partner signing keys and enrolment tokens,
agreement versions, submissions (metadata and signed receipts), the anonymised records with
pseudonyms re-keyed by the hub's own secret, cross-partner alerts and the contact requests made
about them, the hash-chained audit log, and the small shared state (replay cache, sessions, rate
limits) that lets several hub processes share one database. What is never here: linkage keys,
raw identifiers, postcodes, addresses, coordinates, unscrubbed notes, partners' case references.
"""

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

class UtcTimestamp(TypeDecorator[datetime]):
    """A timestamp read back aware, in UTC, on every database: PostgreSQL's ``timestamptz`` already
    is; SQLite stores text without an offset and hands back naive UTC, which this marks as UTC, so
    every datetime the API serialises carries its offset (``+00:00``)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = UtcTimestamp()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OrgStatus(StrEnum):
    active = "active"
    disabled = "disabled"


class UserStatus(StrEnum):
    active = "active"
    disabled = "disabled"


class KeyStatus(StrEnum):
    active = "active"
    revoked = "revoked"


class SubmissionStatus(StrEnum):
    active = "active"
    superseded = "superseded"
    withdrawn = "withdrawn"
    purged = "purged"  # records deleted at the end of the agreement's retention period


# --- who is who -----------------------------------------------------------------------------


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # anonymise.vocab.PartnerType
    gss_code: Mapped[str | None] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(16), default=OrgStatus.active)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    # The organisation's named contact for alerts (set by the operator): shown to another partner
    # only once it accepted a contact request about a shared alert.
    contact: Mapped[str | None] = mapped_column(String(300))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))  # anonymise.agreement.ViewerRole
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.active)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class ApiToken(Base):
    """Bearer tokens for scripts; only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class WebSession(Base):
    """Server-side record of a login, so logout and disabling a user take effect everywhere."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class EnrolmentToken(Base):
    """One-time, expiring token an operator issues so a partner can register its signing key."""

    __tablename__ = "enrolment_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    used_at: Mapped[datetime | None] = mapped_column(Timestamp)


class PartnerKey(Base):
    """A partner's Ed25519 public key; uploads are signed with the private half it keeps."""

    __tablename__ = "partner_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[str] = mapped_column(String(16), default=KeyStatus.active)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


# --- agreements -----------------------------------------------------------------------------


class AgreementVersion(Base):
    """One version of an agreement file; the highest version is the one that governs."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # anonymise.agreement.AgreementStatus
    document: Mapped[str] = mapped_column(Text)  # the YAML as loaded, validated
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


# --- submissions and the anonymised records ------------------------------------------------


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index(
            "uq_submissions_one_active",
            "org_id",
            "agreement_id",
            "quarter",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the manifest's submission_id
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    agreement_version: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.active)
    bundle_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    signing_kid: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, object]] = mapped_column(JSON)
    receipt: Mapped[dict[str, object]] = mapped_column(JSON)
    record_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(Timestamp)
    superseded_by: Mapped[str | None] = mapped_column(String(36))
    superseded_at: Mapped[datetime | None] = mapped_column(Timestamp)
    withdrawn_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_scope", "la_gss_code", "quarter"),
        Index("ix_incidents_quarter_org", "quarter", "org_id"),  # London by quarter; a provider's own quarter
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(64), index=True)  # the provider
    agreement_id: Mapped[str] = mapped_column(String(64))
    quarter: Mapped[str] = mapped_column(String(7))
    incident_key: Mapped[str] = mapped_column(String(80), index=True)  # hub re-keyed
    first_known_month: Mapped[str] = mapped_column(String(7))
    source_channel: Mapped[str] = mapped_column(String(32))
    county_lines: Mapped[str] = mapped_column(String(16))
    premises_type: Mapped[str] = mapped_column(String(32))
    exploitation_scope: Mapped[str] = mapped_column(String(32))
    la_gss_code: Mapped[str | None] = mapped_column(String(9))
    police_force_area: Mapped[str | None] = mapped_column(String(9))
    # the route (anonymise.schema.Incident): countries as ISO codes, transit in order joined by ">"
    recruitment_country: Mapped[str] = mapped_column(String(24), default="unknown", server_default="unknown")
    transit_countries: Mapped[str] = mapped_column(String(24), default="", server_default=text("''"))
    exploitation_country: Mapped[str] = mapped_column(String(24), default="unknown", server_default="unknown")
    recruitment_area: Mapped[str | None] = mapped_column(String(9))
    exploitation_area: Mapped[str | None] = mapped_column(String(9))
    h3_cell: Mapped[str | None] = mapped_column(String(15))
    h3_resolution: Mapped[int | None] = mapped_column(Integer)
    narrative: Mapped[str | None] = mapped_column(Text)  # scrubbed, and only where agreed
    record_key: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # secret cell-key perturbation key (anonymise.perturb)


class IncidentCode(Base):
    """Multi-valued incident fields (exploitation types, sectors, control, recruitment), one row per code."""

    __tablename__ = "incident_codes"
    __table_args__ = (Index("ix_incident_codes_field_code", "field", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(48))


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[str] = mapped_column(String(36), index=True)
    org_id: Mapped[str] = mapped_column(String(64))
    person_seq: Mapped[int] = mapped_column(Integer)
    # Match keys, each re-keyed by the hub's secret: never the value the partner sent.
    mk_name_dob: Mapped[str | None] = mapped_column(String(80), index=True)
    mk_initial_surname_dob: Mapped[str | None] = mapped_column(String(80), index=True)
    mk_sorted_tokens_yob: Mapped[str | None] = mapped_column(String(80), index=True)
    mk_surname_dob_sex: Mapped[str | None] = mapped_column(String(80), index=True)
    role: Mapped[str] = mapped_column(String(32))
    gender: Mapped[str] = mapped_column(String(32))
    age_band: Mapped[str] = mapped_column(String(16))
    age_group: Mapped[str] = mapped_column(String(16))
    nationality: Mapped[str] = mapped_column(String(40))
    relationship: Mapped[str] = mapped_column(String(32))
    record_key: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # secret cell-key perturbation key (anonymise.perturb)


class PersonKey(Base):
    """One linkage key of a person (``anonymise.matchkeys`` kinds and the four classic match keys).

    ``key`` is the first 60 bits of the hub re-keyed value (``h1.`` HMAC under the hub's secret of
    the partner's pseudonym): enough to compare within a kind, never the value the partner sent.
    """

    __tablename__ = "person_keys"
    __table_args__ = (Index("ix_person_keys_person", "incident_id", "person_seq"), Index("ix_person_keys_kind_key", "kind", "key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    submission_id: Mapped[str] = mapped_column(String(36), index=True)
    person_seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[int] = mapped_column(BigInteger)


class PersonLink(Base):
    """Two person records the hub's model links (probability at or above the agreement's threshold).

    ``kinds`` names the key kinds the pair agrees on ("|"-joined): why they link, never a value.
    """

    __tablename__ = "person_links"

    person_a: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    person_b: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    probability: Mapped[float] = mapped_column(Float)
    kinds: Mapped[str] = mapped_column(String(800))


class PersonLinkModel(Base):
    """An agreement's linkage model as fitted at its last full relink: m, u and prior per
    comparison, and the persons it was fitted on. Numbers only, no key value; an ingest scores
    its new records' pairs with it (incremental linkage)."""

    __tablename__ = "person_link_models"

    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    persons: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, object]] = mapped_column(JSON)


class PersonCluster(Base):
    """The hub's person id of a person record: the connected component of its links, named by
    its smallest person record id (a record linked to nothing is its own person)."""

    __tablename__ = "person_clusters"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    cluster_id: Mapped[int] = mapped_column(Integer, index=True)


class Selector(Base):
    __tablename__ = "selectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[str] = mapped_column(String(36), index=True)
    org_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    selector_key: Mapped[str] = mapped_column(String(80), index=True)  # hub re-keyed


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[str] = mapped_column(String(36), index=True)
    org_id: Mapped[str] = mapped_column(String(64))
    person_seq: Mapped[int | None] = mapped_column(Integer)
    referral_type: Mapped[str] = mapped_column(String(32))
    first_responder_type: Mapped[str] = mapped_column(String(32))
    reasonable_grounds: Mapped[str] = mapped_column(String(16))
    conclusive_grounds: Mapped[str] = mapped_column(String(16))
    decision_month: Mapped[str | None] = mapped_column(String(7))
    police_outcome: Mapped[str] = mapped_column(String(32))
    victim_engaged_with_police: Mapped[str] = mapped_column(String(16))
    support_provided: Mapped[str] = mapped_column(String(400))  # codes joined by "|"
    record_key: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # secret cell-key perturbation key (anonymise.perturb)


# --- summaries the statistics read (derived from the records above, rebuilt at will) -------


class StatCount(Base):
    """Per-submission aggregate counts, written in the same transaction as the submission's records.

    One row per (submission, area, measure, category): the area is a borough GSS code, ``""``
    for records without one, or ``"london"`` for the submission's whole total. Counts of
    records, never records; the statistics API sums these over the active submissions a viewer
    may see, then applies disclosure control, exactly as it would over the records themselves.
    """

    __tablename__ = "stat_counts"
    __table_args__ = (Index("ix_stat_counts_lookup", "submission_id", "measure", "area", "quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(36))
    area: Mapped[str] = mapped_column(String(9))
    quarter: Mapped[str] = mapped_column(String(7))
    measure: Mapped[str] = mapped_column(String(40))
    k1: Mapped[str] = mapped_column(String(48), default="")
    k2: Mapped[str] = mapped_column(String(48), default="")
    k3: Mapped[str] = mapped_column(String(48), default="")
    k4: Mapped[str] = mapped_column(String(48), default="")
    k5: Mapped[str] = mapped_column(String(48), default="")
    n: Mapped[int] = mapped_column(Integer)
    key_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # sum of the counted records' record keys


class PremisesCount(Base):
    """How many premises of one type a public register lists in one borough (``msht-hub premises import``).

    Counts only: the register's business names, addresses, postcodes and coordinates are never
    stored (``hub.premises.register`` drops them while reading). The denominators of the
    premises indicators; one import replaces every row.
    """

    __tablename__ = "premises_counts"
    __table_args__ = (UniqueConstraint("area", "premises_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(String(9))  # a borough GSS code
    premises_type: Mapped[str] = mapped_column(String(32))  # anonymise.vocab.PremisesType
    n: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(64))  # which register, e.g. "FSA FHRS"
    extract_date: Mapped[str | None] = mapped_column(String(10))  # the register's own extract date
    imported_at: Mapped[datetime] = mapped_column(Timestamp)


class LinkedPerson(Base):
    """Person rows sharing a match key with a person of another incident: the repeat-people index.

    Copies of ``persons`` columns (the hub re-keyed match keys included), kept so that counting
    repeat people reads these few rows instead of probing every person. A superset: rows are
    added at ingest and removed with their submission's records, never when the row they matched
    goes, so the statistics re-check every match within the viewer's scope.
    """

    __tablename__ = "linked_persons"
    __table_args__ = (Index("ix_linked_persons_scope", "submission_id", "area"),)

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(36))
    area: Mapped[str] = mapped_column(String(9))
    incident_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    mk_name_dob: Mapped[str | None] = mapped_column(String(80))
    mk_initial_surname_dob: Mapped[str | None] = mapped_column(String(80))
    mk_sorted_tokens_yob: Mapped[str | None] = mapped_column(String(80))
    mk_surname_dob_sex: Mapped[str | None] = mapped_column(String(80))
    record_key: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# --- cross-partner alerts (hub.alerts; derived from the records above, dropped with them) ---


class ContactStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"


class Alert(Base):
    """One side of a cross-partner link: a record of ``org_id`` links to a record another opted-in
    provider holds (same person cluster, or a shared selector pseudonym). The other side is its own
    row, the mirror. A partner is shown its own ``submission_id`` and ``row`` (the record's position
    in the bundle it sent, which its client resolves to its case reference locally), ``kinds`` and
    ``found_month``; never ``other_incident_id`` or ``other_org_id``.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("incident_id", "other_incident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    org_id: Mapped[str] = mapped_column(String(64), index=True)  # who is told
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    submission_id: Mapped[str] = mapped_column(String(36))
    row: Mapped[int] = mapped_column(Integer)  # 0-based position of the incident in its bundle's incidents table
    other_org_id: Mapped[str] = mapped_column(String(64))
    other_incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    kinds: Mapped[str] = mapped_column(String(200))  # "person|phone": why they link, never a value
    found_month: Mapped[str] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class ContactRequest(Base):
    """A partner asks, through the hub, to be put in touch about one of its alerts; the partner
    holding the other side accepts or declines. Contacts are shown only once accepted."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), unique=True)  # the asker's
    mirror_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)  # the asked's
    from_org: Mapped[str] = mapped_column(String(64), index=True)
    to_org: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ContactStatus.pending)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp)
# --- networks (derived from the records above by hub.records.networks, rebuilt at will) ------


class Network(Base):
    """A connected component of the link graph: two or more incidents joined through shared
    people (person clusters) or selectors. Counts and codes only; the shared pseudonyms are never
    copied here. ``provider`` is ``""`` when the agreement allows cross-partner linkage, else the
    one provider whose records the network joins (networks never cross providers then)."""

    __tablename__ = "networks"
    __table_args__ = (Index("ix_networks_partition", "agreement_id", "provider"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(64), default="")
    incidents: Mapped[int] = mapped_column(Integer, index=True)
    people: Mapped[int] = mapped_column(Integer)
    selectors: Mapped[dict[str, int]] = mapped_column(JSON)  # selector kind -> nodes of that kind
    providers: Mapped[list[str]] = mapped_column(JSON)
    boroughs: Mapped[list[str]] = mapped_column(JSON)  # GSS codes
    exploitation_types: Mapped[list[str]] = mapped_column(JSON)
    first_month: Mapped[str] = mapped_column(String(7))
    last_month: Mapped[str] = mapped_column(String(7), index=True)
    last_quarter: Mapped[str] = mapped_column(String(7))  # the latest quarter of its incidents
    added_last_quarter: Mapped[int] = mapped_column(Integer)  # its incidents of that quarter: growth, where that is the agreement's latest (networks.added_in)
    county_lines: Mapped[bool] = mapped_column(Boolean)
    record_key: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # its incidents' record keys summed: a count of networks is cell-key perturbed (anonymise.perturb)


class NetworkMember(Base):
    """Which network an incident is in (incidents joined to no other have no row)."""

    __tablename__ = "network_members"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    network_id: Mapped[int] = mapped_column(Integer, index=True)  # no foreign key: checking it cost a third of an update's writes; hub.records.networks deletes members first


class NetworkFacet(Base):
    """One filterable value of a network (``facet`` borough, type or provider), so lists filter by index."""

    __tablename__ = "network_facets"
    __table_args__ = (
        Index("ix_network_facets_lookup", "facet", "value", "network_id"),  # a filtered list's networks from the index alone
        Index("ix_network_facets_member", "network_id", "facet", "value"),  # a list's per-network filters: one index probe each
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[int] = mapped_column(Integer)  # no foreign key, no index of its own (ix_network_facets_member leads with it): migration 0013
    facet: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))


class NetworkPerson(Base):
    """The person cluster each active person had when its agreement's networks were last brought up
    to date: what an incremental update compares the clusters with to find the persons linkage moved
    (no foreign key: a deleted person's row must outlive it until that comparison). Ids only."""

    __tablename__ = "network_persons"
    __table_args__ = (Index("ix_network_persons_cluster", "agreement_id", "cluster_id"),)

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int] = mapped_column(Integer, index=True)
    cluster_id: Mapped[int] = mapped_column(Integer)


class NetworkBuild(Base):
    """An agreement whose networks are current (so they may be updated incrementally) and the
    latest quarter of its data they were computed with."""

    __tablename__ = "network_builds"

    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_quarter: Mapped[str] = mapped_column(String(7))


class ReturnReminder(Base):
    """An operator reminded a provider that its return for a quarter is due or late. The hub is the
    mailbox (offline: no email): the partner sees it in ``msht-client status`` and on its local page
    until the return arrives. A fixed wording; no free text, so nothing personal is stored."""

    __tablename__ = "return_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))
    due: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(Timestamp)
    sent_by: Mapped[str] = mapped_column(String(160))  # the audit actor: "user:<username>" or "cli:<login>"


# --- audit and shared process state ---------------------------------------------------------


class AuditEntry(Base):
    """Append-only, hash-chained: each entry's hash covers its content and the previous hash."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(160))  # "user:<username>", "partner:<org>", "system"
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200))
    agreement_id: Mapped[str | None] = mapped_column(String(64))
    providers: Mapped[list[str]] = mapped_column(JSON)  # whose data a read drew on
    details: Mapped[dict[str, object]] = mapped_column(JSON)  # ids and counts only, never values
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class UsedTokenId(Base):
    """JWT ids already accepted; a second use of one is a replay."""

    __tablename__ = "used_token_ids"

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(Timestamp, index=True)


class RateCounter(Base):
    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(Timestamp, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class HubState(Base):
    """Small named values shared by all hub processes (e.g. the last purge)."""

    __tablename__ = "hub_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
