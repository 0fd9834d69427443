"""`msht-client ui`: the local page, served on 127.0.0.1 only, behind a secret token, over the CLI's code."""

import atexit
import hmac
import secrets
import socket
import tempfile
import threading
import webbrowser
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict

from partner_client import session as client_session
from partner_client.alerts import by_case, my_alerts
from partner_client.config import ClientSettings, load_state
from partner_client.errors import ClientError
from partner_client.keystore import load_linkage_key
from partner_client.mapping import check, propose
from partner_client.prepare import parse_quarter_arg
from partner_client.preview import json_lines, read_bundle
from partner_client.profile import (
    TARGETS,
    IdentifierKind,
    Profile,
    dump_profile,
    load_profile,
    parse_profile,
)
from partner_client.returns import owed
from partner_client.review import review_lines
from partner_client.ui.choices import apply_choices, choices_of
from partner_client.ui.journey import journey_router, mapping_view, save_profile, saved_profiles
from partner_client.ui.labels import field_options, table_words
from partner_client.ui.plain import page_hint, page_problem, page_text
from partner_client.ui.preview_view import PreviewView, receipt_rows
from partner_client.ui.values import apply_values
from partner_client.ui.workspace import Workspace
from partner_client.upload import Hub

STATIC: Final = Path(__file__).with_name("static")
EXAMPLES: Final = Path(__file__).resolve().parent.parent / "profiles"
MAX_UPLOAD_BYTES: Final = 512 * 1024 * 1024


class MapIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    file_id: str
    profile_yaml: str
    choices: dict[str, str] | None = None
    value_codes: dict[str, dict[str, str]] = {}
    """Field → source value → the code the user chose on the page."""
    constants: dict[str, str] = {}


class PrepareIn(MapIn):
    quarter: str


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bundle_id: str
    save_as: str = ""


__all__ = ["RunningUI", "Workspace", "create_ui_app", "serve", "start"]


def recent_quarters(today: date) -> list[dict[str, str]]:
    """The current quarter and the four before it, newest first, with their months in words.

    >>> recent_quarters(date(2026, 12, 1))[1]
    {'value': '2026Q3', 'label': '2026 Q3 (July to September 2026)'}
    """
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
    year, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(5):
        label = f"{year} Q{q} ({months[3 * q - 3]} to {months[3 * q - 1]} {year})"
        out.append({"value": f"{year}Q{q}", "label": label})
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out


def page_quarter(text: str) -> str:
    """The quarter the page sent, or an error in words (not the command line's)."""
    if not text.strip():
        raise ClientError(
            "Choose the reporting quarter: the three months these cases belong to.",
            hint="Pick it in the list above the Check and prepare button.",
        )
    try:
        return parse_quarter_arg(text)
    except ClientError:
        raise ClientError(
            "The reporting quarter is not one the page knows.", hint="Pick it again from the list."
        ) from None


def _problem_list(error: ClientError) -> list[dict[str, Any]]:
    return [p.as_dict() | {"where": p.where()} for p in error.problems]


