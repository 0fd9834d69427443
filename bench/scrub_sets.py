"""Scrubbing on the independent evaluation sets (bench/eval/{dev,test}): leak and kept rates per entity type and speed, beside Presidio's default engine.

Run: .venv/bin/python bench/scrub_sets.py [--split dev|test|both] [--workers 2] [--repeats 1]
(bench/scrub.py runs it too, after the demo-data benchmark).

The sets were written by people who had not read the recognizers (bench/eval/*/README.md says
who, from what, and under which licence): caseworker-style notes (police log, A&E, MASH,
helpline, NGO, interpreter, outreach, housing, supply-chain audit, WhatsApp style, ALL CAPS,
lower case) and presidio-research template sentences filled with UK fake values, split into
development and test by template. Rules are tuned on dev only; the test split is run through
this script for aggregate figures and nothing else (it prints no example from it, and
``--details`` refuses it).

Scoring is bench/eval/score.py (the evaluation sets' own scorer, vendored unchanged): a
labelled span leaks when any 3+ character token of it survives at its place, nearby, or (4+
characters, not otherwise in the note) anywhere in the output; kept is the share of ordinary
alphabetic tokens outside every span left exactly as written. No configuration is told any
record identifiers (``known`` is empty): these are notes nobody here wrote.

Speed: the same notes through each configuration in the same run, wall clock of the whole
process (workers included) and CPU time of this process plus its workers; the ratio to
Presidio's default ``AnalyzerEngine`` (its default registry, ``SpacyNlpEngine`` on the same
spaCy model, one ``analyze`` per note). The machine is shared: the load average is printed.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "eval"))

import score  # bench/eval/score.py, the evaluation sets' scorer

from anonymise.nlp import DEFAULT_NER_MODEL
from anonymise.offline import make_presidio_offline
from anonymise.scrub import Scrubber, ScrubInput
from bench.scrub import measured  # the demo benchmark's timing helper

EVAL = Path(__file__).resolve().parent / "eval"
FILES = ("notes_a", "notes_b", "notes_c", "notes_d", "notes_e", "notes_f", "templates")
"""A set whose file is missing in a split is skipped (each set is vendored when its writer finishes)."""
MUST_REMOVE = ("HANDLE", "PHONE_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS", "POSTCODE", "NI_NUMBER", "NHS_NUMBER",
               "PASSPORT", "ID_NUMBER", "IBAN_CODE", "CREDIT_CARD", "CARD_NUMBER", "BANK_ACCOUNT", "IP_ADDRESS",
               "SOCIAL_HANDLE", "BRP_NUMBER", "IMMIGRATION_REF", "POLICE_ID", "DRIVING_LICENCE")
"""The issue's "every other must-remove type" (phone, email, street address, postcode, ID numbers, handles, IBAN/card, IP);
notes_e names handles SOCIAL_HANDLE and splits ID numbers into BRP, Home Office, police and driving-licence types."""


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    outputs: list[str | None]


def load(split: str) -> dict[str, list[dict[str, Any]]]:
    sets = {}
    for name in FILES:
        path = EVAL / split / f"{name}.jsonl"
        if path.exists():
            sets[name] = score.load(str(path))
    return sets


def redact(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, cursor = [], 0
    for start, end in sorted(spans):
        start = max(start, cursor)
        if end <= start:
            continue
        out += [text[cursor:start], "<REDACTED>"]
        cursor = end
    return "".join([*out, text[cursor:]])


def run_presidio(texts: list[str], model: str, repeats: int) -> Run:
    make_presidio_offline()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    engine = AnalyzerEngine(nlp_engine=SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}]))
    engine.analyze(texts[0], language="en")
    wall, cpu, outputs = measured(
        lambda: [redact(t, [(r.start, r.end) for r in engine.analyze(t, language="en")]) for t in texts], repeats
    )
    assert isinstance(outputs, list)
    return Run("Presidio default (same spaCy model)", wall, cpu, outputs)


def run_ours(name: str, texts: list[str], *, ner: bool, workers: int, model: str, repeats: int) -> Run:
    scrubber = Scrubber(ner=ner, model=model, workers=workers)
    items = [ScrubInput(t) for t in texts]
    scrubber.scrub_many(items[:20])  # warm-up; workers fork from a warm process

    def scrub_all() -> list[str | None]:
        try:
            return [r.text for r in scrubber.scrub_many(items)]
        finally:
            scrubber.close()

    wall, cpu, outputs = measured(scrub_all, repeats)
    assert isinstance(outputs, list)
    return Run(name, wall, cpu, outputs)


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f} %" if d else "    –  "


def report(split: str, sets: dict[str, list[dict[str, Any]]], runs: list[Run], details: str | None) -> dict[str, Any]:
    golds = [g for name in FILES for g in sets.get(name, [])]
    figures: dict[str, Any] = {"split": split, "notes": len(golds), "configurations": {}}
    print(f"\n== {split} split: {len(golds)} notes ({', '.join(f'{k} {len(v)}' for k, v in sets.items())}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    presidio = runs[0]
    summaries = {}
    for run in runs:
        summaries[run.name] = score.summarise(golds, [{"text": t} for t in run.outputs])
    print(f"\n{'configuration':38s} {'notes/s':>8s} {'× Presidio':>10s} {'CPU ms/note':>11s} {'leak':>7s} {'person':>7s} "
          f"{'other must-remove':>17s} {'kept':>7s} {'dropped':>7s}")
    for run in runs:
        s = summaries[run.name]
        by_type = s["by_type"]
        person = by_type.get("PERSON", {})
        other = [by_type.get(t, {}) for t in MUST_REMOVE]
        other_leaks, other_spans = sum(v.get("leaks", 0) for v in other), sum(v.get("spans", 0) for v in other)
        rate = len(golds) / run.wall
        print(f"{run.name:38s} {rate:8.1f} {presidio.wall / run.wall:10.1f} {1000 * run.cpu / len(golds):11.2f} "
              f"{_pct(s['leaks'], s['spans'])} {_pct(person.get('leaks', 0), person.get('spans', 0))} "
              f"{_pct(other_leaks, other_spans):>17s} {_pct(s['kept'], s['kept_tokens'])} {s['dropped']:7d}")
        figures["configurations"][run.name] = {
            "notes_per_s": rate, "x_presidio": presidio.wall / run.wall, "cpu_ms_per_note": 1000 * run.cpu / len(golds),
            "leak_pct": s["leak_pct"], "kept_pct": s["kept_pct"], "dropped": s["dropped"],
            "person_leak_pct": person.get("leak_pct"), "other_must_remove_leak_pct": 100 * other_leaks / other_spans if other_spans else None,
            "by_type": {t: {k: v[k] for k in ("spans", "leaks", "leak_pct") if k in v} for t, v in by_type.items()},
        }
    types = sorted({t for s in summaries.values() for t in s["by_type"]})
    print(f"\nleak rate per entity type (scorable spans)\n{'entity':16s} {'spans':>6s}" + "".join(f" {r.name[:20]:>20s}" for r in runs))
    for t in types:
        spans = summaries[runs[0].name]["by_type"].get(t, {}).get("spans", 0)
        row = f"{t:16s} {spans:6d}"
        for run in runs:
            v = summaries[run.name]["by_type"].get(t, {})
            row += f" {_pct(v.get('leaks', 0), v.get('spans', 0)):>20s}"
        print(row)
    per_file = "\nper set (leak / kept):"
    for name, gold in sets.items():
        per_file += f"\n  {name:10s}"
        start = sum(len(sets[n]) for n in FILES[: FILES.index(name)] if n in sets)
        for run in runs:
            s = score.summarise(gold, [{"text": t} for t in run.outputs[start : start + len(gold)]])
            per_file += f"  {run.name[:14]}: {_pct(s['leaks'], s['spans'])} / {_pct(s['kept'], s['kept_tokens'])}"
    print(per_file)
    older = [name for name in sets if name != "notes_e"]
    if "notes_e" in sets and older:
        # The older sets alone (notes_a-d and the templates), whose handles and streets notes_e does not dilute.
        line = f"\nother must-remove without notes_e ({sum(len(sets[n]) for n in older)} notes):"
        for run in runs:
            golds_old, outs_old = [], []
            for name in older:
                start = sum(len(sets[n]) for n in FILES[: FILES.index(name)] if n in sets)
                golds_old += sets[name]
                outs_old += [{"text": t} for t in run.outputs[start : start + len(sets[name])]]
            by_type = score.summarise(golds_old, outs_old)["by_type"]
            leaks = sum(by_type.get(t, {}).get("leaks", 0) for t in MUST_REMOVE)
            spans = sum(by_type.get(t, {}).get("spans", 0) for t in MUST_REMOVE)
            line += f"\n  {run.name:38s} {_pct(leaks, spans)} ({leaks}/{spans}); handles {_pct(by_type.get('HANDLE', {}).get('leaks', 0), by_type.get('HANDLE', {}).get('spans', 0))}, streets {_pct(by_type.get('STREET_ADDRESS', {}).get('leaks', 0), by_type.get('STREET_ADDRESS', {}).get('spans', 0))}"
            figures["configurations"][run.name]["other_must_remove_without_notes_e"] = 100 * leaks / spans if spans else None
        print(line)
    if details:
        if split != "dev":
            raise SystemExit("--details is for the dev split only: the test split is never looked at")
        Path(details).write_text(json.dumps({r.name: summaries[r.name] for r in runs}, ensure_ascii=False, indent=1), encoding="utf-8")
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--model", default=DEFAULT_NER_MODEL)
    parser.add_argument("--details", help="write the dev split's per-span results (leaks, over-scrubbed words) here")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    out = []
    for split in (("dev", "test") if args.split == "both" else (args.split,)):
        sets = load(split)
        if not sets:
            print(f"no evaluation set under {EVAL / split}")
            continue
        texts = [g["text"] for name in FILES for g in sets.get(name, [])]
        runs = [
            run_presidio(texts, args.model, args.repeats),
            run_ours(f"ours, NER, {args.workers} workers", texts, ner=True, workers=args.workers, model=args.model, repeats=args.repeats),
            run_ours("ours, NER, 1 process", texts, ner=True, workers=1, model=args.model, repeats=args.repeats),
            run_ours(f"ours, no NER, {args.workers} workers", texts, ner=False, workers=args.workers, model=args.model, repeats=args.repeats),
            run_ours("ours, no NER, 1 process", texts, ner=False, workers=1, model=args.model, repeats=args.repeats),
        ]
        out.append(report(split, sets, runs, args.details if split == "dev" else None))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
