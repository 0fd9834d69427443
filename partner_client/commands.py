"""The partner's commands (init, key, map, prepare, preview, upload, status, withdraw, ui), registered in cli.py."""

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from anonymise.keys import generate_linkage_key
from partner_client import session as client_session
from partner_client.config import ClientSettings, write_private
from partner_client.console import console, echo_json, guarded, install_excepthook, show_problem
from partner_client.errors import ClientError
from partner_client.keystore import import_linkage_key, load_linkage_key
from partner_client.mapping import check, propose
from partner_client.prepare import parse_quarter_arg
from partner_client.preview import json_lines, notes, pieces, read_bundle
from partner_client.profile import dump_profile, load_profile
from partner_client.returns import owed
from partner_client.review import review_lines
from partner_client.upload import Hub

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="State directory (default ~/.config/msht-client or MSHT_CLIENT_HOME).", show_default=False),
]
DemoOpt = Annotated[bool, typer.Option("--demo", help="Synthetic data only: allow the public demo linkage key.")]


def settings_for(home: Path | None, demo: bool = False) -> ClientSettings:
    overrides: dict[str, object] = {}
    if home is not None:
        overrides["home"] = home
    if demo:
        overrides["demo"] = True
    return ClientSettings(**overrides)  # type: ignore[arg-type]


@guarded
def init(
    hub: Annotated[str, typer.Option("--hub", help="The hub's address, e.g. https://hub.example.org.")],
    token: Annotated[str, typer.Option("--token", help="The one-time enrolment token from your hub operator.")],
    home: HomeOpt = None,
) -> None:
    """Enrol this machine: make a signing key here, register it with the hub, fetch your agreements."""
    settings = settings_for(home)
    state, agreements = client_session.enrol_and_fetch(settings, hub, token)
    console.print(f"✓ Enrolled as [bold]{state.org_id}[/bold] (key {state.kid}) with {state.hub_url}")
    console.print(f"  Your signing key and settings are in {settings.home} (readable by you only).")
    if agreements:
        console.print(f"  Agreements: {', '.join(agreements)}")
    else:
        console.print("  No agreement could be fetched yet; prepare with --agreement FILE from your hub operator.")


