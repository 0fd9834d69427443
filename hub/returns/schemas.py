"""Response bodies of hub.returns: what a partner is told of the returns it owes."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class OwedOut(BaseModel):
    agreement_id: str
    quarter: str
    due: date = Field(description="The day the return is due: the agreement's returns_due_days after the quarter ends")
    late: bool = Field(description="True once the due day has passed with no return received")
    reminders: list[datetime] = Field(description="When the hub's operators reminded you of it, oldest first")


class OwedList(BaseModel):
    returns: list[OwedOut]
