"""`msht-hub`: serve, migrate, and the operator's commands (partners, users, agreements, audit)."""

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from anonymise.agreement import ViewerRole
from anonymise.vocab import PartnerType
from hub.config import HubSettings
from hub.db import is_migrated, make_engine, make_sessionmaker
from hub.db import migrate as run_migrations
from hub.errors import HubError, Rejected

app = typer.Typer(help="The msht-hub service and its operator commands.", no_args_is_help=True)
partner_app = typer.Typer(help="Organisations, enrolment tokens and partner keys.", no_args_is_help=True)
user_app = typer.Typer(help="Local user accounts.", no_args_is_help=True)
agreement_app = typer.Typer(help="Data-sharing agreements.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
app.add_typer(user_app, name="user")
app.add_typer(agreement_app, name="agreement")
app.add_typer(audit_app, name="audit")


def settings() -> HubSettings:
    return HubSettings()


@app.command()
def migrate() -> None:
    """Bring the database to the newest migration (the hub refuses to serve an unmigrated one)."""
    s = settings()
    run_migrations(s.database_url)
    typer.echo("database migrated")


@app.command()
def serve(
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Processes; they share state through the database.")] = 1,
) -> None:
    """Serve the hub with uvicorn on MSHT_HOST:MSHT_PORT."""
    import uvicorn

    from hub.main import create_app

    s = settings()
    if workers == 1:
        uvicorn.run(create_app(s), host=s.host, port=s.port, log_level="info")
    else:  # each worker process builds its own app from the same environment
        uvicorn.run("hub.main:from_environment", factory=True, workers=workers, host=s.host, port=s.port, log_level="info")


# --- shared helpers for operator commands ------------------------------------------------------


@contextmanager
def _db() -> Iterator[Session]:
    """One transaction against the configured, migrated database; domain errors end the command."""
    s = settings()
    engine = make_engine(s.database_url)
    try:
        if not is_migrated(engine):
            typer.echo("the database is not at the newest migration: run `msht-hub migrate`", err=True)
            raise typer.Exit(2)
        try:
            with from_session(make_sessionmaker(engine)) as session:
                yield session
        except HubError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@contextmanager
def from_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@app.command()
def demo(
    check: Annotated[bool, typer.Option("--check", help="Exit 0 once the pages answer, instead of serving.")] = False,
    port: Annotated[int, typer.Option("--port", help="Loopback port for the demo hub.")] = 8000,
    rows: Annotated[int, typer.Option("--rows", min=20, help="Rows in each synthetic export.")] = 300,
    workdir: Annotated[Path, typer.Option("--workdir", help="Where the demo keeps everything (wiped first).")] = Path("var/demo"),
) -> None:
    """Run the whole job on the embedded default: SQLite hub, demo agreement, four synthetic partners uploading."""
    from hub.demo import run

    run(workdir=workdir, port=port, rows=rows, check=check)


@app.command()
def keygen(directory: Annotated[Path, typer.Option("--dir", help="Where to write the three secret files.")]) -> None:
    """Create the hub's secrets (pseudonym key, session key, Ed25519 signing key) as 0600 files."""
    from hub.secrets import write_secret_file, write_signing_key

    directory.mkdir(parents=True, exist_ok=True)
    targets = {"pseudonym.key": "MSHT_PSEUDONYM_KEY_FILE", "session.key": "MSHT_SESSION_KEY_FILE", "signing.pem": "MSHT_SIGNING_KEY_FILE"}
    if any((directory / name).exists() for name in targets):
        typer.echo(f"error: {directory} already holds hub secrets; they are never overwritten", err=True)
        raise typer.Exit(1)
    write_secret_file(directory / "pseudonym.key")
    write_secret_file(directory / "session.key")
    write_signing_key(directory / "signing.pem")
    typer.echo("created; point the hub at them with:")
    for name, env in targets.items():
        typer.echo(f"  {env}={(directory / name).resolve()}")
    typer.echo("Back up the pseudonym key: without it, stored pseudonyms can never be matched again.")


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

    with _db() as session:
        service.add_org(session, org_id=org_id, name=name, kind=kind, gss_code=gss, actor=_actor())
    typer.echo(f"organisation {org_id} added")


@partner_app.command("list")
def partner_list() -> None:
    """List organisations."""
    from hub.partners import service

    with _db() as session:
        for org in service.list_orgs(session):
            typer.echo(f"{org.id}\t{org.kind}\t{org.gss_code or '-'}\t{org.status}\t{org.name}")


@partner_app.command("enrol-token")
def partner_enrol_token(
    org: Annotated[str, typer.Argument()],
    ttl_hours: Annotated[int, typer.Option("--ttl-hours", min=1, max=24 * 14)] = 72,
) -> None:
    """Issue a one-time enrolment token for ORG (printed once; only its hash is stored)."""
    from hub.partners import service

    with _db() as session:
        token = service.issue_enrolment_token(session, org, _actor(), timedelta(hours=ttl_hours))
    typer.echo(token)
    typer.echo(f"one use, valid {ttl_hours} hours: give it to {org} through a separate channel", err=True)


@partner_app.command("keys")
def partner_keys(org: Annotated[str | None, typer.Argument()] = None) -> None:
    """List partner signing keys (all, or ORG's)."""
    from hub.partners import service

    with _db() as session:
        for key in service.list_keys(session, org):
            typer.echo(f"{key.kid}\t{key.org_id}\t{key.status}\t{key.created_at:%Y-%m-%d %H:%M}")


@partner_app.command("revoke-key")
def partner_revoke_key(kid: Annotated[str, typer.Argument()]) -> None:
    """Revoke a partner key at once: uploads signed with it are refused."""
    from hub.partners import service

    with _db() as session:
        service.revoke_key(session, kid, actor=_actor())
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
    with _db() as session:
        service.add_user(
            session, username=username, display_name=display_name or username, org_id=org,
            role=role, password=password, actor=_actor(),
        )
    typer.echo(f"user {username} added")


@user_app.command("list")
def user_list(org: Annotated[str | None, typer.Option("--org")] = None) -> None:
    """List user accounts."""
    from hub.partners import service

    with _db() as session:
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

    with _db() as session:
        token = service.issue_api_token(session, username, label=label, days=days, actor=_actor())
    typer.echo(token)


@user_app.command("tokens")
def user_tokens(username: Annotated[str, typer.Argument()]) -> None:
    """List USERNAME's API tokens (ids, labels, dates; never the tokens)."""
    from hub.partners import service

    with _db() as session:
        for row in service.list_api_tokens(session, username):
            state = "revoked" if row.revoked_at else "active"
            typer.echo(f"{row.id}\t{row.label}\t{state}\tcreated {row.created_at:%Y-%m-%d}\texpires {row.expires_at:%Y-%m-%d}")


@user_app.command("revoke-token")
def user_revoke_token(token_id: Annotated[int, typer.Argument(help="The id shown by `user tokens`.")]) -> None:
    """Revoke one API token at once."""
    from hub.partners import service

    with _db() as session:
        service.revoke_api_token(session, token_id, actor=_actor())
    typer.echo(f"API token {token_id} revoked")


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: its sessions and API tokens stop working in every hub process."""
    from hub.models import UserStatus
    from hub.partners import service

    with _db() as session:
        service.set_user_status(session, username, UserStatus.disabled, actor=_actor())
    typer.echo(f"user {username} disabled")


@user_app.command("enable")
def user_enable(username: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled account again (it signs in afresh; old sessions and tokens stay revoked)."""
    from hub.models import UserStatus
    from hub.partners import service

    with _db() as session:
        service.set_user_status(session, username, UserStatus.active, actor=_actor())
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
    with _db() as session:
        service.set_password(session, username, password, actor=_actor())
    typer.echo(f"password of {username} changed")


@partner_app.command("disable-org")
def partner_disable_org(org: Annotated[str, typer.Argument()]) -> None:
    """Disable an organisation: its keys are revoked and its users can no longer sign in."""
    from hub.models import OrgStatus
    from hub.partners import service

    with _db() as session:
        service.set_org_status(session, org, OrgStatus.disabled, actor=_actor())
    typer.echo(f"organisation {org} disabled")


# --- audit ------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 naming the first edited, removed or reordered entry."""
    from hub import audit

    with _db() as session:
        report = audit.verify(session)
    if not report.ok:
        typer.echo(f"TAMPERED: {report.problem} (first bad entry {report.first_bad_id}; {report.count} entries verified before it)", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {report.count} entries")


@audit_app.command("tail")
def audit_tail(lines: Annotated[int, typer.Option("-n", "--lines", min=1, max=10_000)] = 20) -> None:
    """Show the newest audit entries, oldest first."""
    from hub import audit

    with _db() as session:
        entries = list(reversed(audit.recent(session, limit=lines)))
        for entry in entries:
            row = audit.as_dict(entry)
            providers = ",".join(row["providers"]) or "-"
            typer.echo(f"{row['id']}\t{row['at']}\t{row['actor']}\t{row['action']}\t{row['target']}\t{row['agreement_id'] or '-'}\t{providers}\t{json.dumps(row['details'], sort_keys=True)}")


# --- agreements and retention (hub.agreements) --------------------------------------------------


@agreement_app.command("load")
def agreement_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Validate FILE and store it as a new version (its version must be higher than every stored one)."""
    from hub.agreements import service

    text = file.read_text(encoding="utf-8")
    with _db() as session:
        try:
            agreement = service.load_version(session, text, actor=_actor())
        except Rejected as exc:
            for problem in exc.problems:
                where = f"line {problem['line']}, " if problem["line"] is not None else ""
                typer.echo(f"{file}: {where}{problem['path'] or '(document)'}: {problem['rule']}", err=True)
            raise
    typer.echo(f"loaded {agreement.id} version {agreement.version} ({agreement.status.value})")
    if agreement.demo and not settings().demo:
        typer.echo(
            "WARNING: this is a demo agreement: uploads under it are refused unless MSHT_DEMO=true", err=True
        )


@agreement_app.command("validate")
def agreement_validate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Check FILE without storing it; each problem is printed with its line and field path."""
    from anonymise.agreement_check import check_agreement_text

    problems = check_agreement_text(file.read_text(encoding="utf-8"))
    for problem in problems:
        typer.echo(f"{file}:{problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: valid")


@agreement_app.command("list")
def agreement_list() -> None:
    """Every agreement's current version: id, version, status, validity, title."""
    from hub.agreements import service

    with _db() as session:
        for a in service.current_agreements(session):
            demo = " [demo]" if a.demo else ""
            typer.echo(f"{a.id}\tv{a.version}\t{a.status.value}\t{a.valid_from}..{a.valid_until}\t{a.title}{demo}")


@agreement_app.command("show")
def agreement_show(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    version: Annotated[int | None, typer.Option("--version", min=1, help="A stored version (default: current).")] = None,
    history: Annotated[bool, typer.Option("--history", help="List every version instead.")] = False,
) -> None:
    """Print an agreement's YAML (current version, or --version N), or its version history."""
    from hub.agreements import service

    with _db() as session:
        rows = service.versions(session, agreement_id)
        if not rows:
            typer.echo(f"error: no agreement {agreement_id}", err=True)
            raise typer.Exit(1)
        if history:
            for row in rows:
                typer.echo(f"v{row.version}\t{row.status}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.created_by}\t{row.sha256}")
            return
        row = rows[0] if version is None else service.version_row(session, agreement_id, version)
        typer.echo(row.document, nl=not row.document.endswith("\n"))


def _set_status(agreement_id: str, status: str) -> None:
    from hub.agreements import service

    with _db() as session:
        agreement = service.set_status(session, agreement_id, status, actor=_actor())
    typer.echo(f"{agreement.id} is now {agreement.status.value} (version {agreement.version})")


@agreement_app.command("activate")
def agreement_activate(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Make ID active (a new version); its providers' records count again at once."""
    _set_status(agreement_id, "active")


@agreement_app.command("suspend")
def agreement_suspend(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Suspend ID (a new version): its records leave every view at once; uploads are refused."""
    _set_status(agreement_id, "suspended")


@agreement_app.command("revoke")
def agreement_revoke(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke ID for good (a new version): its records leave every view at once."""
    _set_status(agreement_id, "revoked")


@agreement_app.command("diff")
def agreement_diff(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    v1: Annotated[int, typer.Argument(min=1)],
    v2: Annotated[int, typer.Argument(min=1)],
) -> None:
    """Unified diff of versions V1 and V2 of ID."""
    from hub.agreements import service

    with _db() as session:
        text = service.diff(session, agreement_id, v1, v2)
    typer.echo(text or "(no difference)", nl=not text.endswith("\n"))


@app.command()
def purge() -> None:
    """Delete records past their agreement's retention period now (also runs daily while serving)."""
    from datetime import UTC, datetime

    from hub.agreements import service

    with _db() as session:
        counts = service.purge_expired_records(session, datetime.now(UTC).date(), actor=_actor())
    typer.echo("purged " + ", ".join(f"{n} {name}" for name, n in counts.items()))
