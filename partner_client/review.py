"""The local review report written beside a bundle: plain words, counts and reasons, no record values."""

from pathlib import Path
from typing import Any, Final

from partner_client.config import write_private
from partner_client.errors import Problems

NER_NOTES: Final = {
    "no_free_text": "no free text was sent",
    "ner_and_columns": "person names detected by the spaCy pipeline as well as from the record's columns",
    "columns_only": "names not present in any column may be missed: the NER extra is not installed",
}
"""The privacy report carries the code (the hub's manifest is counts and codes only); the review shows these words."""


QUASI_IDENTIFIERS: Final = ("age band", "adult or child", "gender", "nationality", "area (map cell or borough)", "month")
"""What `anonymise.kanon` groups persons on, in words."""


def risk_figures(report: dict[str, Any]) -> dict[str, int]:
    """The re-identification figures exactly as the manifest's privacy report holds them.

    >>> risk_figures({"risk": {"k": 1, "persons": 26, "risk_before": {"unique": 23}, "risk_after": {"unique": 23}}})["unique_before"]
    23
    """
    risk = report.get("risk", {})
    before, after = risk.get("risk_before", {}), risk.get("risk_after", {})
    return {
        "k": int(risk.get("k", 1)),
        "persons": int(risk.get("persons", before.get("records", 0))),
        "unique_before": int(before.get("unique", 0)),
        "unique_after": int(after.get("unique", 0)),
        "below_k_after": int(after.get("below_k", 0)),
        "nationality_generalised": int(risk.get("nationality_generalised", 0)),
        "cells_dropped": int(risk.get("cells_dropped", 0)),
        "persons_suppressed": int(risk.get("persons_suppressed", 0)),
    }


def review_lines(manifest: dict[str, Any]) -> list[str]:
    """What the bundle holds and what was done to the export, as lines of Markdown."""
    report = manifest.get("privacy_report", {})
    counts = manifest.get("record_counts", {})
    lines = [
        f"# Review of {manifest['partner_id']} {manifest['reporting_period']}",
        "",
        f"- Agreement: {manifest['agreement_id']} version {manifest['agreement_version']}",
        f"- Schema {manifest['schema_version']}, client {manifest['client_version']}, "
        f"profile version {manifest['profile_version']}, linkage key version {manifest['key_version']}",
        "- Records that will leave: " + ", ".join(f"{n} {t}" for t, n in counts.items()),
        "",
        "## What was removed",
    ]
    removed = report.get("removed", {})
    identifiers = removed.get("identifier_columns", 0)
    lines.append(f"- {identifiers} identifier column(s): used only to make pseudonyms, locate and scrub; never sent")
    lines.append(f"- {removed.get('columns_not_mapped', 0)} column(s) not mapped were left out")
    for name, n in removed.get("fields_withheld_by_agreement", {}).items():
        lines.append(f"- {name}: withheld in {n} record(s) because the agreement does not let you share it")
    if report.get("duplicate_rows_left_out"):
        lines.append(f"- {report['duplicate_rows_left_out']} exact duplicate row(s) left out")
    narratives = report.get("narratives", {})
    lines += ["", "## Free text"]
    lines.append(
        f"- {narratives.get('in_export', 0)} note(s) in the export; {narratives.get('scrubbed_and_sent', 0)} scrubbed and sent; "
        f"{narratives.get('dropped_could_not_scrub', 0)} dropped because they could not be scrubbed safely; "
        f"{narratives.get('left_out_agreement_forbids', 0)} left out because the agreement does not allow notes"
    )
    for kind, n in narratives.get("entities_replaced", {}).items():
        lines.append(f"- {n} × {kind} replaced by a placeholder")
    code = narratives.get("name_detection", "")
    lines.append(f"- Name detection: {NER_NOTES.get(code, code)}")
    if narratives.get("capitalised_words_replaced_by_name_guard"):
        lines.append(
            f"- {narratives['capitalised_words_replaced_by_name_guard']} capitalised word(s) that might be names "
            "were replaced as a precaution"
        )
    gen = report.get("generalised", {})
    coarse = report.get("coarsened", {})
    lines += [
        "",
        "## What was generalised and coarsened",
        f"- {gen.get('dates_to_month', 0)} date(s) reduced to the month",
        f"- {gen.get('dates_of_birth_to_age_band', 0)} date(s) of birth reduced to an age band and adult/child",
        f"- {coarse.get('locations_to_h3', 0)} location(s) turned into H3 cells at resolution {coarse.get('upload_resolution')}; "
        f"cells with fewer than {coarse.get('min_count_per_cell')} incidents moved to a larger cell or to the borough only",
        f"- incidents by location detail: {coarse.get('incidents_by_resolution', {})}",
    ]
    if coarse.get("postcodes_not_found"):
        lines.append(
            f"- Warning: {coarse['postcodes_not_found']} postcode(s) not found in the lookup file: no map location for them "
            "(borough kept if given)"
        )
    risk = risk_figures(report)
    lines += [
        "",
        "## Re-identification risk",
        f"- Quasi-identifiers (what someone who knows a person could match on): {', '.join(QUASI_IDENTIFIERS)}",
        f"- Persons unique on them: {risk['unique_before']} of {risk['persons']} before protection, "
        f"{risk['unique_after']} of {risk['persons']} as sent (agreement minimum group size k = {risk['k']})",
        f"- Nationalities generalised to region: {risk['nationality_generalised']}; "
        f"locations dropped to the borough: {risk['cells_dropped']}; persons with details suppressed: {risk['persons_suppressed']}",
    ]
    return lines


def write_review(bundle: Path, manifest: dict[str, Any], problems: Problems) -> Path:
    lines = review_lines(manifest)
    if problems.warnings:
        lines += ["", "## Warnings"]
        for p in problems.warnings:
            where = p.where()
            lines.append(f"- {where + ': ' if where else ''}{p.message}" + (f" — {p.hint}" if p.hint else ""))
    path = bundle.with_name(bundle.name + ".review.md")
    write_private(path, ("\n".join(lines) + "\n").encode())
    return path
