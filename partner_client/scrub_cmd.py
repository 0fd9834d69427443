"""`msht-client scrub`: show partners what the scrubber does to their own notes (JSON Lines in, JSON Lines out)."""

import json
import sys
from collections.abc import Iterator
from typing import IO, Annotated, Any

import typer

from anonymise.nlp import DEFAULT_NER_MODEL, NerUnavailable
from anonymise.scrub import Scrubber, ScrubInput

_BATCH = 256


class LineError(ValueError):
    """A bad input line; the message names the line and the rule, never the text."""


def parse_line(number: int, raw: bytes) -> ScrubInput:
    """One JSON Lines object ``{"text": "...", "known": ["...", ...]}`` (``known`` optional)."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(f"line {number}: not UTF-8 (byte {exc.start + 1})") from None
    try:
        value: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise LineError(f'line {number}: expected an object like {{"text": "...", "known": [...]}}')
    text = value.get("text")
    if not isinstance(text, str):
        raise LineError(f'line {number}: "text" is missing or not a string')
    known = value.get("known", [])
    if not isinstance(known, list) or not all(isinstance(k, str) for k in known):
        raise LineError(f'line {number}: "known" must be a list of strings')
    return ScrubInput(text, tuple(known))


def _numbered_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(stream, start=1):
        if raw.strip():
            yield number, raw


def run(stream_in: IO[bytes], stream_out: IO[str], stream_err: IO[str], scrubber: Scrubber) -> int:
    """Scrub every line of ``stream_in`` in order; the exit status is 1 if any line was bad or dropped."""
    status = 0
    batch: list[tuple[int, ScrubInput | LineError]] = []

    def flush() -> None:
        nonlocal status
        good = [item for _, item in batch if isinstance(item, ScrubInput)]
        results = iter(scrubber.scrub_many(good))
        for number, item in batch:
            if isinstance(item, LineError):
                status = 1
                stream_err.write(f"error: {item}\n")
                stream_out.write(json.dumps({"error": str(item)}) + "\n")
                continue
            result = next(results)
            out: dict[str, Any] = {
                "text": result.text,
                "entities": [{"type": e.type, "start": e.start, "end": e.end} for e in result.entities],
            }
            if result.dropped is not None:
                status = 1
                out["dropped"] = result.dropped
                stream_err.write(f"line {number}: dropped, not uploadable: {result.dropped}\n")
            stream_out.write(json.dumps(out, ensure_ascii=False) + "\n")
        stream_out.flush()
        batch.clear()

    for number, raw in _numbered_lines(stream_in):
        try:
            batch.append((number, parse_line(number, raw)))
        except LineError as exc:
            batch.append((number, exc))
        if len(batch) >= _BATCH:
            flush()
    flush()
    return status


def scrub(
    ner: Annotated[
        bool | None,
        typer.Option("--ner/--no-ner", help="Use the spaCy name detector (default: when installed)."),
    ] = None,
    model: Annotated[str, typer.Option(help="spaCy pipeline package for name detection.")] = DEFAULT_NER_MODEL,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Processes to scrub with.")] = 1,
) -> None:
    """Scrub notes read as JSON Lines from stdin: {"text": "...", "known": ["identifiers from the record"]}.

    Writes one JSON line per input, in order: {"text": "<scrubbed>", "entities": [{"type", "start",
    "end"}]} with offsets into the input text. A text that cannot be scrubbed safely is dropped
    ("text": null and the reason); a bad line gets {"error": "line N: ..."} and never echoes its text.
    """
    try:
        scrubber = Scrubber(ner=ner, model=model, workers=workers)
    except NerUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for notice in scrubber.warnings():
        typer.echo(f"note: {notice}", err=True)
    try:
        status = run(sys.stdin.buffer, sys.stdout, sys.stderr, scrubber)
    finally:
        scrubber.close()
    raise typer.Exit(status)
