"""`prepare`, the run: check the export, read it in chunks, drive the steps, write the signed bundle.

read → map → validate → pseudonymise → scrub → coarsen → generalise → enforce k → bundle; the per-row
steps live in `prepare_rows`, the whole-submission ones in `prepare_tables`.
"""

import hashlib
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anonymise.agreement import Agreement
from anonymise.bundle import Manifest, utcnow, write_bundle_files
from anonymise.keys import LinkageKey
from anonymise.policy import check_upload
from anonymise.pseudonymise import Pseudonymiser
from partner_client import __version__
from partner_client.csvread import ROW_KEY, read_chunks, sniff
from partner_client.errors import ClientError, Problem, Problems
from partner_client.prepare import locate as anon
from partner_client.prepare.row import RowSteps, _Index, _row_json
from partner_client.prepare.tables import TableSteps
from partner_client.profile import Profile
from partner_client.review import write_review
from partner_client.rows import ParsedRow, RowReader
from partner_client.spill import Spill, Workspace

Progress = Callable[[str, int, int], None]
"""(stage, done, total) — the CLI draws a bar, the web page a percentage."""


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


class Pipeline(RowSteps, TableSteps):
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
