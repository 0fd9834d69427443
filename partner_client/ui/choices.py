"""The page's column-by-column view of a profile, and turning the user's choices back into a profile."""

from pathlib import Path
from typing import Any

from partner_client import coding
from partner_client.coding import MAX_LISTED_VALUES
from partner_client.csvread import read_chunks, sniff
from partner_client.profile import TARGETS, ColumnMap, IdentifierKind, Profile

IGNORE = "ignore"


def choices_of(profile: Profile, csv_path: Path) -> list[dict[str, Any]]:
    """Every column of the file with what the profile does with it: a field, ``id:<kind>`` or ``ignore``."""
    headers = sniff(csv_path).headers
    chosen: dict[str, str] = {}
    for kind, cmap in profile.identifiers.items():
        for column in cmap.columns:
            chosen.setdefault(column, f"id:{kind.value}")
    for name, cmap in profile.fields.items():
        for column in cmap.columns:
            if name == "person.gender" and chosen.get(column) == f"id:{IdentifierKind.sex.value}":
                chosen[column] = name  # shown as gender; `apply_choices` keeps it as the sex identifier too
            chosen.setdefault(column, name)
    return [{"column": h, "choice": chosen.get(h, IGNORE)} for h in headers if h]


def apply_choices(profile: Profile, choices: dict[str, str], csv_path: Path) -> Profile:
    """The profile with its column assignments replaced by ``choices`` (column → choice).

    Value mappings, defaults and formats of fields that keep their columns are kept; a newly
    chosen coded field starts with codes suggested from the file's values.
    """
    by_target: dict[str, list[str]] = {}
    for column, choice in choices.items():
        if choice != IGNORE:
            by_target.setdefault(choice, []).append(column)
    fields: dict[str, ColumnMap] = {n: m for n, m in profile.fields.items() if not m.columns}
    identifiers: dict[IdentifierKind, ColumnMap] = {}
    sample: list[dict[str, str]] | None = None
    for choice, columns in by_target.items():
        if choice.startswith("id:"):
            kind = IdentifierKind(choice[3:])
            old = profile.identifiers.get(kind)
            identifiers[kind] = old if old is not None and list(old.columns) == columns else ColumnMap(
                columns=tuple(columns), formats=old.formats if old else ()
            )
            continue
        if choice not in TARGETS:
            continue
        old_field = profile.fields.get(choice)
        if old_field is not None and old_field.columns and list(old_field.columns) == columns:
            fields[choice] = old_field
            continue
        spec = TARGETS[choice]
        values: dict[str, str | list[str]] = {}
        if spec.vocab is not None:
            if sample is None:
                sample = next(read_chunks(csv_path, chunk_rows=5000)).rows
            parts = coding.distinct_parts((r.get(columns[0], "") for r in sample), None, spec.kind == "codes")
            for part in parts[:MAX_LISTED_VALUES]:
                code, confidence = coding.suggest_code(part, spec.vocab)
                values[part] = code if confidence >= 0.6 else "unknown"
        fields[choice] = ColumnMap(
            columns=tuple(columns), values=values, default=None if values else (old_field.default if old_field else None)
        )
    gender = fields.get("person.gender")
    if gender is not None and gender.columns and IdentifierKind.sex not in identifiers:
        identifiers[IdentifierKind.sex] = ColumnMap(columns=gender.columns[:1])  # sex feeds a match key, as `propose` does
    ignored = tuple(c for c, choice in choices.items() if choice == IGNORE)
    return profile.model_copy(update={"fields": fields, "identifiers": identifiers, "ignore": ignored})
