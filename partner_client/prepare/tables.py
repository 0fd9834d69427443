"""`prepare`'s tables-and-k step: anonymised rows → validated records, k enforced, Parquet tables.

Records are validated against the common schema and hold only the agreement's fields; small cells
are coarsened and k-anonymity enforced (`anonymise.kanon`) before the tables are written.
"""

import hashlib
import itertools
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from anonymise import kanon
from anonymise.policy import ALWAYS_ALLOWED_FIELDS
from anonymise.schema import TABLES, Record, TableName
from partner_client.errors import ClientError, Problem, Problems
from partner_client.guard import NameGuard, vocabulary
from partner_client.prepare import locate
from partner_client.prepare.index import SubmissionIndex
from partner_client.prepare.party import Party
from partner_client.prepare.row import PERSON_KEYS, AnonymisedRow
from partner_client.spill import Spill, TableFiles

RawTables = dict[TableName, list[dict[str, Any]]]
"""Records of one chunk before validation, each with its export row under ``_row``."""
DumpedTables = list[tuple[TableName, list[dict[str, Any]]]]
"""Validated records of one chunk as ``model_dump(mode="json")`` writes them."""


@dataclass
class Tables:
    """The Parquet tables written, the fields each holds, and what coarsening and k changed."""

    files: TableFiles
    present: dict[str, set[str]]
    coarsened: dict[str, object]
    risk: dict[str, object]


