"""`msht-hub premises …`: the public premises register whose counts are the premises indicators' denominators."""

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.context import actor, database
from hub.premises import service

app = typer.Typer(help="The public premises register (counts of premises per borough and type).", no_args_is_help=True)


@app.command("import")
def premises_import(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True, help="FSA food hygiene rating XML files (one per local authority)")],
) -> None:
    """Replace the register counts with those of FSA FHRS open data files; no business name or address is kept."""
    with database() as session:
        read = service.import_register(session, files, actor=actor())
    kept = sum(read.counts.values())
    typer.echo(
        f"premises register imported: {read.read} establishments read, {kept} counted in "
        f"{len(read.counts)} (borough, type) counts; {read.outside_london} outside London, "
        f"{read.other_types} of types without an indicator"
    )
