"""Whether a speed change left the scrubber's output unchanged: every dev note through this tree and a git revision, compared.

Run: .venv/bin/python bench/scrub_identical.py [--rev origin/main] [--ner both|on|off] [--split dev|test|both]

Each tree scrubs every note of the dev split (bench/eval/dev; ``--split test`` or ``both`` adds the
test split, whose notes are compared and counted but never shown) in its own
process, once with NER and once without; the text, the entities (type, offsets, rule) and the
drop reason of every note must be equal. The other revision is checked out with ``git worktree``
into a temporary directory and runs with this tree's virtual environment. It prints counts and
the indices of differing notes, never their text.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_DUMP = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/bench/eval")
import score
from pathlib import Path
from anonymise.scrub import Scrubber, ScrubInput
texts = []
for name in ("notes_a", "notes_b", "notes_c", "notes_d", "notes_e", "notes_f", "templates"):
    path = Path(sys.argv[2]) / f"{name}.jsonl"
    if path.exists():
        texts += [g["text"] for g in score.load(str(path))]
scrubber = Scrubber(ner=sys.argv[3] == "on")
out = [[r.text, [[e.type, e.start, e.end, e.rule] for e in r.entities], r.dropped]
       for r in scrubber.scrub_many([ScrubInput(t) for t in texts])]
json.dump(out, sys.stdout)
"""


def dump(tree: Path, ner: str, split: str) -> list[object]:
    dev = ROOT / "bench" / "eval" / split
    result = subprocess.run(  # our own interpreter on our own script
        [sys.executable, "-c", _DUMP, str(tree), str(dev), ner], capture_output=True, text=True, check=True, cwd=tree
    )
    answer = json.loads(result.stdout)
    assert isinstance(answer, list)
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="origin/main")
    parser.add_argument("--ner", choices=("both", "on", "off"), default="both")
    parser.add_argument("--split", choices=("dev", "test", "both"), default="dev")
    args = parser.parse_args()
    modes = ("off", "on") if args.ner == "both" else (args.ner,)
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(["git", "worktree", "add", "--detach", str(other), args.rev], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            same = True
            for split in splits:
                for ner in modes:
                    ours, theirs = dump(ROOT, ner, split), dump(other, ner, split)
                    if not ours:
                        raise SystemExit(f"no {split} notes found")
                    differ = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
                    print(f"NER {ner}: {len(ours)} {split} notes, {len(differ)} differ" + (f" (indices {differ[:20]})" if differ else ""))
                    same = same and not differ
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=True)
    raise SystemExit(0 if same else 1)


if __name__ == "__main__":
    main()
