"""End to end: four synthetic partners map, prepare, preview, upload and check status against a real
hub; then every byte the hub stored is searched for every identifier in the source exports."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partner_client.cli import app
from partner_client.demo_data import DemoFiles, generate
from tests.hubs import LiveHub, run_hub

PROFILES = Path(__file__).resolve().parents[2] / "partner_client" / "profiles"
LAYOUTS = {
    # partner org id → (demo export, shipped profile)
    "demo-ngo": ("ngo", "ngo_cases.yaml"),
    "lb-newham": ("borough", "borough_safeguarding.yaml"),
    "demo-hospital": ("hospital", "hospital_flags.yaml"),
    "demo-police": ("police", "police_intel.yaml"),
}
MIN_LENGTH = 4
"""Identifiers shorter than this ("Ali", "M") would match unrelated bytes; all longer ones are searched."""

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"msht-client {' '.join(args[:2])} failed:\n{result.output}"
    return result.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate(tmp_path_factory.mktemp("exports"), seed=11, rows=60)


@pytest.fixture(scope="module")
def shared_live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    """One live hub the four partners upload to in turn; each test checks only its own partner's flow
    and that nothing stored so far holds an identifier, which holds in any order."""
    with run_hub(tmp_path_factory.mktemp("hub")) as live:
        yield live


@pytest.fixture(scope="module")
def linkage_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lead") / "linkage.key"
    cli("key", "generate", "--out", str(path))
    return path


def _identifiers(demo: DemoFiles) -> list[tuple[str, str, str]]:
    document: dict[str, list[dict[str, Any]]] = json.loads(demo.identifiers.read_text(encoding="utf-8"))
    found = {
        (file, item["type"], str(item["value"]).strip())
        for file, items in document.items()
        for item in items
        if len(str(item["value"]).strip()) >= MIN_LENGTH
    }
    return sorted(found)


def _note_only_names(demo: DemoFiles) -> list[str]:
    """Names planted in a note that no structured column of any export holds (friends, landlords, controllers)."""
    document: dict[str, list[dict[str, Any]]] = json.loads(demo.identifiers.read_text(encoding="utf-8"))
    in_columns = {
        w for items in document.values() for item in items
        if "note" not in item.get("column", "").lower() and "text" not in item.get("column", "").lower()
        for w in str(item["value"]).lower().split()
    }
    return sorted({
        str(item["value"]) for items in document.values() for item in items
        if item["type"] == "PERSON" and len(str(item["value"])) >= MIN_LENGTH
        and ("note" in item.get("column", "").lower() or "text" in item.get("column", "").lower())
        and not set(str(item["value"]).lower().split()) & in_columns
    })


def _forms(value: str) -> set[str]:
    return {value, json.dumps(value)[1:-1]}


def _pattern(value: str) -> re.Pattern[bytes]:
    """The value as a whole word (so a name inside a longer word is not counted), any case, as stored
    raw or JSON-escaped."""
    forms = _forms(value)
    alternatives = b"|".join(re.escape(f.encode()) for f in forms)
    return re.compile(rb"(?<![A-Za-z0-9])(?:" + alternatives + rb")(?![A-Za-z0-9])", re.IGNORECASE)


_WORD = re.compile(rb"[a-z0-9]+")


def _leaks(hub: LiveHub, identifiers: list[tuple[str, str, str]]) -> list[str]:
    stored = hub.stored_bytes()
    # A cheap index first (every lower-case word of every file), then the exact whole-word search
    # only for identifiers whose every word occurs somewhere.
    words = {path: set(_WORD.findall(data.lower())) for path, data in stored.items()}
    leaks = []
    for file, kind, value in identifiers:
        token_sets = [_WORD.findall(form.lower().encode()) for form in _forms(value)]
        pattern = _pattern(value)
        for path, data in stored.items():
            candidate = any(all(t in words[path] for t in tokens) for tokens in token_sets)
            if candidate and pattern.search(data):
                leaks.append(f"{kind} from {file} in {path.name}")  # the value itself is not printed
    return leaks


@pytest.mark.slow
@pytest.mark.parametrize("partner", list(LAYOUTS))
def test_partner_flow_leaves_no_identifier_at_the_hub(
    partner: str, demo: DemoFiles, shared_live_hub: LiveHub, linkage_key: Path, tmp_path: Path
) -> None:
    kind, profile_name = LAYOUTS[partner]
    export = demo.partner_files[kind]
    home = tmp_path / "client"
    enrolled = cli("init", "--hub", shared_live_hub.url, "--token", shared_live_hub.enrolment_token(partner), "--home", str(home))
    assert "Agreements: demo-" in enrolled  # init fetched the agreement naming this partner
    cli("key", "import", str(linkage_key), "--home", str(home))

    proposed = tmp_path / "proposed.yaml"
    cli("map", str(export), "--profile", str(proposed))
    assert "fields:" in proposed.read_text(encoding="utf-8")
    profile = tmp_path / profile_name
    profile.write_text((PROFILES / profile_name).read_text(encoding="utf-8"), encoding="utf-8")
    assert "fits" in cli("map", str(export), "--profile", str(profile), "--check")

    bundle = tmp_path / "out" / "2026Q3.zip"
    cli(
        "prepare", str(export), "--profile", str(profile), "--quarter", "2026Q3", "--out", str(bundle),
        "--home", str(home),
    )
    assert sorted(p.name for p in bundle.parent.iterdir()) == ["2026Q3.zip", "2026Q3.zip.review.md"]
    lines = cli("preview", str(bundle), "--json").splitlines()
    manifest = json.loads(lines[0])["manifest"]
    assert manifest["partner_id"] == partner
    assert manifest["reporting_period"] == "2026-Q3"
    assert sum(manifest["record_counts"].values()) == len(lines) - 1
    shown = cli("preview", str(bundle))
    assert "Re-identification risk" in shown
    assert "Notes that will leave" in shown
    if partner == "demo-ngo":  # the only partner the demo agreement lets send notes: every one shown in full
        sent = [json.loads(line)["record"].get("narrative") for line in lines[1:]]
        sent = [n for n in sent if n]
        assert sent
        assert f"Notes that will leave ({len(sent)})" in shown

    first = cli("upload", str(bundle), "--home", str(home))
    assert "Receipt signature verified" in first
    again = cli("upload", str(bundle), "--home", str(home))  # safe to repeat: same receipt
    receipt = json.loads(first[first.index("{"):])["receipt"]
    assert json.loads(again[again.index("{"):])["receipt"] == receipt
    status = cli("status", "--home", str(home))
    assert "2026-Q3" in status
    assert "active" in status

    identifiers = _identifiers(demo)
    assert len(identifiers) > 50, "the search below must have identifiers to look for"
    assert any(p.name == "hub.db" for p in shared_live_hub.stored_bytes()), "and stored bytes to look in"
    assert _leaks(shared_live_hub, identifiers) == []


def test_the_leak_search_finds_a_planted_identifier(tmp_path: Path) -> None:
    """The search above must be able to fail: an identifier planted in a stored file is found,
    in any case and JSON-escaped, and a name inside a longer word is not counted."""
    (tmp_path / "hub.db").write_bytes(b'...\x00{"note": "seen with Ren\\u00e9e DAVIES"}...ORGANISATION')
    fake = LiveHub(url="", settings=None, directory=tmp_path)  # type: ignore[arg-type]
    found = _leaks(fake, [("f.csv", "PERSON", "Renée Davies"), ("f.csv", "PERSON", "Anisa"), ("f.csv", "PERSON", "Blerta")])
    assert found == ["PERSON from f.csv in hub.db"]
