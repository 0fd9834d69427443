"""The one body the hub sends with every refusal (4xx), and the client parses: code, detail, problems.

Each problem names where and which rule, never a value: a bundle's ``table``/``row``/``column``,
an agreement file's ``path``/``line``/``column``, or a request's ``location``. Only the keys the
hub set are sent (``exclude_unset``), so bodies stay as they were.

>>> body = Refusal(error="rejected", detail="refused", problems=[RefusalProblem(table="persons", row=3, rule="enum")])
>>> body.wire()
{'error': 'rejected', 'detail': 'refused', 'problems': [{'rule': 'enum', 'table': 'persons', 'row': 3}]}
>>> Refusal.model_validate(body.wire()).problems[0].where()
'table persons, row 3'
"""

from typing import Any

from pydantic import BaseModel, ConfigDict


class RefusalProblem(BaseModel):
    """One reason for a refusal: where (by position and kind) and the rule broken."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True)

    rule: str
    table: str | None = None
    row: int | None = None
    column: str | int | None = None
    path: str | None = None
    line: int | None = None
    location: str | None = None
    message: str | None = None

    def where(self) -> str:
        """``table persons, row 3, column gender``: the parts of a bundle's position that are set."""
        keys = ("table", "row", "column")
        return ", ".join(f"{k} {getattr(self, k)}" for k in keys if getattr(self, k) is not None)


class Refusal(BaseModel):
    """A 4xx body: ``error`` is a stable code, ``detail`` plain words, ``problems`` each reason."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True)

    error: str
    detail: str
    problems: list[RefusalProblem] | None = None

    def wire(self) -> dict[str, Any]:
        """The JSON the hub sends: only what was set (no ``problems`` key when there are none)."""
        return self.model_dump(mode="json", exclude_unset=True)