@guarded
def key_import(
    file: Annotated[Path, typer.Argument(help="The linkage key file you received for the agreement.")],
    version: Annotated[int, typer.Option("--version", min=1, help="The key version the agreement names.")] = 1,
    home: HomeOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Import the agreement's linkage key (kept 0600; only its fingerprint is ever shown)."""
    key = import_linkage_key(settings_for(home, demo), file, version)
    console.print(f"✓ Linkage key version {key.version} imported; fingerprint {key.fingerprint()}")
    console.print("  Compare the fingerprint with your agreement's lead partner; you may now delete the file you imported.")


@guarded
def key_show(home: HomeOpt = None, demo: DemoOpt = False) -> None:
    """Show the linkage key's version and fingerprint (never the key)."""
    key = load_linkage_key(settings_for(home, demo))
    console.print(f"Linkage key version {key.version}, fingerprint {key.fingerprint()}")


@guarded
def key_generate(
    out: Annotated[Path, typer.Option("--out", help="Where to write the new key (0600).")],
) -> None:
    """Generate a new linkage key for an agreement's lead partner to share with the other providers."""
    if out.exists():
        raise ClientError(f"{out} exists already.", hint="Choose another file name; keys are never overwritten.")
    write_private(out, generate_linkage_key().hex().encode() + b"\n")
    console.print(f"✓ New linkage key written to {out}. Hand it to the other providers outside the hub.")


@guarded
def map_(
    csv: Annotated[Path, typer.Argument(help="The CSV export.")],
    profile: Annotated[Path | None, typer.Option("--profile", help="Profile to write (or to check with --check).")] = None,
    check_only: Annotated[bool, typer.Option("--check", help="Validate --profile against the file instead.")] = False,
) -> None:
    """Propose a mapping profile from an export's headers and values, or check one against it."""
    if check_only:
        if profile is None:
            raise ClientError("--check needs --profile FILE.", hint="msht-client map export.csv --profile mine.yaml --check")
        problems = check(load_profile(profile), csv)
        for problem in problems.items:
            show_problem(problem, console)
        for (rule, column), n in problems.overflow().items():
            console.print(f"  … and {n} more '{rule}' in column '{column}'")
        if problems.errors:
            console.print(f"✗ {len(problems.errors)} problem(s): fix the profile or the export, then check again.")
            raise typer.Exit(1)
        console.print(f"✓ {profile.name} fits {csv.name}" + (f" ({len(problems.warnings)} warning(s))" if problems.warnings else ""))
        return
    proposal = propose(csv)
    table = Table(title=f"Proposed mapping for {csv.name}")
    table.add_column("column")
    table.add_column("→ field")
    table.add_column("sure")
    for column, (target, score) in proposal.columns.items():
        label = f"identifier: {target[3:]} (pseudonyms/scrubbing only)" if target.startswith("id:") else target
        table.add_row(column, label, f"{score:.0%}")
    for column in proposal.unmatched:
        table.add_row(column, "[dim]not mapped (left out)[/dim]", "")
    console.print(table)
    for target, guesses in proposal.value_guesses.items():
        unsure = [v for v, (_, s) in guesses.items() if s < 0.8]
        if unsure:
            console.print(f"  check the values mapped for {target}: {len(unsure)} guessed with low confidence")
    text = dump_profile(proposal.profile)
    if profile is None:
        typer.echo(text)
    else:
        if profile.exists():
            raise ClientError(f"{profile} exists already.", hint="Choose another name or add --check to validate it.")
        profile.write_text(text, encoding="utf-8")
        console.print(f"✓ Profile written to {profile}. Read it through, correct it, then run with --check.")


@guarded
def prepare(
    csv: Annotated[Path, typer.Argument(help="The CSV export.")],
    profile: Annotated[Path, typer.Option("--profile", help="The mapping profile (YAML).")],
    quarter: Annotated[str, typer.Option("--quarter", help="Reporting quarter, e.g. 2026Q3.")],
    out: Annotated[Path, typer.Option("--out", help="Bundle file to write (e.g. 2026Q3.msht.zip).")],
    agreement: Annotated[Path | None, typer.Option("--agreement", help="Agreement file (default: the one fetched at init).")] = None,
    no_ner: Annotated[bool, typer.Option("--no-ner", help="Skip spaCy name detection (faster, may miss names).")] = False,
    home: HomeOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Map, anonymise and sign an export into a bundle, with a review report beside it."""
    settings = settings_for(home, demo)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        prepared = client_session.prepare_bundle(
            settings,
            csv,
            load_profile(profile),
            profile.parent,
            parse_quarter_arg(quarter),
            out,
            agreement_file=agreement,
            ner=False if no_ner else None,
            progress=progress,
            workers=os.cpu_count() or 1,  # scrubbing uses every core; the page scrubs in-process
        )
    for problem in prepared.warnings:
        show_problem(problem, console)
    counts = prepared.manifest["record_counts"]
    console.print(f"✓ Bundle written to {prepared.bundle_path}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    console.print(f"  Review what will leave: msht-client preview {prepared.bundle_path}  (report: {prepared.review_path})")


@guarded
def preview(
    bundle: Annotated[Path, typer.Argument(help="The bundle file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Every record that will leave, as JSON Lines.")] = False,
) -> None:
    """Show exactly what a bundle will send: counts, what was done and why, the risk, every note in full; or every record."""
    opened = read_bundle(bundle)
    if as_json:
        for line in json_lines(opened):
            typer.echo(line)
        return
    console.print("\n".join(review_lines(opened.manifest.model_dump(mode="json"))), markup=False)
    _print_notes(notes(opened))


def _print_notes(texts: list[str]) -> None:
    """Every scrubbed note as it will leave; placeholders highlighted, words the guard removed marked."""
    console.print(f"\nNotes that will leave ({len(texts)}), in full:", markup=False)
    if not texts:
        console.print("  (none)", markup=False)
        return
    console.print(
        "  [bold cyan]<TYPE_n>[/bold cyan] removed identifier · [black on yellow]<UNKNOWN_n>[/black on yellow] "
        "a word removed only because it is no ordinary word (a possible name, place or typo)",
        markup=True,
    )
    for number, text in enumerate(texts, start=1):
        line = Text(f"{number:4d}. ")
        for piece in pieces(text):
            style = {"placeholder": "bold cyan", "guard": "black on yellow"}.get(piece.kind)
            line.append(piece.text, style=style)
        console.print(line)


@guarded
def upload(
    bundle: Annotated[Path, typer.Argument(help="The bundle file.")],
    home: HomeOpt = None,
) -> None:
    """Sign and send a bundle; safe to repeat; prints the hub's signed receipt."""
    body = Hub(settings_for(home)).upload(bundle)
    receipt = body["receipt"]
    if receipt.get("status") == "superseded":
        console.print(
            f"! The hub received this bundle before (submission {receipt['submission_id']} for {receipt['quarter']}), "
            f"but a later bundle superseded it ({receipt.get('superseded_by')}): its records no longer count.",
            markup=False,
        )
    else:
        console.print(f"✓ Accepted by the hub: submission {receipt['submission_id']} for {receipt['quarter']}")
    console.print("  Receipt signature verified with the hub's key.")
    echo_json(body)


@guarded
def status(home: HomeOpt = None) -> None:
    """What the hub holds for you, by quarter, and the returns you still owe (with the operator's reminders)."""
    hub = Hub(settings_for(home))
    items = hub.status()
    table = Table(title="Your submissions at the hub")
    for column in ("quarter", "status", "records", "received", "submission"):
        table.add_column(column)
    for item in sorted(items, key=lambda i: (i.get("quarter", ""), i.get("received_at", ""))):
        counts = item.get("record_counts", {})
        table.add_row(
            item.get("quarter", ""), item.get("status", ""), ", ".join(f"{n} {t}" for t, n in counts.items()),
            str(item.get("received_at", ""))[:19], item.get("id", ""),
        )
    console.print(table if items else "The hub holds no submissions from you yet.")
    due = owed(hub.returns())
    if not due:
        console.print("No return is owed: you have sent every quarter the hub expects so far.")
    for o in due:
        console.print(("! " if o.late else "  ") + o.line, markup=False, soft_wrap=True)


@guarded
def withdraw(
    quarter: Annotated[str, typer.Argument(help="The quarter to withdraw, e.g. 2026Q3.")],
    home: HomeOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Ask the hub to remove your submission for a quarter from every statistic and delete its records."""
    q = parse_quarter_arg(quarter)
    if not yes:
        typer.confirm(f"Withdraw your {q} submission from the hub?", abort=True)
    body = Hub(settings_for(home)).withdraw(q)
    console.print(f"✓ Withdrawn: {', '.join(body.get('withdrawn', [])) or 'nothing was active'}; "
                  f"{body.get('incidents_deleted', 0)} incident(s) deleted at the hub.")


@guarded
def ui(
    home: HomeOpt = None,
    demo: DemoOpt = False,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the address instead of opening it.")] = False,
    agreement: Annotated[Path | None, typer.Option("--agreement", help="Agreement file (default: the one fetched at init).")] = None,
) -> None:
    """Open the caseworkers' page on this machine only (127.0.0.1, random port, secret link)."""
    from partner_client.ui.server import serve

    serve(settings_for(home, demo), open_browser=not no_browser, agreement_file=agreement)


def register(app: typer.Typer, key_app: typer.Typer) -> None:
    install_excepthook()
    app.pretty_exceptions_show_locals = False
    app.command()(init)
    key_app.command("import")(key_import)
    key_app.command("show")(key_show)
    key_app.command("generate")(key_generate)
    app.command("map")(map_)
    app.command()(prepare)
    app.command()(preview)
    app.command()(upload)
    app.command()(status)
    app.command()(withdraw)
    app.command()(ui)
