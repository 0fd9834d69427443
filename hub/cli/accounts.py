"""`msht-hub partner …`, `user …` and `audit …`: organisations, accounts, partner keys and the audit log."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from anonymise import PartnerType, ViewerRole
from hub.cli.context import actor, database

partner_app = typer.Typer(help="Organisations, enrolment tokens and partner keys.", no_args_is_help=True)
user_app = typer.Typer(help="Local user accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

# --- partners ---------------------------------------------------------------------------------


@partner_app.command("add-org")
def partner_add_org(
    org_id: Annotated[str, typer.Argument(help="Short id, e.g. lb-newham or ngo-unseen.")],
    name: Annotated[str, typer.Option("--name")],
    kind: Annotated[PartnerType, typer.Option("--kind")],
    gss: Annotated[str | None, typer.Option("--gss", help="The borough's ONS GSS code.")] = None,
) -> None:
    """Add an organisation (a borough with its GSS code, an NGO, health, police, a business)."""
    from hub.partners import service

    with database() as session:
        service.add_org(session, org_id=org_id, name=name, kind=kind, gss_code=gss, actor=actor())
    typer.echo(f"organisation {org_id} added")


@partner_app.command("list")
def partner_list() -> None:
    """List organisations."""
    from hub.partners import service

    with database() as session:
        for org in service.list_orgs(session):
            typer.echo(f"{org.id}\t{org.kind}\t{org.gss_code or '-'}\t{org.status}\t{org.name}")


@partner_app.command("enrol-token")
def partner_enrol_token(
    org: Annotated[str, typer.Argument()],
    ttl_hours: Annotated[int, typer.Option("--ttl-hours", min=1, max=24 * 14)] = 72,
) -> None:
    """Issue a one-time enrolment token for ORG (printed once; only its hash is stored)."""
    from hub.partners import service

    with database() as session:
        token = service.issue_enrolment_token(session, org, actor(), timedelta(hours=ttl_hours))
    typer.echo(token)
    typer.echo(f"one use, valid {ttl_hours} hours: give it to {org} through a separate channel", err=True)


@partner_app.command("keys")
def partner_keys(org: Annotated[str | None, typer.Argument()] = None) -> None:
    """List partner signing keys (all, or ORG's)."""
    from hub.partners import service

    with database() as session:
        for key in service.list_keys(session, org):
            typer.echo(f"{key.kid}\t{key.org_id}\t{key.status}\t{key.created_at:%Y-%m-%d %H:%M}")


@partner_app.command("revoke-key")
def partner_revoke_key(kid: Annotated[str, typer.Argument()]) -> None:
    """Revoke a partner key at once: uploads signed with it are refused."""
    from hub.partners import service

    with database() as session:
        service.revoke_key(session, kid, actor=actor())
    typer.echo(f"key {kid} revoked")


# --- users ------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument()],
    org: Annotated[str, typer.Option("--org")],
    role: Annotated[ViewerRole, typer.Option("--role")],
    display_name: Annotated[str | None, typer.Option("--name", help="Shown in the pages; default the username.")] = None,
    password_file: Annotated[Path | None, typer.Option("--password-file", help="Read the password from this file.")] = None,
    no_password: Annotated[bool, typer.Option("--no-password", help="Sign-in through the identity provider only.")] = False,
) -> None:
    """Add a local account; the password comes from --password-file or a prompt (never the command line)."""
    from hub.partners import service

    password: str | None
    if no_password:
        password = None
    elif password_file is not None:
        password = password_file.read_text(encoding="utf-8").rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with database() as session:
        service.add_user(
            session, username=username, display_name=display_name or username, org_id=org,
            role=role, password=password, actor=actor(),
        )
    typer.echo(f"user {username} added")


@user_app.command("list")
def user_list(org: Annotated[str | None, typer.Option("--org")] = None) -> None:
    """List user accounts."""
    from hub.partners import service

    with database() as session:
        for user in service.list_users(session, org):
            typer.echo(f"{user.username}\t{user.org_id}\t{user.role}\t{user.status}")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument()],
    label: Annotated[str, typer.Option("--label")] = "cli",
    days: Annotated[int, typer.Option("--days", min=1, max=366)] = 90,
) -> None:
    """Create an API bearer token for USERNAME's scripts; printed once, only its hash is kept."""
    from hub.partners import service

    with database() as session:
        token = service.issue_api_token(session, username, label=label, days=days, actor=actor())
    typer.echo(token)


