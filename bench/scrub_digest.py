"""Digests of the scrubber's output on every evaluation note, to prove a speed change changes no output.

Run: .venv/bin/python bench/scrub_digest.py --write before.json   (on the old tree)
     .venv/bin/python bench/scrub_digest.py --compare before.json (on the new tree)

For each split (dev, test), with and without NER, each note's result — the scrubbed text (or
None), the reason it was dropped and every entity (type, offsets, rule) — is hashed with SHA-256.
``--compare`` prints only how many notes differ per split and configuration, and the ids of the
differing notes of the dev split: never a note's text, and nothing from the test split but counts.
It exits 1 when any note differs.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anonymise.scrub import Scrubber, ScrubInput, ScrubResult
from bench.scrub_sets import FILES, load


def digest(result: ScrubResult) -> str:
    entities = [(e.type, e.start, e.end, e.rule) for e in result.entities]
    payload = json.dumps([result.text, result.dropped, entities], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def digests(splits: tuple[str, ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for ner in (False, True):
        scrubber = Scrubber(ner=ner, workers=1)
        for split in splits:
            sets = load(split)
            ids = [f"{name}:{i}" for name in FILES for i, _ in enumerate(sets.get(name, []))]
            texts = [g["text"] for name in FILES for g in sets.get(name, [])]
            results = scrubber.scrub_many([ScrubInput(t) for t in texts])
            out[f"{split}/{'ner' if ner else 'no-ner'}"] = {i: digest(r) for i, r in zip(ids, results, strict=True)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", help="write the digests here")
    group.add_argument("--compare", help="compare with the digests written here")
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    args = parser.parse_args()
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    now = digests(splits)
    if args.write:
        Path(args.write).write_text(json.dumps(now, indent=0), encoding="utf-8")
        print(f"wrote {sum(len(v) for v in now.values())} digests to {args.write}")
        return
    before = json.loads(Path(args.compare).read_text(encoding="utf-8"))
    failed = False
    for config, notes in now.items():
        old = before.get(config)
        if old is None:
            print(f"{config}: not in {args.compare}")
            failed = True
            continue
        differ = sorted(k for k in notes.keys() | old.keys() if notes.get(k) != old.get(k))
        shown = f" ({', '.join(differ[:20])})" if differ and config.startswith("dev/") else ""
        print(f"{config}: {len(notes)} notes, {len(differ)} differ{shown}")
        failed |= bool(differ)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
