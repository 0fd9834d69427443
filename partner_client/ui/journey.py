"""The page's own setup and mapping steps: enrol with the token, import the linkage key file, every
coded column's values and codes, constants, saved profiles, the paged preview, a receipt in words."""

import re
import secrets
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, ConfigDict

from partner_client import session as client_session
from partner_client.config import ClientSettings, load_state, write_private
from partner_client.errors import ClientError
from partner_client.keystore import import_linkage_key
from partner_client.profile import IdentifierKind, Profile, dump_profile, load_profile
from partner_client.ui.values import coded_columns, constants_of
from partner_client.ui.workspace import Workspace

TOKEN_FORM: Final = re.compile(r"^[A-Za-z0-9_-]{16,200}$")
PROFILE_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$")
MAX_KEY_BYTES: Final = 4096


class EnrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    hub_url: str
    token: str


def saved_dir(settings: ClientSettings) -> Path:
    return settings.home / "profiles"


def saved_profiles(settings: ClientSettings) -> list[str]:
    directory = saved_dir(settings)
    return sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []


def save_profile(settings: ClientSettings, name: str, profile: Profile) -> str:
    """Keep the mapping under the partner's state directory (0600) for next quarter."""
    name = name.strip()
    if not PROFILE_NAME.match(name):
        raise ClientError(
            "Give the saved mapping a short name: letters, digits, spaces, - or _ (up to 40).",
            hint="For example: case export.",
        )
    slug = re.sub(r"\s+", "-", name)
    # The postcode file is given again each quarter on the page; the lookup path is not kept.
    kept = profile.model_copy(update={"postcode_lookup": None})
    write_private(saved_dir(settings) / f"{slug}.yaml", dump_profile(kept).encode())
    return slug


def journey_router(settings: ClientSettings, workspace: Workspace) -> APIRouter:
    router = APIRouter()

    @router.post("/api/enrol")
    def enrol(body: EnrolIn) -> dict[str, Any]:
        try:
            state = load_state(settings)
        except ClientError:
            state = None
        if state is not None:
            raise ClientError(
                f"This computer is already enrolled, as {state.org_id}.",
                hint="Nothing to do: go on to the linkage key or the export.",
            )
        token = body.token.strip()
        hub_url = body.hub_url.strip()
        if not hub_url:
            raise ClientError("Enter the hub's address.", hint="Your hub operator gave it with the token, e.g. https://hub.example.org.")
        if not token:
            raise ClientError("Enter the enrolment token.", hint="Your hub operator sent it to you; paste it in full.")
        if not TOKEN_FORM.match(token):
            raise ClientError(
                "That enrolment token is not in the right form.",
                hint="Copy it again exactly as your hub operator sent it: one line of letters, digits, - and _, no spaces.",
            )
        state, agreements = client_session.enrol_and_fetch(settings, hub_url, token)
        return {"org_id": state.org_id, "hub_url": state.hub_url, "agreements": agreements}

    @router.post("/api/key")
    def key(file: Annotated[UploadFile, File()], version: Annotated[int, Form()] = 1) -> dict[str, Any]:
        if not 1 <= version <= 1000:
            raise ClientError("The key version is a whole number from 1.", hint="Your agreement names it; it is usually 1.")
        data = file.file.read(MAX_KEY_BYTES + 1)
        if len(data) > MAX_KEY_BYTES:
            raise ClientError("That file is too large to be a linkage key.", hint="Choose the key file you were given.")
        staged = workspace.directory / f"key-{secrets.token_hex(4)}.tmp"
        write_private(staged, data)
        try:
            imported = import_linkage_key(settings, staged, version)
        finally:
            staged.unlink(missing_ok=True)
        return {"version": imported.version, "fingerprint": imported.fingerprint()}

    @router.get("/api/saved/{name}")
    def saved(name: str, file_id: str) -> dict[str, Any]:
        from partner_client.ui.choices import choices_of

        path = saved_dir(settings) / f"{name}.yaml"
        if path.parent != saved_dir(settings) or not path.exists():
            raise HTTPException(404)
        source = workspace.files.get(file_id)
        if source is None:
            raise ClientError("That file is no longer here.", hint="Choose the CSV again.")
        profile = load_profile(path)
        return {"profile_yaml": path.read_text(encoding="utf-8"), "choices": choices_of(profile, source)}

    @router.get("/api/bundles/{bundle_id}/page")
    def preview_page(bundle_id: str, table: str, page: int = 1) -> dict[str, Any]:
        view = workspace.previews.get(bundle_id)
        if view is None:
            raise HTTPException(404)
        result: dict[str, Any] = view.page(table, page)
        return result

    return router


def mapping_view(profile: Profile, csv_path: Path, *, has_postcodes: bool) -> dict[str, Any]:
    """What step 2 shows besides the column choices: coded values with counts, the constants, notices."""
    notices = []
    place = profile.identifiers.get(IdentifierKind.location_postcode)
    if place is not None and place.columns and not has_postcodes:
        notices.append(
            f"Column “{place.columns[0]}” holds the postcodes of places, but no postcode lookup file was given in step 1: "
            "no case will get a map location (only its borough, if a borough column is mapped)."
        )
    return {
        "profile_yaml": dump_profile(profile), "coded": coded_columns(profile, csv_path), "constants": constants_of(profile),
        "notices": notices,
    }
