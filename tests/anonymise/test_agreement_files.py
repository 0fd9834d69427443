"""Agreement files: the published JSON Schema matches the model, the policies load, fixtures fail where they say."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from anonymise import agreement as model
from anonymise.agreement import load_agreement
from anonymise.agreement_check import (
    AgreementInvalid,
    check_agreement_text,
    parse_agreement_checked,
)
from anonymise.agreement_schema import render

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
FIXTURES = ROOT / "tests" / "fixtures" / "agreements"
GOOD = sorted((FIXTURES / "good").glob("*.yaml"))
BAD = sorted((FIXTURES / "bad").glob("*.yaml"))
SHIPPED = sorted(POLICIES.glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (?P<path>\S*) @ (?P<line>\d+)$")


def test_published_schema_matches_the_model() -> None:
    published = (POLICIES / "agreement.schema.json").read_text(encoding="utf-8")
    assert published == render(), "run `python -m anonymise.agreement_schema` and commit the result"


def test_there_are_fixtures_and_policies() -> None:
    assert len(GOOD) >= 2
    assert len(BAD) >= 10
    assert {p.name for p in SHIPPED} >= {"demo.yaml", "pan-london.example.yaml"}


@pytest.mark.parametrize("path", GOOD + SHIPPED, ids=lambda p: p.name)
def test_good_files_validate(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert check_agreement_text(text) == []
    assert parse_agreement_checked(text) == load_agreement(path)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_files_name_the_field_and_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    match = _EXPECT.match(text.splitlines()[0])
    assert match, f"{path.name} must start with '# expect: <path> @ <line>'"
    problems = check_agreement_text(text)
    assert problems, f"{path.name} should not validate"
    assert (match["path"], int(match["line"])) in [(p.path, p.line) for p in problems], problems
    with pytest.raises(AgreementInvalid) as info:
        parse_agreement_checked(text)
    assert f"line {match['line']}" in str(info.value)


def test_problems_never_echo_the_offending_value() -> None:
    text = (FIXTURES / "good" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 1", "version: secret-value-xyz")
    problems = check_agreement_text(text)
    assert [p.path for p in problems] == ["version"]
    assert "secret-value-xyz" not in str(problems)


MODELS: list[type[BaseModel]] = [
    model.Agreement,
    model.Party,
    model.Grant,
    model.ProviderRule,
    model.LocationRules,
    model.DisclosureRules,
    model.LinkageRules,
]


def test_docs_explain_every_field() -> None:
    docs = (ROOT / "docs" / "agreements.md").read_text(encoding="utf-8")
    missing = [
        f"{m.__name__}.{name}" for m in MODELS for name in m.model_fields if f"`{name}`" not in docs
    ]
    assert missing == []
