"""`prepare`: read → map → validate → pseudonymise → scrub → coarsen → generalise → enforce k → bundle."""

import hashlib
import itertools
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO, Final
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from anonymise import kanon
from anonymise.agreement import Agreement
from anonymise.bundle import Manifest, utcnow, write_bundle_files
from anonymise.keys import LinkageKey
from anonymise.policy import ALWAYS_ALLOWED_FIELDS, check_upload
from anonymise.pseudonymise import Pseudonymiser
from anonymise.schema import TABLES, Record, TableName
from anonymise.vocab import SelectorKind
from partner_client import __version__, anon
from partner_client.csvread import ROW_KEY, read_chunks, sniff
from partner_client.errors import ClientError, Problem, Problems
from partner_client.guard import NameGuard, vocabulary
from partner_client.profile import TARGETS, IdentifierKind, Profile
from partner_client.review import write_review
from partner_client.rows import ParsedRow, RowReader
from partner_client.spill import Spill, TableFiles, Workspace

Progress = Callable[[str, int, int], None]
"""(stage, done, total) — the CLI draws a bar, the web page a percentage."""

_SELECTOR_KINDS: Final = {
    IdentifierKind.phone: SelectorKind.phone,
    IdentifierKind.email: SelectorKind.email,
    IdentifierKind.vehicle: SelectorKind.vehicle,
    IdentifierKind.bank_account: SelectorKind.bank_account,
}


@dataclass(frozen=True)
class Party:
    """Who prepares: the partner, its kind, and the agreement it uploads under."""

    partner_id: str
    partner_type: str
    agreement: Agreement


@dataclass
class Prepared:
    bundle_path: Path
    review_path: Path
    manifest: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _Row:
    """One row after anonymisation: only values that may leave, plus the cell for coarsening."""

    row: int
    incident_pid: str
    month: str | None
    incident: dict[str, Any]
    person: dict[str, Any] | None
    referral: dict[str, Any] | None
    selectors: list[tuple[str, str]]
    cell: str | None
    narrative: str | None


def parse_quarter_arg(text: str) -> str:
    """``2026Q3``, ``2026-Q3`` or ``2026 q3`` → ``2026-Q3``; a clear error otherwise.

    >>> parse_quarter_arg("2026q3")
    '2026-Q3'
    """
    cleaned = text.strip().upper().replace(" ", "").replace("-", "")
    if len(cleaned) == 6 and cleaned[:4].isdigit() and cleaned[4] == "Q" and cleaned[5] in "1234":
        return f"{cleaned[:4]}-Q{cleaned[5]}"
    raise ClientError(
        "The quarter is not in the form 2026Q3.", hint="Give the reporting quarter, e.g. --quarter 2026Q3."
    )


def quarter_bounds(quarter: str) -> tuple[date, date]:
    year, q = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            lines += block.count(b"\n")
    return max(lines, 1)