def create_ui_app(settings: ClientSettings, token: str, workspace: Workspace, *, agreement_file: Path | None = None) -> FastAPI:
    app = FastAPI(title="msht-client", docs_url=None, redoc_url=None, openapi_url=None)
    allowed_hosts: set[str] = set()
    app.state.allowed_hosts = allowed_hosts

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        # Only this machine, only through the secret link: refuse other Host headers (DNS
        # rebinding) and API calls without the token header (other sites cannot send it).
        host = request.headers.get("host", "")
        if allowed_hosts and host not in allowed_hosts:
            return JSONResponse({"error": "wrong host"}, status_code=403)
        path = request.url.path
        if path.startswith("/api/"):
            supplied = request.headers.get("x-msht-token", "")
            if not hmac.compare_digest(supplied, token):
                return JSONResponse({"error": "missing or wrong token"}, status_code=403)
        response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; form-action 'none'"
        )
        return response

    @app.exception_handler(ClientError)
    async def client_error(request: Request, exc: ClientError) -> JSONResponse:
        return JSONResponse(
            {"error": page_text(exc.message), "hint": page_hint(exc.hint), "problems": [page_problem(p) for p in _problem_list(exc)]},
            status_code=400,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "The page sent something this program did not expect.", "hint": "Reload the page and try again."},
            status_code=400,
        )

    app.include_router(journey_router(settings, workspace))

    @app.get("/", response_class=HTMLResponse)
    def index(t: str = "") -> HTMLResponse:
        if not hmac.compare_digest(t, token):
            raise HTTPException(403, "open the page through the link msht-client printed")
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in {"app.js", "app.css", "preview.js", "returns.js"}:
            raise HTTPException(404)
        return FileResponse(STATIC / name)

    @app.get("/api/context")
    def context() -> dict[str, Any]:
        try:
            state = load_state(settings)
            who: dict[str, Any] = {
                "enrolled": True, "org_id": state.org_id, "org_name": state.org_name or state.org_id, "hub_url": state.hub_url,
            }
        except ClientError as exc:
            who = {"enrolled": False, "error": exc.message}
        try:
            key = load_linkage_key(settings)
            who["key"] = {"version": key.version, "fingerprint": key.fingerprint()}
        except ClientError:
            who["key"] = None
        return {
            **who,
            "examples": sorted(p.stem for p in EXAMPLES.glob("*.yaml")),
            "saved": saved_profiles(settings),
            "fields": field_options(),
            "quarters": recent_quarters(date.today()),  # noqa: DTZ011 - the partner's calendar day
            "targets": {name: TARGETS[name].help or TARGETS[name].kind for name in TARGETS},
            "identifiers": [k.value for k in IdentifierKind],
        }

    @app.post("/api/files")
    def upload_file(
        file: Annotated[UploadFile, File()],
        kind: Annotated[str, Form()] = "export",
    ) -> dict[str, Any]:
        if kind not in {"export", "postcodes"}:
            raise HTTPException(400, "kind is export or postcodes")
        file_id = secrets.token_hex(8)
        # Exports and the postcode lookup sit side by side: a profile finds its lookup beside the export.
        target = workspace.directory / ("postcodes.csv" if kind == "postcodes" else f"{file_id}.csv")
        size = 0
        with target.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    out.close()
                    target.unlink(missing_ok=True)
                    raise ClientError("The file is larger than 512 MB.", hint="Split the export by quarter.")
                out.write(chunk)
        target.chmod(0o600)
        if kind == "postcodes":
            workspace.has_postcodes = True
            return {"postcodes": True}
        workspace.files[file_id] = target
        proposal = propose(target)
        return {
            "file_id": file_id,
            **mapping_view(proposal.profile, target, has_postcodes=workspace.has_postcodes),
            "choices": choices_of(proposal.profile, target),
            "confidence": {c: s for c, (_, s) in proposal.columns.items()},
        }

    def _file(file_id: str) -> Path:
        path = workspace.files.get(file_id)
        if path is None:
            raise ClientError("That file is no longer here.", hint="Choose the CSV again.")
        return path

    def _profile(body: MapIn) -> Profile:
        profile = parse_profile(body.profile_yaml, source="the mapping")
        if body.choices is not None:
            profile = apply_choices(profile, body.choices, _file(body.file_id))
        profile = apply_values(profile, body.value_codes, body.constants)
        # The postcode lookup is the file given on the page (beside the export), or none.
        return profile.model_copy(update={"postcode_lookup": "postcodes.csv" if workspace.has_postcodes else None})

    @app.post("/api/values")
    def values(body: MapIn) -> dict[str, Any]:
        profile = _profile(body)
        view = mapping_view(profile, _file(body.file_id), has_postcodes=workspace.has_postcodes)
        return view | {"choices": choices_of(profile, _file(body.file_id))}

    @app.get("/api/examples/{name}")
    def example(name: str, file_id: str) -> dict[str, Any]:
        path = EXAMPLES / f"{name}.yaml"
        if path.parent != EXAMPLES or not path.exists():
            raise HTTPException(404)
        profile = load_profile(path)
        return {"profile_yaml": path.read_text(encoding="utf-8"), "choices": choices_of(profile, _file(file_id))}

    @app.post("/api/check")
    def check_mapping(body: MapIn) -> dict[str, Any]:
        profile = _profile(body)
        problems = check(profile, _file(body.file_id))
        return {
            "profile_yaml": dump_profile(profile),
            "problems": [page_problem(p.as_dict() | {"where": p.where()}) for p in problems.items],
            "ok": not problems.errors,
        }

    @app.post("/api/prepare")
    def prepare(body: PrepareIn) -> dict[str, Any]:
        quarter = page_quarter(body.quarter)
        profile = _profile(body)
        csv_path = _file(body.file_id)
        bundle_id = secrets.token_hex(8)
        out = csv_path.parent / f"{bundle_id}.zip"
        prepared = client_session.prepare_bundle(
            settings, csv_path, profile, EXAMPLES, quarter, out, agreement_file=agreement_file,
        )
        workspace.bundles[bundle_id] = prepared.bundle_path
        view = PreviewView(read_bundle(prepared.bundle_path))
        workspace.previews[bundle_id] = view
        workspace.profiles[bundle_id] = profile
        return {
            "bundle_id": bundle_id,
            "record_counts": prepared.manifest["record_counts"],
            "record_words": table_words(prepared.manifest["record_counts"]),
            "review": review_lines(prepared.manifest),
            "privacy_report": prepared.manifest["privacy_report"],
            "warnings": [page_problem(p.as_dict() | {"where": p.where()}) for p in prepared.warnings],
            # Every scrubbed note in full, cut into text and placeholders; the risk as the manifest holds it.
            **view.summary(),
        }

    @app.get("/api/bundles/{bundle_id}/records")
    def all_records(bundle_id: str) -> JSONResponse:
        path = workspace.bundles.get(bundle_id)
        if path is None:
            raise HTTPException(404)
        return JSONResponse({"lines": list(json_lines(read_bundle(path)))})

    @app.get("/api/returns")
    def returns_owed() -> dict[str, Any]:
        return {"returns": [o.as_dict() for o in owed(Hub(settings).returns())]}

    @app.get("/api/alerts")
    def alerts() -> dict[str, Any]:
        alerts = my_alerts(settings)
        return {"alerts": [a.as_dict() for a in alerts], "cases": [c.as_dict() for c in by_case(alerts)]}

    @app.post("/api/alerts/{alert_id}/contact")
    def request_contact(alert_id: int) -> dict[str, Any]:
        return Hub(settings).request_contact(alert_id)

    @app.post("/api/contact-requests/{request_id}/{decision}")
    def decide_contact(request_id: int, decision: str) -> dict[str, Any]:
        if decision not in {"accept", "decline"}:
            raise HTTPException(404)
        return Hub(settings).decide_contact(request_id, accept=decision == "accept")

    @app.post("/api/send")
    def send(body: SendIn) -> dict[str, Any]:
        path = workspace.bundles.get(body.bundle_id)
        if path is None:
            raise ClientError("That bundle is no longer here.", hint="Prepare it again.")
        saved = save_profile(settings, body.save_as, workspace.profiles[body.bundle_id]) if body.save_as.strip() else None
        with workspace.lock:
            receipt = Hub(settings).upload(path)
        agreement_id = receipt.get("receipt", receipt).get("agreement_id")
        title = client_session.agreement_title(settings, agreement_id, agreement_file) if isinstance(agreement_id, str) else None
        return receipt | {"lines": receipt_rows(receipt, load_state(settings).org_name, title), "saved_as": saved}

    return app


