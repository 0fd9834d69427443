"""Memory bounded per upload and per hub (issue 17, M3): tables read batch by batch with equal
values shared, oversized cells refused by row, column and rule before they are decoded, distinct
text per bundle capped, and a bounded number of uploads at once per process (503 + Retry-After)."""

import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anonymise import TABLES, open_bundle
from hub.models import Incident
from hub.submissions.parquet_read import MAX_CELL_BYTES
from hub.submissions.validate import Problems, ValidTables, check_rows
from tests.conftest import make_settings
from tests.factories import (
    FakePartner,
    add_agreement,
    add_partner,
    make_tables,
    raw_bundle,
    record_rows,
)
from tests.hubs import HubUnderTest, start_hub

NARRATIVE = ("the worker said the shifts were long and the pay was kept back by the person in charge. " * 45)[:4000]


def _incidents(n: int, narrative: str | None = NARRATIVE, *, distinct: bool = False) -> list[dict[str, Any]]:
    template = record_rows(make_tables(1)["incidents"])[0]
    rows = []
    for i in range(n):
        tag = "".join(chr(97 + (i // 26**k) % 26) for k in range(4))
        text = f"{narrative[:3990]} {tag}" if distinct and narrative else narrative
        rows.append(template | {"incident_pid": f"{template['incident_pid'][:-8]}{i:08x}", "narrative": text})
    return rows


def _bundle(rows: dict[str, list[dict[str, Any]]]) -> bytes:
    partner = FakePartner(org_id="ngo-one", kid="k", private_key=Ed25519PrivateKey.generate())
    return raw_bundle(partner, {t: rows.get(t, []) for t in TABLES})


def test_a_narrative_shared_by_many_incidents_is_held_once() -> None:
    rows = _incidents(20_000)
    assert rows
    assert len({r["narrative"] for r in rows}) == 1
    bundle = open_bundle(_bundle({"incidents": rows}))
    assert len(bundle.tables["incidents.parquet"]) < 2_000_000  # a small file that decodes to 80 MB of text
    problems = Problems()
    tracemalloc.start()
    try:
        tables = check_rows(bundle, problems)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not problems, problems.items[:3]
    assert tables is not None
    assert tables.rows["incidents"] == 20_000
    narratives = tables.columns["incidents"]["narrative"]
    assert len({id(n) for n in narratives}) == 1  # one object, 20,000 references
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB for 20,000 copies of one 4,000-character narrative"


def test_a_cell_over_the_byte_cap_is_refused_by_row_column_and_rule() -> None:
    rows = _incidents(3)
    rows[1]["incident_pid"] = "x" * (MAX_CELL_BYTES + 1)  # a text field with no length rule of its own
    problems = Problems()
    assert check_rows(open_bundle(_bundle({"incidents": rows})), problems) is None
    assert problems.items == [{"table": "incidents", "row": 2, "column": "incident_pid", "rule": "cell_too_large",
                               "message": f"the cell holds more than {MAX_CELL_BYTES} bytes"}]
    assert "xxxx" not in str(problems.items)


def test_a_list_cell_with_too_many_items_is_refused() -> None:
    rows = _incidents(2)
    rows[0]["labour_sectors"] = ["agriculture"] * 65
    problems = Problems()
    assert check_rows(open_bundle(_bundle({"incidents": rows})), problems) is None
    assert [(p["row"], p["column"], p["rule"]) for p in problems.items] == [(1, "labour_sectors", "list_too_long")]


def test_distinct_text_past_the_bundle_budget_is_refused() -> None:
    rows = _incidents(400, distinct=True)  # 400 distinct narratives of 4,000 characters: 1.6 MB
    problems = Problems()
    assert check_rows(open_bundle(_bundle({"incidents": rows})), problems, text_bytes=1024 * 1024) is None
    assert [p["rule"] for p in problems.items] == ["text_limit"]
    assert check_rows(open_bundle(_bundle({"incidents": rows})), Problems(), text_bytes=4 * 1024 * 1024) is not None


def test_a_column_the_schema_lacks_is_never_decoded() -> None:
    rows = [r | {"extra": "y" * (MAX_CELL_BYTES * 2)} for r in _incidents(2)]
    problems = Problems()
    assert check_rows(open_bundle(_bundle({"incidents": rows})), problems) is None
    assert [p["rule"] for p in problems.items] == ["unknown_column"]
    assert problems.items[0]["column"].endswith(", not in the schema)")


@pytest.fixture
def one_slot_hub(sqlite_url: str, tmp_path: Path) -> Any:
    running = start_hub(make_settings(sqlite_url, tmp_path, max_concurrent_ingests=1, ingest_queue_wait_seconds=0))
    yield running
    running.client.close()
    running.app.state.engine.dispose()


def test_uploads_past_the_process_slots_wait_then_get_503(one_slot_hub: HubUnderTest) -> None:
    partner: FakePartner = one_slot_hub.arrange(add_partner, "ngo-one")
    one_slot_hub.arrange(add_agreement, ["ngo-one"])
    bundle = partner.bundle(make_tables(3))
    slots = one_slot_hub.app.state.ingest_slots
    slots.acquire(0)  # another upload is being checked and stored
    try:
        busy = one_slot_hub.upload(partner, bundle)
    finally:
        slots.release()
    assert busy.status_code == 503, busy.text
    assert busy.json()["error"] == "busy"
    assert int(busy.headers["Retry-After"]) >= 1
    assert "Content-Security-Policy" in busy.headers
    assert one_slot_hub.upload(partner, bundle).status_code == 201  # the slot is free again
    assert one_slot_hub.upload(partner, bundle).status_code == 200  # and given back after each upload


def test_ingest_in_chunks_of_whole_incidents_keeps_every_row_once() -> None:
    from hub.submissions.ingest import chunks

    bundle = open_bundle(FakePartner(org_id="ngo-one", kid="k", private_key=Ed25519PrivateKey.generate()).bundle(make_tables(7)))
    tables = check_rows(bundle, Problems())
    assert tables is not None
    assert tables.rows["persons"] > 0
    parts = list(chunks(tables, size=3))
    assert [p.rows["incidents"] for p in parts] == [3, 3, 1]
    for table, columns in tables.columns.items():
        whole = sorted(zip(*columns.values(), strict=True), key=repr)
        joined = sorted((row for p in parts for row in zip(*p.columns[table].values(), strict=True)), key=repr)
        assert joined == whole, table
    for part in parts:  # every child row travels with its incident
        own = set(part.columns["incidents"]["incident_pid"])
        assert all(pid in own for cols in part.columns.values() for pid in cols["incident_pid"])


def test_linking_and_summaries_run_without_the_bundles_decoded_columns(
    hub: HubUnderTest, partner: FakePartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.records import store as records
    from hub.submissions import ingest

    seen: list[ValidTables] = []
    held: list[int] = []
    store, finish = ingest.store, records.finish

    def spy_store(session: Any, tables: ValidTables, *args: Any) -> dict[str, int]:
        seen.append(tables)
        assert tables.columns["incidents"]["incident_pid"]
        return store(session, tables, *args)

    def spy_finish(*args: Any, **kwargs: Any) -> None:
        held.extend(len(values) for tables in seen for columns in tables.columns.values() for values in columns.values())
        finish(*args, **kwargs)

    monkeypatch.setattr(ingest, "store", spy_store)
    monkeypatch.setattr(records, "finish", spy_finish)
    assert hub.upload(partner, partner.bundle(make_tables(4))).status_code == 201
    assert len(seen) == 1
    assert held == []  # every decoded column let go before linking, networks and summaries
    assert hub.counts(Incident)["incidents"] == 4
