"""`prepare`: an export read through its profile, anonymised row by row, checked whole and written as a signed bundle."""

from partner_client.prepare.run import (
    Party,
    Pipeline,
    Prepared,
    Progress,
    parse_quarter_arg,
    quarter_bounds,
)

__all__ = ["Party", "Pipeline", "Prepared", "Progress", "parse_quarter_arg", "quarter_bounds"]