def _loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class RunningUI:
    url: str
    workspace: Workspace
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.workspace.cleanup()


def start(settings: ClientSettings, *, agreement_file: Path | None = None) -> RunningUI:
    """Serve the page in a background thread; the URL holds the token."""
    import time

    import uvicorn

    workspace = Workspace(directory=Path(tempfile.mkdtemp(prefix="msht-client-ui-")))
    atexit.register(workspace.cleanup)
    token = secrets.token_urlsafe(32)
    app = create_ui_app(settings, token, workspace, agreement_file=agreement_file)
    sock = _loopback_socket()
    port = sock.getsockname()[1]
    app.state.allowed_hosts.update({f"127.0.0.1:{port}", f"localhost:{port}"})
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        workspace.cleanup()
        raise ClientError("The local page could not be started.", hint="Try again; tell your support contact if it persists.")
    return RunningUI(url=f"http://127.0.0.1:{port}/?t={token}", workspace=workspace, server=server, thread=thread)


def serve(settings: ClientSettings, *, open_browser: bool = True, agreement_file: Path | None = None) -> None:
    from partner_client.console import console

    running = start(settings, agreement_file=agreement_file)
    console.print("The page is open on this machine only. Keep this window open while you use it.")
    console.print(f"Address (secret, do not share): {running.url}", markup=False)
    console.print("Press Ctrl-C to stop; files you gave the page are deleted when it stops.")
    if open_browser:
        webbrowser.open(running.url)
    try:
        while running.thread.is_alive():
            running.thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
