"""Founding-phase helper: regenerate the single initial migration from hub/models.py."""

import tempfile
from pathlib import Path

from alembic import command

from hub.db import ROOT, alembic_config, migrate

VERSIONS = ROOT / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("*_initial*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        migrate(url)  # nothing to apply once the old file is gone
        command.revision(alembic_config(url), message="initial", autogenerate=True, rev_id="0001")


if __name__ == "__main__":
    main()
