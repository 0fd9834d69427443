"""Linkage keys: refusal of weak, missing and demo keys; file formats; HKDF domain separation."""

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.keys import DEMO_LINKAGE_KEY, KeyRefused, LinkageKey, generate_linkage_key

FAKE_KEY = bytes(range(100, 132))


@pytest.mark.parametrize("length", [0, 1, 16, 31])
def test_short_keys_are_refused_with_a_fix(length: int) -> None:
    with pytest.raises(KeyRefused, match="at least 32") as info:
        LinkageKey.from_bytes(bytes(range(length)))
    assert "msht-client key" in str(info.value)


def test_demo_key_only_in_demo_mode() -> None:
    with pytest.raises(KeyRefused, match="demo"):
        LinkageKey.from_bytes(DEMO_LINKAGE_KEY)
    assert LinkageKey.from_bytes(DEMO_LINKAGE_KEY, demo=True).demo


def test_patterned_keys_are_refused() -> None:
    with pytest.raises(KeyRefused):
        LinkageKey.from_bytes(bytes(32))
    with pytest.raises(KeyRefused, match="randomness"):
        LinkageKey.from_bytes(b"ab" * 20)


def test_key_refused_is_a_value_error_not_a_key_error() -> None:
    assert issubclass(KeyRefused, ValueError)
    assert not issubclass(KeyRefused, KeyError)


def test_generated_keys_are_accepted_and_distinct() -> None:
    a, b = generate_linkage_key(), generate_linkage_key()
    assert a != b
    assert LinkageKey.from_bytes(a).fingerprint() != LinkageKey.from_bytes(b).fingerprint()


@pytest.mark.parametrize("encode", [lambda k: k.hex(), lambda k: k.hex().upper() + "\n", lambda k: base64.b64encode(k).decode() + "\n"])
def test_load_reads_hex_and_base64(tmp_path: Path, encode) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "linkage.key"
    path.write_text(encode(FAKE_KEY))
    assert LinkageKey.load(path) == LinkageKey.from_bytes(FAKE_KEY)


def test_load_refuses_missing_garbage_and_short(tmp_path: Path) -> None:
    with pytest.raises(KeyRefused, match="no linkage key file"):
        LinkageKey.load(tmp_path / "absent.key")
    bad = tmp_path / "bad.key"
    bad.write_bytes(b"\xff\xfe not text")
    with pytest.raises(KeyRefused, match="not hex or base64"):
        LinkageKey.load(bad)
    bad.write_text("not*base64*at*all")
    with pytest.raises(KeyRefused, match="neither"):
        LinkageKey.load(bad)
    bad.write_text(base64.b64encode(b"x" * 16).decode())
    with pytest.raises(KeyRefused, match="at least 32"):
        LinkageKey.load(bad)


def test_key_never_shown() -> None:
    key = LinkageKey.from_bytes(FAKE_KEY)
    for shown in (repr(key), str(key), key.fingerprint()):
        assert FAKE_KEY.hex()[:8] not in shown
    assert key.fingerprint().startswith("v1:")
    assert len(key.fingerprint()) == len("v1:0000-0000-0000-0000")


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_subkeys_are_separated_by_agreement_purpose_and_version(agreement: str, purpose: str) -> None:
    key = LinkageKey.from_bytes(FAKE_KEY)
    sub = key.subkey(agreement, purpose)
    assert len(sub) == 32
    assert sub == key.subkey(agreement, purpose)
    assert sub != key.subkey(agreement + "x", purpose)
    assert sub != key.subkey(agreement, purpose + "x")
    assert sub != LinkageKey.from_bytes(FAKE_KEY, version=2).subkey(agreement, purpose)
    # No ambiguity from concatenation: ("ab", "c") and ("a", "bc") differ.
    assert key.subkey("ab", "c") != key.subkey("a", "bc")


def test_subkey_needs_agreement_and_purpose() -> None:
    key = LinkageKey.from_bytes(FAKE_KEY)
    with pytest.raises(ValueError, match="agreement id and purpose"):
        key.subkey("", "person")
