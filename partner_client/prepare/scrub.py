"""`prepare`'s scrub step: each chunk's notes scrubbed on workers while the chunk before is anonymised.

Each row's own identifiers are removed from its note too; a note that cannot be scrubbed is dropped.
"""

from collections import Counter
from collections.abc import Callable

from anonymise import scrub
from partner_client.rows import ParsedRow

Notes = Callable[[], list[str | None]]
"""Waits for a chunk's scrubbed notes: one per row, None where no note leaves."""


def make_scrubber(ner: bool | None, workers: int | None, *, business_names: bool = False) -> scrub.Scrubber:
    return scrub.Scrubber(ner=ner, workers=workers, business_names=business_names)


def ner_note(scrubber: scrub.Scrubber | None) -> str:
    """What the privacy report says about finding names: a code (``review.NER_NOTES`` has the words)."""
    if scrubber is None:
        return "no_free_text"
    return "ner_and_columns" if scrubber.ner_available else "columns_only"


class NoteScrubber:
    """Scrubs the notes of each chunk; without a scrubber every note is dropped (fail closed)."""

    def __init__(self, scrubber: scrub.Scrubber | None, *, allowed: bool, counts: Counter[str]) -> None:
        self.scrubber = scrubber
        self.allowed = allowed
        self.counts = counts
        self.entities: Counter[str] = Counter()
        """Entity type → how many were replaced, over the whole export."""

    def submit(self, parsed: list[ParsedRow]) -> Notes:
        """Start scrubbing a chunk's notes; the answer waits for them."""
        out: list[str | None] = [None] * len(parsed)
        todo = [i for i, p in enumerate(parsed) if p.narrative]
        self.counts["narratives_in_export"] += len(todo)
        if not self.allowed:
            self.counts["narratives_not_allowed"] += len(todo)
            return lambda: out
        if not todo:
            return lambda: out
        if self.scrubber is None:
            self.counts["narratives_dropped"] += len(todo)
            return lambda: out
        wait = self.scrubber.submit_many([scrub.ScrubInput(parsed[i].narrative or "", parsed[i].known()) for i in todo])

        def results() -> list[str | None]:
            for i, result in zip(todo, wait(), strict=True):
                self.entities.update(str(e.type) for e in result.entities)
                if result.dropped or result.text is None:
                    self.counts["narratives_dropped"] += 1
                    continue
                out[i] = result.text
                self.counts["narratives_scrubbed"] += 1
            return out

        return results
