"""`msht-hub stats …`: the summary counts the statistics are read from."""

import typer

from hub import audit
from hub.cli.context import actor, database
from hub.records import summaries

app = typer.Typer(help="The summary counts the statistics are read from.", no_args_is_help=True)


@app.command("rebuild")
def stats_rebuild() -> None:
    """Recompute every summary count and the repeat-people index from the stored records."""
    with database() as session:
        rows = summaries.rebuild(session)
        audit.record(session, actor=actor(), action="stats.rebuild", target="stats:summaries", details={"rows": rows})
    typer.echo(f"summaries rebuilt: {rows} rows")