@user_app.command("tokens")
def user_tokens(username: Annotated[str, typer.Argument()]) -> None:
    """List USERNAME's API tokens (ids, labels, dates; never the tokens)."""
    from hub.partners import service

    with database() as session:
        for row in service.list_api_tokens(session, username):
            state = "revoked" if row.revoked_at else "active"
            typer.echo(f"{row.id}\t{row.label}\t{state}\tcreated {row.created_at:%Y-%m-%d}\texpires {row.expires_at:%Y-%m-%d}")


@user_app.command("revoke-token")
def user_revoke_token(token_id: Annotated[int, typer.Argument(help="The id shown by `user tokens`.")]) -> None:
    """Revoke one API token at once."""
    from hub.partners import service

    with database() as session:
        service.revoke_api_token(session, token_id, actor=actor())
    typer.echo(f"API token {token_id} revoked")


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: its sessions and API tokens stop working in every hub process."""
    from hub.models import UserStatus
    from hub.partners import service

    with database() as session:
        service.set_user_status(session, username, UserStatus.disabled, actor=actor())
    typer.echo(f"user {username} disabled")


@user_app.command("enable")
def user_enable(username: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled account again (it signs in afresh; old sessions and tokens stay revoked)."""
    from hub.models import UserStatus
    from hub.partners import service

    with database() as session:
        service.set_user_status(session, username, UserStatus.active, actor=actor())
    typer.echo(f"user {username} enabled")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument()],
    password_file: Annotated[Path | None, typer.Option("--password-file")] = None,
) -> None:
    """Set a new password (from --password-file or a prompt); ends the user's sessions and tokens."""
    from hub.partners import service

    if password_file is not None:
        password = password_file.read_text(encoding="utf-8").rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with database() as session:
        service.set_password(session, username, password, actor=actor())
    typer.echo(f"password of {username} changed")


@partner_app.command("disable-org")
def partner_disable_org(org: Annotated[str, typer.Argument()]) -> None:
    """Disable an organisation: its keys are revoked and its users can no longer sign in."""
    from hub.models import OrgStatus
    from hub.partners import service

    with database() as session:
        service.set_org_status(session, org, OrgStatus.disabled, actor=actor())
    typer.echo(f"organisation {org} disabled")


@partner_app.command("set-contact")
def partner_set_contact(
    org: Annotated[str, typer.Argument()],
    contact: Annotated[str, typer.Argument(help="Name, role and a work phone or email; \"\" clears it.")],
) -> None:
    """Set the named contact another partner sees once it accepts a contact request about an alert (docs/alerts.md)."""
    from hub.alerts import service

    with database() as session:
        service.set_contact(session, org, contact or None, actor=actor())
    typer.echo(f"contact of {org} {'set' if contact else 'cleared'}")


# --- audit ------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 naming the first edited, removed or reordered entry."""
    from hub import audit

    with database() as session:
        report = audit.verify(session)
    if not report.ok:
        typer.echo(f"TAMPERED: {report.problem} (first bad entry {report.first_bad_id}; {report.count} entries verified before it)", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {report.count} entries")


@audit_app.command("tail")
def audit_tail(lines: Annotated[int, typer.Option("-n", "--lines", min=1, max=10_000)] = 20) -> None:
    """Show the newest audit entries, oldest first."""
    from hub import audit

    with database() as session:
        entries = list(reversed(audit.recent(session, limit=lines)))
        for entry in entries:
            row = audit.as_dict(entry)
            providers = ",".join(row["providers"]) or "-"
            typer.echo(f"{row['id']}\t{row['at']}\t{row['actor']}\t{row['action']}\t{row['target']}\t{row['agreement_id'] or '-'}\t{providers}\t{json.dumps(row['details'], sort_keys=True)}")
