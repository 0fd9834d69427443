"""`prepare`, the run: the steps driven in order over one export, chunk by chunk, into a signed bundle.

read → map (`read`) → scrub (`scrub`, on workers, a chunk ahead) → anonymise row (`row`) → the
quarter checked on the whole (`index`) → tables and k (`tables`) → bundle (`bundle`).
"""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anonymise.keys import LinkageKey
from anonymise.pseudonymise import Pseudonymiser
from anonymise.scrub import Scrubber
from partner_client.csvread import CsvFormat
from partner_client.errors import ClientError, Problem, Problems
from partner_client.prepare import bundle, locate
from partner_client.prepare.index import SubmissionIndex, check_quarter
from partner_client.prepare.party import Party
from partner_client.prepare.quarter import quarter_bounds
from partner_client.prepare.read import ExportReader, MappedChunk, check_export, count_lines
from partner_client.prepare.row import RowAnonymiser, RowSettings
from partner_client.prepare.scrub import Notes, NoteScrubber, make_scrubber, ner_note
from partner_client.prepare.tables import TableBuilder, Tables
from partner_client.profile import IdentifierKind, Profile
from partner_client.review import write_review
from partner_client.rows import ParsedRow
from partner_client.spill import Spill, Workspace

Progress = Callable[[str, int, int], None]
"""(stage, done, total) — the CLI draws a bar, the web page a percentage."""


@dataclass
class Prepared:
    bundle_path: Path
    review_path: Path
    manifest: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)
    case_refs: dict[str, str] = field(default_factory=dict)
    """incident pid → case reference, for the local case index (``partner_client.caseindex``); never in the bundle."""


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

    def run(self, csv_path: Path, out: Path, signing_key: Ed25519PrivateKey) -> Prepared:
        with Workspace() as work:
            return self._run(csv_path, out, signing_key, work.path)

    def _run(self, csv_path: Path, out: Path, signing_key: Ed25519PrivateKey, work: Path) -> Prepared:
        fmt = check_export(csv_path, self.profile, self.party, self.quarter, self.today)
        counts: Counter[str] = Counter()
        anonymiser = self._anonymiser(csv_path, counts)
        scrubber = self._scrubber()
        notes = NoteScrubber(scrubber, allowed=self.party.narrative_allowed, counts=counts)
        total = count_lines(csv_path)
        rows, index = self._anonymise(csv_path, fmt, work, anonymiser, notes, total)
        self._warn_locations(anonymiser.lookup is not None, counts)
        check_quarter(index, self.quarter, self.problems, counts, date_column=self._column("incident.first_known_date"))
        if self.problems.errors:
            raise ClientError(
                f"{len(self.problems.errors)} problem(s) stop this export from being prepared; nothing was written.",
                hint="Fix them in the profile or the export and run prepare again.",
                problems=self.problems.items,
            )
        self.progress("building bundle", total, total)
        builder = TableBuilder(party=self.party, quarter=self.quarter, problems=self.problems, counts=counts, work=work)
        tables = builder.build(rows, index)
        removed = bundle.Removed(counts, notes.entities, builder.withheld, ner_note(scrubber))
        prepared = self._write(out, work, tables, removed, signing_key)
        prepared.case_refs = anonymiser.case_refs
        return prepared

    def _anonymise(
        self, csv_path: Path, fmt: CsvFormat, work: Path, anonymiser: RowAnonymiser, notes: NoteScrubber, total: int
    ) -> tuple[Spill, SubmissionIndex]:
        """read → map → scrub → anonymise row, chunk by chunk: the rows spilled to disk and their index."""
        reader = ExportReader(self.profile, self.problems, anonymiser.counts, today=self.today)
        rows = Spill(work, "rows")
        index = SubmissionIndex(self.quarter)
        done = 0
        for chunk, scrubbed in _one_behind(reader.chunks(csv_path, fmt), notes.submit):
            prepared = [anonymiser.anonymise(p, n) for p, n in zip(chunk.rows, scrubbed(), strict=True)]
            chunk.rows.clear()
            index.add(prepared)
            rows.write([r.to_spill() for r in prepared])
            done += chunk.read
            self.progress("anonymising", min(done, total), total)
        reader.finish(csv_path)
        return rows, index

    def _warn_locations(self, has_lookup: bool, counts: Counter[str]) -> None:
        """Say so when places' postcodes cannot become map locations, or some were not in the lookup."""
        cmap = self.profile.identifiers.get(IdentifierKind.location_postcode)
        column = cmap.columns[0] if cmap is not None and cmap.columns else None
        if column is None:
            return
        if not has_lookup:
            self.problems.add(Problem(
                rule="no_postcode_lookup", severity="warning", column=column,
                message="this column holds the postcodes of places, but no postcode lookup file was given, "
                "so no incident gets a map location (only the borough, where a borough column is mapped)",
                hint="Add the ONS postcode lookup file in step 1 to put incidents on the map.",
            ))
        elif counts["postcodes_not_found"]:
            self.problems.add(Problem(
                rule="postcodes_not_found", severity="warning", column=column,
                message=f"{counts['postcodes_not_found']} postcode(s) not found in the postcode lookup file: "
                "those incidents have no map location",
                hint="Check these postcodes are typed correctly, or use a newer lookup file.",
            ))

    def _scrubber(self) -> Scrubber | None:
        """A scrubber only when the profile maps notes and the agreement lets them leave."""
        if self.profile.target("incident.narrative") is not None and self.party.narrative_allowed:
            return make_scrubber(self.ner, self.workers, business_names=self.party.business_names_allowed)
        return None

    def _anonymiser(self, csv_path: Path, counts: Counter[str]) -> RowAnonymiser:
        settings = RowSettings(
            partner_id=self.party.partner_id,
            resolution=self.party.agreement.location.upload_h3_resolution,
            maps_persons=any(n.startswith("person.") for n in self.profile.fields),
            quarter_end=quarter_bounds(self.quarter)[1],
        )
        lookup = locate.postcode_lookup(self.profile, self.profile_dir, csv_path.parent)
        return RowAnonymiser(settings, Pseudonymiser(self.key, self.party.agreement.id), lookup, counts)

    def _write(
        self, out: Path, work: Path, tables: Tables, removed: bundle.Removed, signing_key: Ed25519PrivateKey
    ) -> Prepared:
        submission = bundle.Submission(self.profile, self.party, self.quarter, self.key, self.today)
        fields = bundle.manifest_fields(submission, bundle.privacy_report(submission, removed, tables))
        bundle_path, manifest = bundle.write_bundle(out, work, submission, fields, tables, signing_key)
        review_path = write_review(out, manifest.model_dump(mode="json"), self.problems)
        return Prepared(
            bundle_path=bundle_path,
            review_path=review_path,
            manifest=manifest.model_dump(mode="json"),
            warnings=self.problems.warnings,
        )

    def _column(self, target: str) -> str | None:
        cmap = self.profile.target(target)
        return cmap.columns[0] if cmap is not None and cmap.columns else None


def _one_behind(
    chunks: Iterator[MappedChunk], submit: Callable[[list[ParsedRow]], Notes]
) -> Iterator[tuple[MappedChunk, Notes]]:
    """Each chunk with its notes, a chunk late: the workers scrub one chunk while this process anonymises the one before."""
    pending: tuple[MappedChunk, Notes] | None = None
    for chunk in chunks:
        started = (chunk, submit(chunk.rows))
        if pending is not None:
            yield pending
        pending = started
    if pending is not None:
        yield pending
