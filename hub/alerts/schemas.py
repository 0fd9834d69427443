"""Request and response bodies of hub.alerts: what a partner is shown of an alert, never the other side."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class ContactRequestOut(BaseModel):
    id: int
    direction: str = Field(description="sent: you asked; received: the partner holding the other side asked you")
    status: str = Field(description="pending, accepted or declined")
    organisation: str | None = Field(description="The other organisation, only once the request is accepted")
    contact: str | None = Field(description="Its named contact, only once the request is accepted")


class AlertOut(BaseModel):
    """One of your records links to a record another partner holds; which partner and what record are never shown."""

    id: int
    agreement_id: str
    submission_id: str = Field(description="Your submission holding the record")
    quarter: str
    row: int = Field(description="0-based position of the record in that bundle's incidents table: your client turns it into your case reference")
    kinds: list[str] = Field(description="Why they link: person (the same person), or a shared phone, email, vehicle, address, bank_account")
    found_month: str = Field(description="The month the hub found the link (YYYY-MM)")
    contact_request: ContactRequestOut | None


class AlertList(BaseModel):
    alerts: list[AlertOut]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    contact: Annotated[str, StringConstraints(max_length=300, strip_whitespace=True)] | None = Field(
        description="Name, role and a work phone or email of the person other partners may contact; null clears it"
    )


class ContactOut(BaseModel):
    org_id: str
    contact: str | None
