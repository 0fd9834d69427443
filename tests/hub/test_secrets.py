"""The hub's secrets: refused when missing, weak or demo outside the demo; demo generation says so loudly."""

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hub.config import HubSettings
from hub.main import create_app
from hub.secrets import SecretError, generate_demo_secrets, load_secrets, write_signing_key
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings

STRONG = "0123456789abcdef" * 3


def _settings(tmp_path: Path, **overrides: object) -> HubSettings:
    return make_settings("sqlite:///unused.db", tmp_path, **overrides)


def test_loads_test_secrets(tmp_path: Path) -> None:
    secrets = load_secrets(_settings(tmp_path))
    assert secrets.pseudonym_key == TEST_PSEUDONYM_KEY.encode()
    assert secrets.session_key == TEST_SESSION_KEY.encode()
    assert len(secrets.signing_public_key) == 32
    assert TEST_PSEUDONYM_KEY not in repr(secrets)
    assert TEST_SESSION_KEY not in repr(secrets)


@pytest.mark.parametrize("name", ["pseudonym_key", "session_key"])
def test_missing_secret_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(SecretError, match=f"MSHT_{name.upper()}.*missing"):
        load_secrets(_settings(tmp_path, **{name: None}))


@pytest.mark.parametrize("value", ["short-secret", "x" * 31, "a" * 64, "abababababababababababababababab"])
@pytest.mark.parametrize("name", ["pseudonym_key", "session_key"])
def test_weak_secret_refused_without_echoing_it(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SecretError, match="weak") as info:
        load_secrets(_settings(tmp_path, **{name: value}))
    assert value not in str(info.value)


@pytest.mark.parametrize("name", ["pseudonym_key", "session_key"])
def test_demo_secret_refused_outside_demo(tmp_path: Path, name: str) -> None:
    demo_value = "demo-only-" + STRONG
    with pytest.raises(SecretError, match="demo"):
        load_secrets(_settings(tmp_path, **{name: demo_value}))
    assert load_secrets(_settings(tmp_path, demo=True, **{name: demo_value}))


def test_secret_from_file_and_not_both(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_text(STRONG + "\n")
    secrets = load_secrets(_settings(tmp_path, pseudonym_key=None, pseudonym_key_file=path))
    assert secrets.pseudonym_key == STRONG.encode()
    with pytest.raises(SecretError, match="both"):
        load_secrets(_settings(tmp_path, pseudonym_key_file=path))
    with pytest.raises(SecretError, match="cannot be read"):
        load_secrets(_settings(tmp_path, pseudonym_key=None, pseudonym_key_file=tmp_path / "nope"))


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "signing.pem"
    write_signing_key(key_file)
    monkeypatch.setenv("MSHT_PSEUDONYM_KEY", STRONG)
    monkeypatch.setenv("MSHT_SESSION_KEY", STRONG[::-1])
    monkeypatch.setenv("MSHT_SIGNING_KEY_FILE", str(key_file))
    secrets = load_secrets(HubSettings())
    assert secrets.pseudonym_key == STRONG.encode()
    assert secrets.session_key == STRONG[::-1].encode()


def test_signing_key_missing_refused_outside_demo(tmp_path: Path) -> None:
    missing = tmp_path / "absent.pem"
    with pytest.raises(SecretError, match="does not exist"):
        load_secrets(_settings(tmp_path, signing_key_file=missing))
    assert not missing.exists()
    with pytest.raises(SecretError, match="missing"):
        load_secrets(_settings(tmp_path, signing_key_file=None))


def test_demo_generates_missing_signing_key_loudly(tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "demo.pem"
    secrets = load_secrets(_settings(tmp_path, signing_key_file=path, demo=True))
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "DEMO" in capsys.readouterr().err
    assert any("DEMO" in r.getMessage() for r in caplog.records)
    again = load_secrets(_settings(tmp_path, signing_key_file=path, demo=True))
    assert again.signing_public_key == secrets.signing_public_key


def test_signing_key_must_be_ed25519_pem(tmp_path: Path) -> None:
    wrong = tmp_path / "ec.pem"
    wrong.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(SecretError, match="Ed25519"):
        load_secrets(_settings(tmp_path, signing_key_file=wrong))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(SecretError, match="PEM"):
        load_secrets(_settings(tmp_path, signing_key_file=garbage))


def test_write_signing_key_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    write_signing_key(path)
    before = path.read_bytes()
    with pytest.raises(SecretError, match="never overwritten"):
        write_signing_key(path)
    assert path.read_bytes() == before


def test_generate_demo_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = generate_demo_secrets(tmp_path / "demo")
    assert "generated demo secrets" in capsys.readouterr().err
    assert paths
    for path in paths.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    overrides = {name: None for name in ("pseudonym_key", "session_key")} | dict(paths)
    assert load_secrets(_settings(tmp_path, demo=True, **overrides)).pseudonym_key.startswith(b"demo-only-")
    with pytest.raises(SecretError, match="demo secret"):
        load_secrets(_settings(tmp_path, **overrides))
    first = paths["pseudonym_key_file"].read_bytes()
    generate_demo_secrets(tmp_path / "demo")  # reused, not regenerated: stored pseudonyms keep matching
    assert paths["pseudonym_key_file"].read_bytes() == first
    assert "using demo secrets" in capsys.readouterr().err


def test_create_app_refuses_missing_secrets(sqlite_url: str, tmp_path: Path) -> None:
    with pytest.raises(SecretError):
        create_app(make_settings(sqlite_url, tmp_path, session_key=None))
    app = create_app(make_settings(sqlite_url, tmp_path))
    assert app.state.secrets.session_key == TEST_SESSION_KEY.encode()
    app.state.engine.dispose()


def test_secret_file_readable_by_others_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "session.key"
    path.write_text(STRONG)
    path.chmod(0o644)
    load_secrets(_settings(tmp_path, session_key=None, session_key_file=path))
    assert any("MSHT_SESSION_KEY_FILE is readable by other users" in r.getMessage() for r in caplog.records)
    assert STRONG not in caplog.text
