"""The operator's submissions grid: received, late, superseded, missing and due, from metadata only."""

from datetime import UTC, date, datetime
from pathlib import Path

from anonymise.agreement import parse_agreement
from hub.models import Submission
from hub.returns.grid import build_grid, recent_quarters

DEMO = (Path(__file__).resolve().parents[3] / "policies" / "demo.yaml").read_text(encoding="utf-8")


def _sub(sid: str, org: str, status: str, received: datetime) -> Submission:
    return Submission(
        id=sid,
        org_id=org,
        agreement_id="demo-london",
        agreement_version=1,
        quarter="2026-Q1",
        status=status,
        received_at=received,
        record_counts={},
    )


def test_grid_states() -> None:
    today = date(2026, 5, 20)  # 2026-Q1's deadline (30 April) has passed; 2026-Q2 is current
    subs = [
        _sub("s0", "demo-ngo", "superseded", datetime(2026, 4, 2, tzinfo=UTC)),
        _sub("s1", "demo-ngo", "active", datetime(2026, 4, 10, tzinfo=UTC)),
        _sub("s2", "demo-police", "active", datetime(2026, 5, 10, tzinfo=UTC)),
        _sub("s3", "lb-newham", "withdrawn", datetime(2026, 4, 3, tzinfo=UTC)),
    ]
    grid = build_grid([parse_agreement(DEMO)], subs, today)
    assert grid.quarters == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert grid.current == "2026-Q2"
    cells = {row.org_id: [c.state for c in row.cells] for row in grid.rows}
    assert cells == {
        "demo-ngo": ["missing"] * 4 + ["received", "due"],
        "lb-newham": ["missing"] * 4 + ["withdrawn", "due"],
        "demo-hospital": ["missing"] * 4 + ["missing", "due"],
        "demo-police": ["missing"] * 4 + ["late", "due"],
    }
    ngo = next(r for r in grid.rows if r.org_id == "demo-ngo")
    assert ngo.cells[-2].label == "received (supersedes 1)"
    assert {r.org_id for r in grid.missing_now()} == {"demo-hospital"}


def test_quarters_outside_the_agreement_are_not_covered() -> None:
    agreement = parse_agreement(DEMO.replace("valid_from: 2024-01-01", "valid_from: 2026-01-01"))
    grid = build_grid([agreement], [], date(2026, 5, 20))
    assert [c.state for c in grid.rows[0].cells] == ["not_covered"] * 4 + ["missing", "due"]
    assert recent_quarters(date(2026, 1, 1), 2) == ["2025-Q4", "2026-Q1"]


def test_due_dates_come_from_the_agreement() -> None:
    subs = [_sub("s2", "demo-police", "active", datetime(2026, 5, 10, tzinfo=UTC))]
    default = build_grid([parse_agreement(DEMO)], subs, date(2026, 5, 20))
    police = next(r for r in default.rows if r.org_id == "demo-police")
    assert police.due_days == 30
    assert police.cells[-2].state == "late"  # 10 May is after 30 April
    assert police.cells[-1].label == "due 30 Jul 2026"  # 2026-Q2 ends 30 June
    longer = parse_agreement(DEMO + "returns_due_days: 45\n")
    grid = build_grid([longer], subs, date(2026, 5, 14))
    police = next(r for r in grid.rows if r.org_id == "demo-police")
    assert police.due_days == 45
    assert police.cells[-2].state == "received"  # due 15 May
    assert police.cells[-2].due == date(2026, 5, 15)
    ngo = next(r for r in grid.rows if r.org_id == "demo-ngo")
    assert ngo.cells[-2].state == "due", "not missing before the agreement's due date"
    assert ngo.cells[-2].label == "due 15 May 2026"
