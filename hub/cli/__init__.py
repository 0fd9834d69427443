"""`msht-hub`: serve, migrate, and the operator's commands (partners, users, agreements, audit, stats, premises, returns).

The app is assembled here from its command groups, each a module with its own ``typer.Typer``;
nothing registers itself by being imported.
"""

import typer

from hub.cli import accounts, agreements, premises, returns, server, stats

app = typer.Typer(help="The msht-hub service and its operator commands.", no_args_is_help=True)
for command in (server.migrate, server.serve, server.demo, server.keygen, agreements.purge):
    app.command()(command)
app.add_typer(accounts.partner_app, name="partner")
app.add_typer(accounts.user_app, name="user")
app.add_typer(agreements.app, name="agreement")
app.add_typer(accounts.audit_app, name="audit")
app.add_typer(stats.app, name="stats")
app.add_typer(premises.app, name="premises")
app.add_typer(returns.app, name="returns")
