"""The hub's settings, read once from MSHT_* environment variables (and secret files) and passed in."""

from pathlib import Path
from typing import Annotated, Final

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hub.proxies import parse_networks

MIN_SECRET_BYTES: Final = 32
DEMO_SECRET_PREFIX: Final = "demo-only-"  # noqa: S105 - a marker that refuses demo secrets, not a secret


class HubSettings(BaseSettings):
    """Every knob of the hub. Secrets may come from ``MSHT_<NAME>`` or ``MSHT_<NAME>_FILE``."""

    model_config = SettingsConfigDict(env_prefix="MSHT_", extra="ignore")

    database_url: str = Field(default="sqlite:///var/hub.db", description="SQLAlchemy URL.")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL; https turns on Secure cookies.")
    host: str = "127.0.0.1"
    port: int = 8000
    policies_dir: Path = Path("policies")
    demo: bool = Field(default=False, description="Demo mode: demo secrets and demo agreements allowed.")

    pseudonym_key: SecretStr | None = Field(default=None, description="The hub's own re-keying secret.")
    pseudonym_key_file: Path | None = None
    signing_key_file: Path | None = Field(default=None, description="Ed25519 PEM the hub signs receipts with.")
    session_key: SecretStr | None = Field(default=None, description="Signs session and CSRF tokens.")
    session_key_file: Path | None = None

    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_role_claim: str = "msht_role"
    oidc_org_claim: str = "msht_org"
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description="IdP claim value (e.g. a group) → hub role; empty: the claim holds the role itself.",
    )
    oidc_org_map: dict[str, str] = Field(
        default_factory=dict,
        description="IdP claim value → hub organisation id; empty: the claim holds the org id itself.",
    )
    oidc_algorithms: list[str] = Field(
        default=["RS256", "PS256", "ES256", "EdDSA"], description="Asymmetric algorithms accepted from the IdP."
    )
    oidc_token_type: str | None = Field(
        default=None, description="Expected JWT `typ` header of IdP access tokens (e.g. at+jwt); unset: not checked."
    )

    session_minutes: int = 30
    upload_token_max_seconds: int = 300
    max_bundle_bytes: int = 200 * 1024 * 1024
    max_rows_per_table: int = 2_000_000
    purge_interval_hours: int = 24
    audit_ahead: bool = Field(
        default=True,
        description="Compute the disclosure audits in a background thread after each change, before any question asks.",
    )
    answers_ahead: bool = Field(
        default=True,
        description="After computing the audits ahead, also make each viewer class's default statistics answers, kept in the process.",
    )
    audit_poll_seconds: float = Field(
        default=30.0, gt=0, description="How often the audit worker looks for changes committed by other hub processes."
    )
    upload_limit_per_hour: int = Field(
        default=60, ge=1, description="Uploads one partner organisation may attempt per hour; beyond, 429."
    )
    enrol_limit_per_hour: int = Field(
        default=20, ge=1, description="Enrolment-token redemptions one client address may attempt per hour; beyond, 429."
    )
    bearer_failures_per_hour: int = Field(
        default=20, ge=1,
        description="Failed API-token bearer attempts one client address may make per hour; then 429 for its API-token calls.",
    )

    ingest_statement_timeout_seconds: int = Field(
        default=120, ge=5, description="PostgreSQL: longest any one statement of an upload's ingest may run; beyond, the upload fails whole.",
    )
    ingest_lock_wait_seconds: int = Field(
        default=30, ge=1, description="PostgreSQL: longest an upload waits for its quarter's lock; beyond, 503 with Retry-After.",
    )
    max_concurrent_ingests: int = Field(
        default=2, ge=1,
        description="Uploads one hub process checks and stores at once (each may use up to ~200 MB); others wait, then 503.",
    )
    ingest_queue_wait_seconds: int = Field(
        default=20, ge=0, description="Longest an upload waits for one of the process's ingest slots; beyond, 503 with Retry-After.",
    )
    max_bundle_text_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1024 * 1024,
        description="Distinct text (bytes, after Parquet decoding) one bundle may hold in all; beyond, refused (rule text_limit).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For is believed (comma-separated); empty: none.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [v for v in (part.strip() for part in value.split(",")) if v]
        parse_networks(value if isinstance(value, list) else [])  # refuse a typo at start, not per request
        return value

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")
