"""`prepare`: an export read through its profile, anonymised row by row, written as a signed bundle.

Each step is a module with its own input and output types, driven in order by `run.Pipeline`:
`read` (check the export, read chunks, leave out repeated rows, map through the profile) →
`scrub` (notes, on workers) → `row` (anonymise one row; `locate` for places) → `index` (the
quarter, over every row) → `tables` (records, the agreement's fields, coarsening, k, Parquet) →
`bundle` (privacy report, manifest, the agreement's rules, the signed file).
"""

from partner_client.prepare.party import Party
from partner_client.prepare.quarter import parse_quarter_arg, quarter_bounds
from partner_client.prepare.run import Pipeline, Prepared, Progress

__all__ = ["Party", "Pipeline", "Prepared", "Progress", "parse_quarter_arg", "quarter_bounds"]
