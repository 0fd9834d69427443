"""What goes wrong, in plain words: problems that name row, column and rule, never a value."""

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the export or profile. ``message`` never quotes a cell's value."""

    rule: str
    message: str
    severity: Severity = "error"
    row: int | None = None
    column: str | None = None
    hint: str | None = None

    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class ClientError(Exception):
    """A failure the user can act on: what happened, and what to do about it."""

    def __init__(self, message: str, *, hint: str | None = None, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems: list[Problem] = problems or []


@dataclass
class Problems:
    """Collects problems, folding repeats of one rule in one column into a count past a limit."""

    limit_per_rule: int = 20
    items: list[Problem] = field(default_factory=list)
    _counts: dict[tuple[str, str | None], int] = field(default_factory=dict)

    def add(self, problem: Problem) -> None:
        key = (problem.rule, problem.column)
        self._counts[key] = self._counts.get(key, 0) + 1
        if self._counts[key] <= self.limit_per_rule:
            self.items.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def overflow(self) -> dict[tuple[str, str | None], int]:
        """(rule, column) → how many more were found than listed."""
        return {k: n - self.limit_per_rule for k, n in self._counts.items() if n > self.limit_per_rule}
