"""Narratives re-checked at the hub (issue 17, M1): the scrubber's detectors on normalised text;
a bundle with an identifier left in a narrative is refused whole, naming row, column and rule."""

from typing import Any

import pytest

from anonymise.narrative_check import leaks
from tests.factories import FakePartner, raw_bundle
from tests.hub.submissions.test_ingest import nothing_stored, rows_of
from tests.hubs import HubUnderTest

PROBES = [  # the attack's twelve: eight the hub once stored verbatim, four it already refused
    "Jane Okafor was moved between two addresses.",
    "Seen near E15\u00a01AA late at night.",
    "Kept at a house near \uff25\uff11\uff15 \uff11\uff21\uff21 for a month.",
    "Called the worker on 07700.900.123 twice.",
    "Her phone was 07700\u00a0900\u00a0123 until June.",
    "Write to jane dot okafor at example dot com for the rota.",
    "She said she was born 3 March 1990 in Lagos.",
    "The passport AB1234567 was held by the boss.",
    "Email jane.okafor@example.com was used.",
    "Phone 07700 900123 was found in the van.",
    "Found at E15 1AA by the night shift.",
    "Arrived on 1990-03-03 with two others.",
]
CLEAN = [
    "<PERSON_1> was moved to a car wash in <LOCATION_1>; worked 7 days a week.",
    "The council and police visited the premises twice in March.",
    "Recruited online with a promise of work in hospitality.",
]


def test_there_are_twelve_probes() -> None:
    assert len(PROBES) == 12


@pytest.mark.parametrize("probe", PROBES)
def test_every_probe_is_found(probe: str) -> None:
    assert leaks(probe)


@pytest.mark.parametrize("text", CLEAN)
def test_scrubbed_narratives_pass(text: str) -> None:
    assert leaks(text) == []


@pytest.mark.parametrize("position", range(len(PROBES)))
def test_a_bundle_with_an_identifier_left_in_a_narrative_is_refused_whole(
    hub: HubUnderTest, partner: FakePartner, position: int
) -> None:
    rows = rows_of(3)
    for row, text in zip(rows["incidents"], CLEAN, strict=True):
        row["narrative"] = text
    rows["incidents"][1]["narrative"] = PROBES[position]
    response = hub.upload(partner, raw_bundle(partner, rows))
    assert response.status_code == 422, response.text
    problems: list[dict[str, Any]] = response.json()["problems"]
    assert [(p["table"], p["row"], p["column"]) for p in problems] == [("incidents", 2, "narrative")]
    assert problems[0]["rule"].startswith("narrative_")
    for word in PROBES[position].split():
        if any(c.isdigit() for c in word) or "@" in word:
            assert word not in response.text
    assert nothing_stored(hub)