class Pipeline:
    """One run of `prepare`: the same object the CLI and the web page drive."""

    def __init__(
        self,
        *,
        profile: Profile,
        profile_dir: Path,
        quarter: str,
        party: Party,
        linkage_key: LinkageKey,
        today: date | None = None,
        ner: bool | None = None,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.profile = profile
        self.profile_dir = profile_dir
        self.quarter = quarter
        self.party = party
        self.key = linkage_key
        self.today = today or date.today()  # noqa: DTZ011 - the partner's calendar day
        self.ner = ner
        self.workers = workers
        self.progress = progress or (lambda stage, done, total: None)
        self.problems = Problems()
        rule = party.agreement.rule_for(party.partner_id)
        self.narrative_allowed = rule is not None and rule.narrative
        self.allowed_fields = rule.fields if rule is not None else None
        self.resolution = party.agreement.location.upload_h3_resolution
        self.min_k = party.agreement.upload_min_k
        self.report: dict[str, Any] = {}
        self._maps_persons = any(n.startswith("person.") for n in profile.fields)
        self._quarter_end = quarter_bounds(quarter)[1]

    # --- the steps -------------------------------------------------------------------------

    def _check_start(self, csv_path: Path) -> Any:
        fmt = sniff(csv_path)
        used = self.profile.columns_used()
        present = [c for c in used if c in fmt.headers]
        if not present:
            raise ClientError(
                f"None of the columns the profile names are in {csv_path.name}.",
                hint="Is this the right export for this profile? `msht-client map CSV` proposes a profile for it.",
            )
        missing = sorted(set(used) - set(fmt.headers))
        if missing:
            raise ClientError(
                f"{len(missing)} column(s) named in the profile are missing from {csv_path.name}.",
                hint="Correct the column names in the profile, or export the file with these columns.",
                problems=[Problem(rule="missing_column", column=c, message="no such header in the file") for c in missing],
            )
        start, _ = quarter_bounds(self.quarter)
        if start > self.today:
            raise ClientError(
                f"The quarter {self.quarter} has not begun yet.",
                hint="Give the quarter the export covers, e.g. --quarter 2026Q3.",
            )
        if self.party.agreement.party(self.party.partner_id) is None:
            raise ClientError(
                f"{self.party.partner_id} is not a party of agreement {self.party.agreement.id}.",
                hint="Ask your hub operator which agreement you upload under.",
            )
        return fmt

    def run(self, csv_path: Path, out: Path, signing_key: Ed25519PrivateKey) -> Prepared:
        with Workspace() as work:
            return self._run(csv_path, out, signing_key, work.path)

    def _run(self, csv_path: Path, out: Path, signing_key: Ed25519PrivateKey, work: Path) -> Prepared:
        fmt = self._check_start(csv_path)
        total = _count_lines(csv_path)
        lookup = anon.postcode_lookup(self.profile, self.profile_dir, csv_path.parent)
        pseudo = Pseudonymiser(self.key, self.party.agreement.id)
        scrubber = (
            anon.make_scrubber(self.ner, self.workers)
            if self._wants_narrative() and self.narrative_allowed
            else None
        )
        reader = RowReader(self.profile, self.problems, today=self.today)
        seen: set[bytes] = set()
        rows = Spill(work, "rows")
        index = _Index(quarter_bounds(self.quarter)[0].strftime("%Y-%m"), quarter_bounds(self.quarter)[1].strftime("%Y-%m"))
        stats: Counter[str] = Counter()
        entity_counts: Counter[str] = Counter()
        done = 0
        pending: tuple[list[ParsedRow], Callable[[], list[str | None]], int] | None = None

        def finish(parsed_chunk: list[ParsedRow], narratives: Callable[[], list[str | None]], rows_in_chunk: int) -> int:
            prepared = [
                self._anonymise(parsed, narrative, pseudo, lookup, stats)
                for parsed, narrative in zip(parsed_chunk, narratives(), strict=True)
            ]
            parsed_chunk.clear()
            index.add(prepared)
            rows.write([_row_json(r) for r in prepared])
            return rows_in_chunk

        for chunk in read_chunks(csv_path, fmt):
            parsed_chunk: list[ParsedRow] = []
            for raw in chunk.rows:
                row_number = int(raw[ROW_KEY])
                digest = hashlib.blake2b(
                    "\x1f".join(v for k, v in raw.items() if k != ROW_KEY).encode(), digest_size=16
                ).digest()
                stats["rows_read"] += 1
                if digest in seen:
                    stats["duplicate_rows"] += 1
                    self.problems.add(
                        Problem(
                            rule="duplicate_row",
                            severity="warning",
                            row=row_number,
                            message="this row repeats an earlier row exactly and was left out",
                            hint="Nothing to do if the export repeats rows; otherwise check your case system.",
                        )
                    )
                    continue
                seen.add(digest)
                parsed_chunk.append(reader.read(raw, row_number))
            # The workers scrub this chunk while this process anonymises the one before.
            narratives = self._scrub(scrubber, parsed_chunk, stats, entity_counts)
            if pending is not None:
                done += finish(*pending)
                self.progress("anonymising", min(done, total), total)
            pending = (parsed_chunk, narratives, len(chunk.rows))
        if pending is not None:
            done += finish(*pending)
            self.progress("anonymising", min(done, total), total)
        pending = None
        seen.clear()
        reader.finish()
        if stats["rows_read"] == 0:
            raise ClientError(
                f"{csv_path.name} has a header but no rows.",
                hint="Export the quarter's records again; the file holds column names only.",
            )
        self._check_quarter(index, stats)
        if self.problems.errors:
            raise ClientError(
                f"{len(self.problems.errors)} problem(s) stop this export from being prepared; nothing was written.",
                hint="Fix them in the profile or the export and run prepare again.",
                problems=self.problems.items,
            )
        self.progress("building bundle", total, total)
        files, present = self._tables(rows, index, stats, work)
        manifest_fields = self._manifest_fields(stats, entity_counts, scrubber)
        with (work / "bundle.zip").open("w+b") as handle:
            manifest = write_bundle_files(handle, manifest_fields, files.paths, files.counts, signing_key)
            self._check_agreement(manifest, present)
            handle.seek(0)
            bundle_path = _write_atomic(out, handle)
        review_path = write_review(out, manifest.model_dump(mode="json"), self.problems)
        return Prepared(
            bundle_path=bundle_path,
            review_path=review_path,
            manifest=manifest.model_dump(mode="json"),
            warnings=self.problems.warnings,
        )

    def _check_agreement(self, manifest: Manifest, present: dict[str, set[str]]) -> None:
        """Ask the agreement rules the hub will ask, so a refusal is known before anything is sent."""
        decision = check_upload(
            self.party.agreement, partner_id=self.party.partner_id, manifest=manifest,
            present_fields=present, today=self.today, demo_mode=True,
        )
        if not decision.allowed:
            raise ClientError(
                f"Agreement {self.party.agreement.id} does not allow this upload; nothing was written.",
                hint="Ask your hub operator; the agreement's rules are named below.",
                problems=[Problem(rule="agreement", message=reason) for reason in decision.reasons],
            )

    def _wants_narrative(self) -> bool:
        return self.profile.target("incident.narrative") is not None

    def _scrub(
        self, scrubber: Any, parsed: list[ParsedRow], stats: Counter[str], entities: Counter[str]
    ) -> Callable[[], list[str | None]]:
        """Start scrubbing a chunk's notes; the answer waits for them (one per row, None if none leaves)."""
        out: list[str | None] = [None] * len(parsed)
        todo = [i for i, p in enumerate(parsed) if p.narrative]
        stats["narratives_in_export"] += len(todo)
        if not self.narrative_allowed:
            stats["narratives_not_allowed"] += len(todo)
            return lambda: out
        if not todo:
            return lambda: out
        wait = anon.submit_scrub(scrubber, [(parsed[i].narrative or "", parsed[i].known()) for i in todo])

        def results() -> list[str | None]:
            for i, (text, kinds, dropped) in zip(todo, wait(), strict=True):
                entities.update(kinds)
                if dropped or text is None:
                    stats["narratives_dropped"] += 1
                    continue
                out[i] = text
                stats["narratives_scrubbed"] += 1
            return out

        return results

    def _anonymise(
        self,
        p: ParsedRow,
        narrative: str | None,
        pseudo: Pseudonymiser,
        lookup: anon.PostcodeLookupLike | None,
        stats: Counter[str],
    ) -> _Row:
        local_id = p.local_id or f"row-{p.row}"
        if p.local_id is None:
            stats["rows_without_case_id"] += 1
        incident_pid = pseudo.incident(self.party.partner_id, local_id)
        codes = p.codes
        incident: dict[str, Any] = {}
        for name, values in codes.items():
            table, attr = name.split(".", 1)
            if table == "incident":
                multi = TARGETS[name].kind == "codes"
                incident[attr] = tuple(values) if multi else values[0]
        gss, pfa, cell = p.borough, None, None
        lat, lon = p.first(IdentifierKind.latitude), p.first(IdentifierKind.longitude)
        postcode = p.first(IdentifierKind.postcode)
        place_code = p.first(IdentifierKind.location_postcode)
        point = anon.parse_point(lat, lon) if lat and lon else None
        if place_code and lookup is not None:
            found = lookup.find(place_code)
            if found is None:
                stats["postcodes_not_found"] += 1
            else:
                if point is None:
                    point = (found.lat, found.lon)
                gss = gss or found.la_code
                pfa = found.pfa_code
        if point is not None:
            cell = anon.cell_of(point[0], point[1], self.resolution)
            gss = gss or anon.borough_for_point(point[0], point[1])
            stats["locations_to_cells"] += 1
        if gss is not None:
            incident["la_gss_code"] = gss
            pfa = pfa or anon.police_force(gss)
        if pfa is not None:
            incident["police_force_area"] = pfa
        person: dict[str, Any] | None = None
        has_person = self._maps_persons or any(
            k in p.ids for k in (IdentifierKind.full_name, IdentifierKind.given_name, IdentifierKind.family_name)
        ) or p.dob is not None
        if has_person:
            person = {attr: values[0] for name, values in codes.items() if name.startswith("person.") for attr in [name.split(".", 1)[1]]}
            gender = codes.get("person.gender", ["unknown"])[0]
            sex = gender if gender in ("male", "female") else p.first(IdentifierKind.sex)
            keys = pseudo.person_keys(
                full_name=p.first(IdentifierKind.full_name),
                given=p.first(IdentifierKind.given_name),
                family=p.first(IdentifierKind.family_name),
                dob=p.dob,
                sex=sex,
            )
            for key, value in keys.items():
                if value is not None:
                    person[f"mk_{key.value}"] = value
            on = p.event_date or self._quarter_end
            if p.dob is not None:
                age: int | None = anon.age_at(p.dob, on)
                stats["dob_to_age_band"] += 1
            else:
                age = p.age
            if age is not None:
                person["age_band"] = anon.age_band(age)
                person["age_group"] = anon.age_group(age)
            if p.nationality:
                person["nationality"] = anon.nationality_code(p.nationality)
                if person["nationality"] == "unknown":
                    stats["nationality_unrecognised"] += 1
        referral: dict[str, Any] | None = None
        ref_codes = {n: v for n, v in codes.items() if n.startswith("referral.")}
        if ref_codes or p.decision_date is not None:
            referral = {}
            for name, values in ref_codes.items():
                attr = name.split(".", 1)[1]
                referral[attr] = tuple(values) if TARGETS[name].kind == "codes" else values[0]
            if p.decision_date is not None:
                referral["decision_month"] = p.decision_date.strftime("%Y-%m")
        selectors: list[tuple[str, str]] = []
        for kind, skind in _SELECTOR_KINDS.items():
            for value in p.ids.get(kind, []):
                pid = pseudo.selector(skind, value)
                if pid is not None:
                    selectors.append((skind.value, pid))
        for value in p.ids.get(IdentifierKind.address, []):
            pid = pseudo.selector(SelectorKind.address, f"{value}, {postcode}" if postcode else value)
            if pid is not None:
                selectors.append((SelectorKind.address.value, pid))
        month = p.event_date.strftime("%Y-%m") if p.event_date else None
        if p.event_date is not None:
            stats["dates_to_month"] += 1
        return _Row(p.row, incident_pid, month, incident, person, referral, selectors, cell, narrative)

    def _check_quarter(self, index: "_Index", stats: Counter[str]) -> None:
        months = index.months
        if months and not any(index.first_month <= m <= index.last_month for m in months):
            common = months.most_common(1)[0][0]
            year, month = int(common[:4]), int(common[5:])
            raise ClientError(
                f"None of the rows' dates falls in {self.quarter}; most are in {year}-Q{(month - 1) // 3 + 1}.",
                hint=f"Check --quarter: did you mean --quarter {year}Q{(month - 1) // 3 + 1}?",
            )
        for row in index.after_quarter:
            self.problems.add(
                Problem(
                    rule="after_quarter",
                    row=row,
                    column=self._column("incident.first_known_date"),
                    message=f"the date is after the end of {self.quarter}",
                    hint="Export only records known by the quarter's end, or choose the right quarter.",
                )
            )
        stats["rows_without_date"] += index.without_date
        if stats["rows_without_date"]:
            self.problems.add(
                Problem(
                    rule="missing_dates",
                    severity="warning",
                    column=self._column("incident.first_known_date"),
                    message=f"{stats['rows_without_date']} row(s) have no usable date; "
                    f"their incidents are dated to the first month of {self.quarter}",
                    hint="Fill in the dates in your case system for a more accurate picture.",
                )
            )

    def _column(self, target: str) -> str | None:
        cmap = self.profile.target(target)
        return cmap.columns[0] if cmap is not None and cmap.columns else None

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
        incidents = index.incidents  # pid → first month until the incident is emitted, then its person count
        seen_selectors: set[bytes] = set()
        qi = kanon.QuasiIdentifiers()
        validated = Spill(work, "records")
        position = 0
        for items in rows:
            chunk = [_Row(*item) for item in items]
            del items
            raw: dict[TableName, list[dict[str, Any]]] = {"incidents": [], "persons": [], "selectors": [], "referrals": []}
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
                    raw["persons"].append({"incident_pid": pid, "person_seq": person_seq, **r.person, "_row": r.row})
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

    def _selectors_allowed(self) -> bool:
        fields = self.allowed_fields
        return fields is None or bool({"selectors.selector_pid", "selector_pid", "selectors"} & set(fields))

    def _manifest_fields(self, stats: Counter[str], entities: Counter[str], scrubber: Any) -> dict[str, Any]:
        withheld = dict(self.report.get("withheld_fields", {}))
        used = self.profile.columns_used()
        removed = {c: "identifier: used only to make pseudonyms, locate and scrub; never sent" for c in sorted(self.profile.identifier_columns())}
        privacy: dict[str, Any] = {
            "rows_read": stats["rows_read"],
            "duplicate_rows_left_out": stats["duplicate_rows"],
            "removed": {
                "identifier_columns": removed,
                "columns_not_mapped": len(self.profile.ignore),
                "fields_withheld_by_agreement": withheld,
            },
            "pseudonymised": {
                "method": "HMAC-SHA256 under the agreement's linkage key (HKDF sub-keys per purpose)",
                "key_version": self.key.version,
                "key_fingerprint": self.key.fingerprint(),
            },
            "generalised": {
                "dates_to_month": stats["dates_to_month"],
                "dates_of_birth_to_age_band": stats["dob_to_age_band"],
                "nationalities_unrecognised": stats["nationality_unrecognised"],
            },
            "coarsened": {
                "locations_to_h3": stats["locations_to_cells"],
                "postcodes_not_found": stats["postcodes_not_found"],
                "upload_resolution": self.resolution,
                "min_count_per_cell": self.party.agreement.disclosure.min_count,
                "cells": self.report.get("coarsened", {}),
            },
            "narratives": {
                "in_export": stats["narratives_in_export"],
                "scrubbed_and_sent": stats["narratives_scrubbed"],
                "dropped_could_not_scrub": stats["narratives_dropped"],
                "left_out_agreement_forbids": stats["narratives_not_allowed"],
                "entities_replaced": dict(entities),
                "capitalised_words_replaced_by_name_guard": stats["narrative_words_guarded"],
                "name_detection": anon.ner_note(scrubber),
            },
            "risk": self.report.get("risk", {}),
            "columns_used": len(used),
        }
        agreement = self.party.agreement
        return {
            "submission_id": uuid4(),
            "client_version": __version__,
            "profile_version": self.profile.version,
            "partner_id": self.party.partner_id,
            "partner_type": self.party.partner_type,
            "agreement_id": agreement.id,
            "agreement_version": agreement.version,
            "reporting_period": self.quarter,
            "key_version": self.key.version,
            "h3_resolution": self.resolution,
            "created_at": utcnow(),
            "privacy_report": privacy,
        }


_NARRATIVE_AT: Final = 8
"""Position of ``narrative`` in a spilled row."""


def _row_json(r: _Row) -> list[Any]:
    """A row as the JSON list the spill keeps (``_Row(*item)`` reads it back)."""
    return [r.row, r.incident_pid, r.month, r.incident, r.person, r.referral, r.selectors, r.cell, r.narrative]


class _Index:
    """What the whole submission needs from every row, kept compact while the rows go to disk."""

    def __init__(self, first_month: str, last_month: str) -> None:
        self.first_month = first_month
        self.last_month = last_month
        self.months: Counter[str] = Counter()
        self.after_quarter: list[int] = []
        self.without_date = 0
        self.cells: list[str | None] = []
        self.incidents: dict[str, str | int] = {}
        """incident pid → its first known month (the first row's, or the quarter's first, or any
        earlier month of a later row)."""

    def add(self, rows: list[_Row]) -> None:
        for r in rows:
            month = sys.intern(r.month) if r.month is not None else None
            if month is None:
                self.without_date += 1
            else:
                self.months[month] += 1
                if month > self.last_month:
                    self.after_quarter.append(r.row)
            self.cells.append(sys.intern(r.cell) if r.cell is not None else None)
            pid = sys.intern(r.incident_pid)
            known = self.incidents.get(pid)
            if known is None:
                self.incidents[pid] = month or self.first_month
            elif month is not None and isinstance(known, str) and month < known:
                self.incidents[pid] = month


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


def _write_atomic(out: Path, source: BinaryIO) -> Path:
    """Write the bundle next to its final name and rename, so a failure leaves no partial bundle."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".bundle-", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(source, handle, 1 << 20)
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
