"""`msht-hub stats …`: the summary counts the statistics are read from, and the disclosure audits over them."""

import time

import typer

from hub import audit
from hub.cli.context import actor, database, settings
from hub.db import make_engine, make_sessionmaker, session_scope
from hub.records import summaries
from hub.statistics import hidesets, precompute

app = typer.Typer(help="The summary counts the statistics are read from.", no_args_is_help=True)


@app.command("rebuild")
def stats_rebuild() -> None:
    """Recompute every summary count and the repeat-people index from the stored records."""
    with database() as session:
        rows = summaries.rebuild(session)
        cleared = hidesets.clear(session)  # computed from the old rows: the next audits start afresh
        audit.record(session, actor=actor(), action="stats.rebuild", target="stats:summaries", details={"rows": rows})
    typer.echo(f"summaries rebuilt: {rows} rows ({cleared} stored audits cleared)")


@app.command("audit")
def stats_audit() -> None:
    """Run every pending disclosure audit now (what each serving hub's worker does after a change)."""
    with database():
        pass  # checks the database is migrated
    s = settings()
    reader, writer = make_engine(s.database_url, reader=True), make_engine(s.database_url)
    try:
        started = time.perf_counter()
        result = precompute.run_pending(
            lambda: session_scope(make_sessionmaker(reader)), lambda: session_scope(make_sessionmaker(writer)),
        )
        took = time.perf_counter() - started
    finally:
        reader.dispose()
        writer.dispose()
    typer.echo(
        f"disclosure audits: {result.computed} computed, {result.skipped} left to another process, "
        f"{result.up_to_date} already up to date ({took:.1f} s)"
    )
