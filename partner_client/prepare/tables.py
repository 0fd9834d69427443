"""`prepare`, the whole submission: rows → validated records, agreement's fields, k-anonymity enforced, Parquet tables."""

import hashlib
import itertools
import sys
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from anonymise import kanon
from anonymise.policy import ALWAYS_ALLOWED_FIELDS
from anonymise.schema import TABLES, Record, TableName
from partner_client.errors import ClientError, Problem, Problems
from partner_client.guard import NameGuard, vocabulary
from partner_client.prepare import locate as anon
from partner_client.prepare.row import _NARRATIVE_AT, PERSON_KEYS, _Index, _Row
from partner_client.spill import Spill, TableFiles

if TYPE_CHECKING:
    from partner_client.prepare.run import Party


class TableSteps:
    """The whole-submission steps of `Pipeline`, which sets these attributes."""

    party: "Party"
    quarter: str
    problems: Problems
    min_k: int
    allowed_fields: tuple[str, ...] | None
    report: dict[str, Any]

    def _guard(self, rows: Spill) -> NameGuard | None:
        """The name guard, with the vocabulary of every scrubbed note in this export (one pass over them)."""
        texts = (item[_NARRATIVE_AT] for chunk in rows for item in chunk if item[_NARRATIVE_AT])
        first = next(texts, None)
        if first is None:
            return None
        return NameGuard(vocabulary(itertools.chain([first], texts)))

    def _tables(self, rows: Spill, index: "_Index", stats: Counter[str], work: Path) -> tuple[TableFiles, dict[str, set[str]]]:
        """Rows → validated records, chunk by chunk; k on compact tuples; then the Parquet files.

        Only what needs the whole submission stays in memory: each row's H3 cell (coarsening),
        each incident's first month and person count, selector digests (duplicates) and each
        person's quasi-identifiers (k).
        """
        guard = self._guard(rows)
        cells, coarsening = anon.coarsen(index.cells, self.party.agreement.disclosure.min_count)
        index.cells = []
        self.report["coarsened"] = coarsening
        selectors_allowed = self._selectors_allowed()
        keys_allowed = self._person_keys_allowed()
        incidents = index.incidents  # pid → first month until the incident is emitted, then its person count
        seen_selectors: set[bytes] = set()
        qi = kanon.QuasiIdentifiers()
        validated = Spill(work, "records")
        position = 0
        for items in rows:
            chunk = [_Row(*item) for item in items]
            del items
            raw: dict[TableName, list[dict[str, Any]]] = {"incidents": [], "persons": [], "selectors": [], "referrals": [], "person_keys": []}
            for r in chunk:
                cell = cells[position]
                position += 1
                pid = sys.intern(r.incident_pid)
                state = incidents[pid]
                if isinstance(state, str):
                    inc = {"incident_pid": pid, "reporting_quarter": self.quarter, **r.incident, "_row": r.row}
                    inc["first_known_month"] = state
                    if cell is not None:
                        inc["h3_cell"], inc["h3_resolution"] = cell, anon.cell_resolution(cell)
                    if r.narrative:
                        inc["narrative"] = guard(r.narrative) if guard is not None else r.narrative
                    raw["incidents"].append(inc)
                    incidents[pid] = state = 0
                person_seq = None
                if r.person is not None:
                    incidents[pid] = person_seq = state + 1
                    linkage_keys = r.person.pop(PERSON_KEYS, [])
                    raw["persons"].append({"incident_pid": pid, "person_seq": person_seq, **r.person, "_row": r.row})
                    if linkage_keys and not keys_allowed:
                        self.report.setdefault("withheld_fields", Counter())["person_keys"] += len(linkage_keys)
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
                        self.report.setdefault("withheld_fields", Counter())["selectors"] += 1
            del chunk
            out: list[tuple[TableName, list[dict[str, Any]]]] = []
            for table, items in raw.items():
                dumped = [record.model_dump(mode="json") for record in self._validate(table, items, stats)]
                if table == "persons":
                    qi.persons.extend(
                        [sys.intern(d["incident_pid"]), d["age_band"], d["age_group"], d["gender"], d["nationality"]]
                        for d in dumped
                    )
                elif table == "incidents":
                    for d in dumped:
                        qi.incidents[sys.intern(d["incident_pid"])] = [d["h3_cell"], d["la_gss_code"], d["first_known_month"]]
                out.append((table, dumped))
            if not self.problems.errors:
                validated.write(out)
            del raw, out
        if guard is not None:
            stats["narrative_words_guarded"] = guard.replaced["capitalised_word"]
        rows.remove()
        cells.clear()
        incidents.clear()
        seen_selectors.clear()
        if self.problems.errors:
            raise ClientError(
                f"{len(self.problems.errors)} record(s) do not fit the common schema; nothing was written.",
                hint="Check the profile's mapping for the fields named.",
                problems=self.problems.items,
            )
        decision = kanon.enforce_k(qi, self.min_k)
        del qi
        self.report["risk"] = decision.report
        files = TableFiles(work, tuple(TABLES))
        present: dict[str, set[str]] = {table: set() for table in TABLES}
        defaults = {table: _json_defaults(table) for table in TABLES}
        person_number = 0
        try:
            for spilled in validated:
                for table, dumped in spilled:
                    if table == "persons":
                        for d in dumped:
                            change = decision.persons.get(person_number)
                            person_number += 1
                            if change is not None:
                                d.update(change)
                    elif table == "incidents" and decision.dropped_cells:
                        for d in dumped:
                            if d["incident_pid"] in decision.dropped_cells:
                                d["h3_cell"] = d["h3_resolution"] = None
                    required, optional = defaults[table]
                    if dumped:
                        present[table].update(required)
                    for name, default in optional.items():
                        if name not in present[table] and any(d[name] != default for d in dumped):
                            present[table].add(name)
                    files.write(table, dumped)
        finally:
            files.close()
        validated.remove()
        return files, present

    def _validate(self, table: TableName, items: list[dict[str, Any]], stats: Counter[str]) -> list[Record]:
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
                stats["narratives_dropped"] += 1
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
                self.report.setdefault("withheld_fields", Counter())[f"{table}.{name}"] += 1
        return kept

    def _person_keys_allowed(self) -> bool:
        fields = self.allowed_fields
        return fields is None or bool({"person_keys.key_pid", "key_pid"} & set(fields))

    def _selectors_allowed(self) -> bool:
        fields = self.allowed_fields
        return fields is None or bool({"selectors.selector_pid", "selector_pid", "selectors"} & set(fields))


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
