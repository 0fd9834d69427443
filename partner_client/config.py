"""The client's settings (MSHT_CLIENT_*) and its state directory: enrolment, keys, agreements."""

import json
import os
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from partner_client.errors import ClientError

STATE_FILE: Final = "client.json"
SIGNING_KEY_FILE: Final = "signing-key.pem"
AGREEMENTS_DIR: Final = "agreements"


class ClientSettings(BaseSettings):
    """Every knob of the client; the state directory defaults to ~/.config/msht-client."""

    model_config = SettingsConfigDict(env_prefix="MSHT_CLIENT_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".config" / "msht-client")
    demo: bool = Field(default=False, description="Allow the public demo linkage key (synthetic data only).")
    timeout_seconds: float = 30.0
    upload_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0, description="First retry delay; doubles each time.")
    ner_model: str | None = Field(default=None, description="spaCy pipeline for names (default: the ner extra's).")
    workers: int | None = Field(default=None, description="Scrubbing processes (default: CPU count).")


class ClientState(BaseModel):
    """What `init` learnt from the hub. Holds no secret: the keys live in their own 0600 files."""

    model_config = ConfigDict(extra="ignore")

    hub_url: str
    org_id: str
    kid: str
    hub_public_key: str = Field(description="The hub's Ed25519 public key, base64 raw bytes.")
    org_name: str | None = Field(default=None, description="The organisation's name as the hub operator gave it.")
    partner_type: str | None = None
    linkage_key_version: int | None = None


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600), replacing any earlier one atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def state_path(settings: ClientSettings) -> Path:
    return settings.home / STATE_FILE


def load_state(settings: ClientSettings) -> ClientState:
    path = state_path(settings)
    if not path.exists():
        raise ClientError(
            "This machine is not enrolled with a hub yet.",
            hint="Run `msht-client init --hub URL --token TOKEN` with the token your hub operator gave you.",
        )
    return ClientState.model_validate_json(path.read_text(encoding="utf-8"))


def save_state(settings: ClientSettings, state: ClientState) -> None:
    write_private(state_path(settings), state.model_dump_json(indent=2).encode())


def update_state(settings: ClientSettings, **changes: Any) -> ClientState:
    state = load_state(settings).model_copy(update=changes)
    save_state(settings, state)
    return state


def agreements_dir(settings: ClientSettings) -> Path:
    return settings.home / AGREEMENTS_DIR


def save_agreement(settings: ClientSettings, agreement_id: str, document: str) -> Path:
    path = agreements_dir(settings) / f"{agreement_id}.yaml"
    write_private(path, document.encode())
    return path


def read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ClientError(f"{path.name} is not a JSON object.")
    return data
