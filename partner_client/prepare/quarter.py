"""The reporting quarter being prepared: read from what the partner typed, and its first and last day."""

from datetime import date

from partner_client.errors import ClientError


def parse_quarter_arg(text: str) -> str:
    """``2026Q3``, ``2026-Q3`` or ``2026 q3`` → ``2026-Q3``; a clear error otherwise.

    >>> parse_quarter_arg("2026q3")
    '2026-Q3'
    """
    cleaned = text.strip().upper().replace(" ", "").replace("-", "")
    if len(cleaned) == 6 and cleaned[:4].isdigit() and cleaned[4] == "Q" and cleaned[5] in "1234":
        return f"{cleaned[:4]}-Q{cleaned[5]}"
    raise ClientError(
        "The quarter is not in the form 2026Q3.", hint="Give the reporting quarter, e.g. --quarter 2026Q3."
    )


def quarter_bounds(quarter: str) -> tuple[date, date]:
    year, q = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def quarter_months(quarter: str) -> tuple[str, str]:
    """The quarter's first and last month as ``YYYY-MM``."""
    first, last = quarter_bounds(quarter)
    return first.strftime("%Y-%m"), last.strftime("%Y-%m")
