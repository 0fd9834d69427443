"""Who prepares: the partner, its kind, the agreement it uploads under, and what that agreement lets it send."""

from dataclasses import dataclass

from anonymise.agreement import Agreement


@dataclass(frozen=True)
class Party:
    """Who prepares: the partner, its kind, and the agreement it uploads under."""

    partner_id: str
    partner_type: str
    agreement: Agreement

    @property
    def narrative_allowed(self) -> bool:
        rule = self.agreement.rule_for(self.partner_id)
        return rule is not None and rule.narrative

    @property
    def business_names_allowed(self) -> bool:
        """Whether the agreement lets business and premises names stay in scrubbed notes (off by default)."""
        rule = self.agreement.rule_for(self.partner_id)
        return rule is not None and rule.business_names

    @property
    def allowed_fields(self) -> tuple[str, ...] | None:
        """The fields this partner may send (None: every field of the schema)."""
        rule = self.agreement.rule_for(self.partner_id)
        return rule.fields if rule is not None else None
