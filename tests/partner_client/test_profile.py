"""Mapping profiles: the shipped examples are valid, the JSON Schema matches the model, errors name lines."""

import json
from pathlib import Path

import pytest

from partner_client.errors import ClientError
from partner_client.profile import (
    SCHEMA_FILE,
    TARGETS,
    dump_profile,
    load_profile,
    parse_profile,
    profile_json_schema,
)

PROFILES = sorted((Path(__file__).resolve().parents[2] / "partner_client" / "profiles").glob("*.yaml"))


def test_published_schema_matches_the_model() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == profile_json_schema(), (
        "regenerate with: python -c 'from partner_client.profile import write_schema; write_schema()'"
    )


def test_four_example_profiles_ship_and_are_valid() -> None:
    assert [p.name for p in PROFILES] == [
        "borough_safeguarding.yaml", "hospital_flags.yaml", "ngo_cases.yaml", "police_intel.yaml",
    ]
    for path in PROFILES:
        profile = load_profile(path)
        assert profile.code_problems() == []
        assert parse_profile(dump_profile(profile)) == profile


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("version: '1'\nfields:\n  incident.nonsense: {column: A}\n", 3, "not a field"),
        ("version: '1'\nfields:\n  person.gender:\n    column: Sex\n    values:\n      M: male\n      F: femme\n", 7, "not a code"),
        ("version: '1'\nfields:\n  person.gender: {column: Sex, default: nope}\n", 3, "default"),
        ("version: '1'\nfields:\n  person.role: {}\n", 3, "at least one column"),
        ("version: '1'\nidentifiers:\n  shoe_size: {column: S}\n", 3, "identifiers.shoe_size"),
        ("fields: {}\n", 1, "version"),
        ("version: '1'\nsurprise: 1\n", 2, "surprise"),
    ],
)
def test_errors_name_the_yaml_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ClientError) as info:
        parse_profile(text, source="mine.yaml")
    messages = [p.message for p in info.value.problems]
    assert any(m.startswith(f"line {line}:") and words in m for m in messages), messages


def test_broken_yaml_names_its_line() -> None:
    with pytest.raises(ClientError, match=r"line 3"):
        parse_profile("version: '1'\nfields:\n  a: b: c\n")


def test_every_target_documents_its_kind() -> None:
    assert len(TARGETS) > 10
    for name, target in TARGETS.items():
        assert name.split(".")[0] in {"incident", "person", "referral"}
        assert (target.vocab is not None) == (target.kind in {"code", "codes"})
