"""Developer helper: write the next dated Alembic migration from the difference between hub/models.py and head."""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from hub.db import alembic_config, migrate


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        migrate(url)  # an empty database at head: autogenerate then sees only what the models added
        config = alembic_config(url)
        head = ScriptDirectory.from_config(config).get_current_head() or "0000"
        command.revision(config, message=message, autogenerate=True, rev_id=f"{int(head) + 1:04d}")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
