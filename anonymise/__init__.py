"""The offline privacy core both the partner client and the hub import: no web, no database.

The hub imports it through this face only (``from anonymise import Agreement``); the names
below are what it needs, and ``tests/anonymise/test_public_names.py`` keeps ``__all__`` honest.
To use something new from the hub, import it here and list it in ``__all__``.
"""

from anonymise import vocab
from anonymise.agreement import (
    Agreement,
    AgreementStatus,
    DisclosureRules,
    LinkageRules,
    OrgId,
    PartyRole,
    ViewerRole,
    load_agreement,
    parse_agreement,
)
from anonymise.agreement_check import (
    AgreementInvalid,
    check_agreement_text,
    parse_agreement_checked,
)
from anonymise.bundle import (
    BundleError,
    Manifest,
    OpenedBundle,
    arrow_schema,
    canonical_json,
    open_bundle,
    sha256_hex,
    verify_signature,
)
from anonymise.countries import country_name, region_of
from anonymise.disclosure import (
    Cell,
    ProtectedTable,
    Rules,
    check_table,
    display,
    protect_count,
    protect_series,
    protect_table,
    public_status,
)
from anonymise.intervals import Cancelled, Line, Window, intervals, protect, window
from anonymise.kanon import (
    INCIDENT_QUASI_IDENTIFIERS,
    PERSON_QUASI_IDENTIFIERS,
    QuasiIdentifiers,
    below_k,
)
from anonymise.keys import DEMO_LINKAGE_KEY
from anonymise.london import BY_GSS
from anonymise.matchkeys import KEY_SPECS, NAME_DOB_LEVELS, KeyKind
from anonymise.perturb import KEY_RANGE, KeyedCount, record_key
from anonymise.policy import (
    LONDON,
    Viewer,
    Visibility,
    check_upload,
    network_sources,
    quarter_bounds,
    visible_sources,
)
from anonymise.refusal import Refusal, RefusalProblem
from anonymise.schema import MARKER_CODES, MATCH_KEY_FIELDS, TABLES, GssCode, MatchKey, TableName
from anonymise.vocab import PartnerType

__all__ = [
    "BY_GSS",
    "DEMO_LINKAGE_KEY",
    "INCIDENT_QUASI_IDENTIFIERS",
    "KEY_RANGE",
    "KEY_SPECS",
    "LONDON",
    "MARKER_CODES",
    "MATCH_KEY_FIELDS",
    "NAME_DOB_LEVELS",
    "PERSON_QUASI_IDENTIFIERS",
    "TABLES",
    "Agreement",
    "AgreementInvalid",
    "AgreementStatus",
    "BundleError",
    "Cancelled",
    "Cell",
    "DisclosureRules",
    "GssCode",
    "KeyKind",
    "KeyedCount",
    "Line",
    "LinkageRules",
    "Manifest",
    "MatchKey",
    "OpenedBundle",
    "OrgId",
    "PartnerType",
    "PartyRole",
    "ProtectedTable",
    "QuasiIdentifiers",
    "Refusal",
    "RefusalProblem",
    "Rules",
    "TableName",
    "Viewer",
    "ViewerRole",
    "Visibility",
    "Window",
    "arrow_schema",
    "below_k",
    "canonical_json",
    "check_agreement_text",
    "check_table",
    "check_upload",
    "country_name",
    "display",
    "intervals",
    "load_agreement",
    "network_sources",
    "open_bundle",
    "parse_agreement",
    "parse_agreement_checked",
    "protect",
    "protect_count",
    "protect_series",
    "protect_table",
    "public_status",
    "quarter_bounds",
    "record_key",
    "region_of",
    "sha256_hex",
    "verify_signature",
    "visible_sources",
    "vocab",
    "window",
]
