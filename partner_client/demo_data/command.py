"""The ``msht-client demo-data`` command: write the four synthetic partner exports."""

from pathlib import Path
from typing import Annotated

import typer

from partner_client.demo_data.generate import generate


def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the files into (created if missing).")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 7,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Rows in each partner export.")] = 400,
    quarter: Annotated[str, typer.Option("--quarter", help="Quarter the exports cover, e.g. 2026Q3.")] = "2026-Q3",
) -> None:
    """Write four fictional partner exports (NGO, borough, hospital, police), a postcode lookup and ground truth."""
    try:
        files = generate(out, seed=seed, rows=rows, quarter=quarter)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    for kind, path in files.partner_files.items():
        typer.echo(f"{kind:<9} {path}")
    typer.echo(f"postcodes {files.postcodes}")
    typer.echo(f"truth     {files.ground_truth}")
    typer.echo(f"          {files.identifiers}")
    typer.echo("All names, numbers and postcodes are fictional.")
