"""`msht-client scrub`: JSON Lines in, one JSON line out per input, in order; bad lines named, never echoed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anonymise.nlp import ner_model_installed
from partner_client.cli import app

runner = CliRunner()


def _run(lines: list[str], *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = runner.invoke(app, ["scrub", "--no-ner", *args], input="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, out, result.stderr


def test_scrubs_in_order_with_offsets_into_the_input() -> None:
    texts = [
        {"text": "Anna Kovács rang 07700 900123 from E1 6AN.", "known": ["Kovacs, Anna"]},
        {"text": "Mr Hoxha drove her to a nail bar in Newham."},
        {"text": "Nothing to remove: Albanian, county lines."},
    ]
    code, out, err = _run([json.dumps(t, ensure_ascii=False) for t in texts])
    assert code == 0
    assert [o["text"] for o in out] == [
        "<PERSON_1> rang <PHONE_1> from <POSTCODE_1>.",
        "Mr <PERSON_1> drove her to a nail bar in Newham.",
        "Nothing to remove: Albanian, county lines.",
    ]
    first = texts[0]["text"]
    assert isinstance(first, str)
    spans = [(e["type"], first[e["start"] : e["end"]]) for e in out[0]["entities"]]  # type: ignore[attr-defined,index]
    assert spans == [("PERSON", "Anna Kovács"), ("PHONE", "07700 900123"), ("POSTCODE", "E1 6AN")]
    assert "may be missed" in err


def test_bad_lines_are_named_by_number_and_never_echoed() -> None:
    lines = [
        json.dumps({"text": "ok 07700 900123"}),
        "Anna Secretname 07700 900123 not json",
        json.dumps({"text": 12}),
        json.dumps({"text": "fine", "known": "Anna Secretname"}),
        json.dumps(["Anna Secretname"]),
        "",
        json.dumps({"text": "last"}),
    ]
    code, out, err = _run(lines)
    assert code == 1
    assert len(out) == 6  # one per non-blank input line, in order
    assert out[0]["text"] == "ok <PHONE_1>"
    assert out[1] == {"error": "line 2: not valid JSON (Expecting value at column 1)"}
    assert out[2] == {"error": 'line 3: "text" is missing or not a string'}
    assert out[3] == {"error": 'line 4: "known" must be a list of strings'}
    assert str(out[4]["error"]).startswith("line 5: expected an object")
    assert out[5]["text"] == "last"
    assert "Secretname" not in err
    assert "Secretname" not in json.dumps(out)
    assert "line 2" in err


def test_invalid_utf8_is_named() -> None:
    result = runner.invoke(app, ["scrub", "--no-ner"], input=b'{"text": "caf\xe9"}\n')
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": "line 1: not UTF-8 (byte 14)"}


def test_dropped_texts_say_why() -> None:
    code, out, _ = _run([json.dumps({"text": "word " * 1000})])
    assert code == 1
    assert out[0]["text"] is None
    assert out[0]["dropped"] == "longer than 4000 characters after scrubbing"


def test_missing_model_is_a_clear_error() -> None:
    result = runner.invoke(app, ["scrub", "--ner", "--model", "no_such_spacy_pipeline"], input="{}\n")
    assert result.exit_code == 2
    assert "no_such_spacy_pipeline" in result.stderr
    assert "not installed" in result.stderr


def test_registered_in_help() -> None:
    assert "scrub" in runner.invoke(app, ["--help"]).stdout


@pytest.mark.ner
@pytest.mark.slow
def test_console_script_with_ner() -> None:
    if not ner_model_installed():
        pytest.skip("the ner extra's spaCy pipeline is not installed")
    line = json.dumps({"text": "She was brought by Elena Dragomir to Croydon.", "known": []})
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "msht-client"), "scrub", "--ner"],
        input=line + "\n", capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["text"] == "She was brought by <PERSON_1> to Croydon."
    assert proc.stderr == ""
