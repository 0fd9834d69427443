"""`msht-client`: the partner's commands, from CSV export to signed quarterly upload."""

import typer

app = typer.Typer(
    help="Prepare, review and upload anonymised quarterly data to an msht-hub.", no_args_is_help=True
)
key_app = typer.Typer(help="The agreement's linkage key (never printed; fingerprint only).", no_args_is_help=True)
app.add_typer(key_app, name="key")

from partner_client.commands import register  # noqa: E402 - commands register onto the apps above

register(app, key_app)

from partner_client.demo_data.command import demo_data  # noqa: E402 - registered like the commands above

app.command("demo-data")(demo_data)

from partner_client.scrub_cmd import scrub  # noqa: E402 - registered like the commands above

app.command("scrub")(scrub)

from partner_client.alerts_cmd import alerts_app  # noqa: E402 - registered like the commands above

app.add_typer(alerts_app, name="alerts")