class TableBuilder:
    """Builds the tables of one submission; ``withheld`` counts fields the agreement kept back."""

    def __init__(self, *, party: Party, quarter: str, problems: Problems, counts: Counter[str], work: Path) -> None:
        self.quarter = quarter
        self.min_count = party.agreement.disclosure.min_count
        self.min_k = party.agreement.upload_min_k
        self.allowed_fields = party.allowed_fields
        self.problems = problems
        self.counts = counts
        self.work = work
        self.withheld: Counter[str] = Counter()

    def build(self, rows: Spill, index: SubmissionIndex) -> Tables:
        """Rows → validated records, chunk by chunk; k on compact tuples; then the Parquet files.

        Only what needs the whole submission stays in memory: each row's H3 cell (coarsening),
        each incident's first month and person count, selector digests (duplicates) and each
        person's quasi-identifiers (k).
        """
        guard = _name_guard(rows)
        cells, coarsened = locate.coarsen(index.cells, self.min_count)
        index.cells = []
        validated, qi = self._validated(rows, iter(cells), index.incidents, guard)
        if guard is not None:
            self.counts["narrative_words_guarded"] = guard.replaced["capitalised_word"]
        rows.remove()
        cells.clear()
        index.incidents.clear()
        if self.problems.errors:
            raise ClientError(
                f"{len(self.problems.errors)} record(s) do not fit the common schema; nothing was written.",
                hint="Check the profile's mapping for the fields named.",
                problems=self.problems.items,
            )
        decision = kanon.enforce_k(qi, self.min_k)
        del qi
        files, present = self._write(validated, decision)
        validated.remove()
        return Tables(files, present, coarsened, decision.report)

    def _validated(
        self, rows: Spill, cells: Iterator[str | None], incidents: dict[str, str | int], guard: NameGuard | None
    ) -> tuple[Spill, kanon.QuasiIdentifiers]:
        """Every chunk's records validated and spilled to disk, and the persons' quasi-identifiers for k.

        ``incidents`` holds each pid's first month until its incident is made, then its person count.
        """
        seen_selectors: set[bytes] = set()
        qi = kanon.QuasiIdentifiers()
        validated = Spill(self.work, "records")
        for items in rows:
            chunk = [AnonymisedRow.from_spill(item) for item in items]
            del items
            raw = self._raw_records(chunk, cells, incidents, guard, seen_selectors)
            del chunk
            out: DumpedTables = []
            for table, items in raw.items():
                dumped = [record.model_dump(mode="json") for record in self._validate(table, items)]
                _add_quasi_identifiers(qi, table, dumped)
                out.append((table, dumped))
            if not self.problems.errors:
                validated.write(out)
            del raw, out
        return validated, qi

    def _raw_records(
        self,
        chunk: list[AnonymisedRow],
        cells: Iterator[str | None],
        incidents: dict[str, str | int],
        guard: NameGuard | None,
        seen_selectors: set[bytes],
    ) -> RawTables:
        """One chunk's rows as records: an incident at its first row, a person and referral per row, selectors once."""
        selectors_allowed = self._selectors_allowed()
        keys_allowed = self._person_keys_allowed()
        raw: RawTables = {"incidents": [], "persons": [], "selectors": [], "referrals": [], "person_keys": []}
        for r in chunk:
            cell = next(cells)
            pid = sys.intern(r.incident_pid)
            state = incidents[pid]
            if isinstance(state, str):
                raw["incidents"].append(self._incident(r, pid, state, cell, guard))
                incidents[pid] = state = 0
            person_seq = None
            if r.person is not None:
                incidents[pid] = person_seq = state + 1
                linkage_keys = r.person.pop(PERSON_KEYS, [])
                raw["persons"].append({"incident_pid": pid, "person_seq": person_seq, **r.person, "_row": r.row})
                if linkage_keys and not keys_allowed:
                    self.withheld["person_keys"] += len(linkage_keys)
                elif linkage_keys:
                    raw["person_keys"].extend(
                        {"incident_pid": pid, "person_seq": person_seq, "kind": kind, "key_pid": kpid, "_row": r.row}
                        for kind, kpid in linkage_keys
                    )
            if r.referral is not None:
                raw["referrals"].append({"incident_pid": pid, "person_seq": person_seq, **r.referral, "_row": r.row})
            for kind, spid in r.selectors:
                digest = hashlib.blake2b(f"{pid}\x1f{kind}\x1f{spid}".encode(), digest_size=16).digest()
                if digest in seen_selectors:
                    continue
                seen_selectors.add(digest)
                if selectors_allowed:
                    raw["selectors"].append({"incident_pid": pid, "kind": kind, "selector_pid": spid, "_row": r.row})
                else:
                    self.withheld["selectors"] += 1
        return raw

    def _incident(
        self, r: AnonymisedRow, pid: str, first_month: str, cell: str | None, guard: NameGuard | None
    ) -> dict[str, Any]:
        incident = {"incident_pid": pid, "reporting_quarter": self.quarter, **r.incident, "_row": r.row}
        incident["first_known_month"] = first_month
        if cell is not None:
            incident["h3_cell"], incident["h3_resolution"] = cell, locate.cell_resolution(cell)
        if r.narrative:
            incident["narrative"] = guard(r.narrative) if guard is not None else r.narrative
        return incident

    def _write(self, validated: Spill, decision: kanon.KDecision) -> tuple[TableFiles, dict[str, set[str]]]:
        """The Parquet files with k's changes applied, and the fields that hold a value in each table."""
        files = TableFiles(self.work, tuple(TABLES))
        present: dict[str, set[str]] = {table: set() for table in TABLES}
        defaults = {table: _json_defaults(table) for table in TABLES}
        person_number = 0
        try:
            for spilled in validated:
                for table, dumped in spilled:
                    if table == "persons":
                        person_number = _apply_k_to_persons(dumped, decision, person_number)
                    elif table == "incidents" and decision.dropped_cells:
                        _apply_k_to_incidents(dumped, decision)
                    _mark_present(present[table], dumped, defaults[table])
                    files.write(table, dumped)
        finally:
            files.close()
        return files, present

    def _validate(self, table: TableName, items: list[dict[str, Any]]) -> list[Record]:
        model = TABLES[table]
        records: list[Record] = []
        for index in range(len(items)):
            item = items[index]
            items[index] = {}  # free each source dict as soon as its record exists (memory)
            row = item.pop("_row", None)
            item = self._restrict(table, item)
            try:
                records.append(model.model_validate(item))
                continue
            except ValidationError as exc:
                errors = exc.errors()
            if table == "incidents" and all(err["loc"][:1] == ("narrative",) for err in errors):
                # The schema's last line of defence found something the scrubber left: fail closed.
                item.pop("narrative", None)
                self.counts["narratives_dropped"] += 1
                records.append(model.model_validate(item))
                continue
            for err in errors:
                field_name = ".".join(str(x) for x in err["loc"])
                self.problems.add(
                    Problem(
                        rule=str(err["type"]),
                        row=row,
                        message=f"{table}.{field_name}: {err['msg']}",
                        hint="Check the profile's mapping for this field.",
                    )
                )
        return records

    def _restrict(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        """Leave out fields the agreement does not let this partner share (reported, not an error)."""
        if self.allowed_fields is None:
            return item
        kept = {}
        for name, value in item.items():
            if name in ALWAYS_ALLOWED_FIELDS[table] or f"{table}.{name}" in self.allowed_fields or name in self.allowed_fields:
                kept[name] = value
            else:
                self.withheld[f"{table}.{name}"] += 1
        return kept

    def _person_keys_allowed(self) -> bool:
        fields = self.allowed_fields
        return fields is None or bool({"person_keys.key_pid", "key_pid"} & set(fields))

    def _selectors_allowed(self) -> bool:
        fields = self.allowed_fields
        return fields is None or bool({"selectors.selector_pid", "selector_pid", "selectors"} & set(fields))


def _name_guard(rows: Spill) -> NameGuard | None:
    """The name guard, with the vocabulary of every scrubbed note in this export (one pass over them)."""
    texts = (
        narrative for chunk in rows for item in chunk if (narrative := AnonymisedRow.spilled_narrative(item))
    )
    first = next(texts, None)
    if first is None:
        return None
    return NameGuard(vocabulary(itertools.chain([first], texts)))


def _add_quasi_identifiers(qi: kanon.QuasiIdentifiers, table: TableName, dumped: list[dict[str, Any]]) -> None:
    if table == "persons":
        qi.persons.extend(
            [sys.intern(d["incident_pid"]), d["age_band"], d["age_group"], d["gender"], d["nationality"]] for d in dumped
        )
    elif table == "incidents":
        for d in dumped:
            qi.incidents[sys.intern(d["incident_pid"])] = [d["h3_cell"], d["la_gss_code"], d["first_known_month"]]


def _apply_k_to_persons(dumped: list[dict[str, Any]], decision: kanon.KDecision, person_number: int) -> int:
    """Apply k's changes to the next persons (numbered across the submission); the next person's number."""
    for d in dumped:
        change = decision.persons.get(person_number)
        person_number += 1
        if change is not None:
            d.update(change)
    return person_number


def _apply_k_to_incidents(dumped: list[dict[str, Any]], decision: kanon.KDecision) -> None:
    for d in dumped:
        if d["incident_pid"] in decision.dropped_cells:
            d["h3_cell"] = d["h3_resolution"] = None


def _mark_present(present: set[str], dumped: list[dict[str, Any]], defaults: tuple[set[str], dict[str, Any]]) -> None:
    """Add the fields these records fill: required ones always, optional ones holding other than their default."""
    required, optional = defaults
    if dumped:
        present.update(required)
    for name, default in optional.items():
        if name not in present and any(d[name] != default for d in dumped):
            present.add(name)


def _json_defaults(table: TableName) -> tuple[set[str], dict[str, Any]]:
    """A table's required fields, and each optional field's default as ``model_dump(mode="json")`` writes it."""
    required: set[str] = set()
    optional: dict[str, Any] = {}
    for name, info in TABLES[table].model_fields.items():
        if info.is_required():
            required.add(name)
            continue
        default = info.get_default(call_default_factory=True)
        if isinstance(default, Enum):
            default = default.value
        elif isinstance(default, tuple):
            default = [item.value if isinstance(item, Enum) else item for item in default]
        optional[name] = default
    return required, optional
