"""Every distinct value of each coded column, with its code and how many rows hold it; the user's
changes to those codes and the constants (a field every row gets, e.g. role: potential victim)."""

from collections import Counter
from pathlib import Path
from typing import Any

from anonymise import countries
from anonymise.london import BOROUGHS
from partner_client import coding
from partner_client.coding import MAX_LISTED_VALUES
from partner_client.csvread import read_chunks
from partner_client.errors import ClientError
from partner_client.profile import TARGETS, ColumnMap, Profile
from partner_client.rows import borough_code
from partner_client.ui.labels import FIELD_LABELS, code_label

BOROUGH: Any = object()
"""Stands for the London boroughs (GSS codes) where a vocabulary is expected."""
LISTED_KINDS = frozenset({"nationality", "borough"})
"""Fields without a vocabulary whose values are still listed with what is sent."""

CONSTANT_FIELDS = ("person.role",)
"""Fields the page offers as a constant when no column feeds them."""


def _counts(csv_path: Path, column: str, multi: bool, separator: str | None) -> tuple[Counter[str], dict[str, str], int]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    blanks = 0
    for chunk in read_chunks(csv_path):
        for row in chunk.rows:
            raw = row.get(column, "")
            if coding.is_blank(raw):
                blanks += 1
                continue
            parts = coding.distinct_parts([raw], separator, multi)
            for part in parts:
                key = coding.norm(part)
                shown.setdefault(key, part)
                counts[key] += 1
    return counts, shown, blanks


def _code_of(cmap: ColumnMap, value: str, vocab: Any) -> str:
    found = coding.lookup(cmap, value)
    if found:
        return found[0]
    if vocab is BOROUGH:
        return borough_code(value) or ""  # "": not recognised, prepare stops until it is chosen
    if vocab is None:  # nationality: as the row reader reads it
        return countries.nationality_code(value) or "unknown"
    candidate = coding.norm(value).replace(" ", "_")
    if candidate in {m.value for m in vocab}:
        return candidate
    return cmap.default or "unknown"


def coded_columns(profile: Profile, csv_path: Path) -> list[dict[str, Any]]:
    """For each coded field fed by a column: every distinct value, its count, its code, the codes to choose from."""
    out: list[dict[str, Any]] = []
    for name, cmap in profile.fields.items():
        spec = TARGETS.get(name)
        if spec is None or (spec.vocab is None and spec.kind not in LISTED_KINDS) or not cmap.columns:
            continue
        multi = spec.kind == "codes"
        vocab = BOROUGH if spec.kind == "borough" else spec.vocab
        counts, shown, blanks = _counts(csv_path, cmap.columns[0], multi, cmap.split)
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        values: list[dict[str, Any]] = [
            {"value": shown[key], "count": n, "code": _code_of(cmap, shown[key], vocab)} for key, n in ordered
        ]
        listed = len(values) <= MAX_LISTED_VALUES
        unknown = sum(int(v["count"]) for v in values if v["code"] in {"unknown", ""}) + blanks
        out.append({
            "field": name, "label": FIELD_LABELS.get(name, name), "column": cmap.columns[0],
            "values": values if listed else [], "too_many": not listed, "blank_rows": blanks, "unknown_rows": unknown,
            "codes": _choices(vocab),
        })
    return out


def _choices(vocab: Any) -> list[dict[str, str]]:
    if vocab is BOROUGH:
        return [{"code": b.gss, "label": f"{b.name} ({b.gss})"} for b in sorted(BOROUGHS, key=lambda b: b.name)]
    if vocab is None:  # nationality: every country by name, then the markers
        named = [{"code": c, "label": f"{countries.country_name(c)} ({c})"} for c in countries.country_codes()]
        return [*named, {"code": "unknown", "label": "Unknown"}]
    return [{"code": m.value, "label": code_label(m.value)} for m in vocab]


def _allowed(vocab: Any) -> set[str]:
    return {c["code"] for c in _choices(vocab)}


def constants_of(profile: Profile) -> list[dict[str, Any]]:
    """The constant fields the page offers, with their current value when no column feeds them."""
    out = []
    for name in CONSTANT_FIELDS:
        cmap = profile.fields.get(name)
        vocab = TARGETS[name].vocab
        assert vocab is not None
        out.append({
            "field": name, "label": FIELD_LABELS[name],
            "from_column": bool(cmap and cmap.columns),
            "value": cmap.default if cmap is not None and not cmap.columns else None,
            "codes": [{"code": m.value, "label": code_label(m.value)} for m in vocab],
        })
    return out


def apply_values(profile: Profile, value_codes: dict[str, dict[str, str]], constants: dict[str, str]) -> Profile:
    """The profile with the page's value codes and constants written in (``""`` clears a constant).

    >>> from partner_client.profile import Profile
    >>> p = apply_values(Profile(version="1"), {}, {"person.role": "potential_victim"})
    >>> p.fields["person.role"].default
    'potential_victim'
    """
    fields = dict(profile.fields)
    for name, codes in value_codes.items():
        spec = TARGETS.get(name)
        cmap = fields.get(name)
        if spec is None or (spec.vocab is None and spec.kind not in LISTED_KINDS) or cmap is None or not cmap.columns:
            continue  # no longer mapped to a column: its codes have nothing to apply to
        allowed = _allowed(BOROUGH if spec.kind == "borough" else spec.vocab)
        codes = {value: code for value, code in codes.items() if code}  # "": left for prepare to report
        if any(code not in allowed for code in codes.values()):
            raise ClientError(f"A code chosen for {FIELD_LABELS.get(name, name)} is not in its list.", hint="Choose again.")
        values: dict[str, str | list[str]] = dict(cmap.values)
        values.update(codes)
        fields[name] = cmap.model_copy(update={"values": values})
    for name, code in constants.items():
        if name not in CONSTANT_FIELDS:
            raise ClientError("The page sent a constant it does not offer.", hint="Reload the page and try again.")
        current = fields.get(name)
        if current is not None and current.columns:
            continue  # a column feeds it: the column wins
        if not code:
            fields.pop(name, None)
            continue
        vocab = TARGETS[name].vocab
        assert vocab is not None
        if code not in {m.value for m in vocab}:
            raise ClientError(f"That is not a choice for {FIELD_LABELS[name]}.", hint="Choose again.")
        fields[name] = ColumnMap(default=code)
    return profile.model_copy(update={"fields": fields})
