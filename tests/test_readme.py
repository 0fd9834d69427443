"""README.md opens with the two commands and documents every setting of both programs."""

from pathlib import Path

from hub.config import HubSettings
from partner_client.config import ClientSettings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_make_demo_and_make_test() -> None:
    block = README.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_every_setting_is_documented() -> None:
    for settings, prefix in ((HubSettings, "MSHT_"), (ClientSettings, "MSHT_CLIENT_")):
        for name in settings.model_fields:
            assert f"`{prefix}{name.upper()}" in README or f"{prefix}{name.upper()}`" in README, (
                f"{prefix}{name.upper()} is not documented in README.md"
            )
