"""The scrubber never touches the network: no DNS lookup, no connect, while it is built and while it runs."""

import socket
import tempfile
from typing import Any

import pytest
import tldextract

from anonymise import offline
from anonymise.scrub import Scrubber, ScrubInput

TEXTS = [
    "Email anna.kovacs@example.co.uk or a.k@mail.example.org; see www.example.com/profile/ak.",
    "Profile at adultwork.com/1234 and https://example.ro/x, phone +40 721 234 567.",
]


@pytest.fixture
def network_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Record (and refuse) every DNS lookup and every connect, loopback included."""
    calls: list[tuple[str, Any]] = []

    def refuse_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(("getaddrinfo", host))
        raise OSError("network disabled in this test")

    def refuse_connect(self: socket.socket, address: Any) -> Any:
        calls.append(("connect", address))
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_connect)
    return calls


def test_default_tldextract_would_go_online(network_calls: list[tuple[str, Any]]) -> None:
    """Control: the recorder catches tldextract's default behaviour, so the tests below can fail."""
    extractor = tldextract.TLDExtract(cache_dir=tempfile.mkdtemp())
    assert extractor("a.example.co.uk").suffix == "co.uk"  # fell back to the snapshot...
    assert network_calls  # ...after trying to download the list


def test_scrubber_opens_no_socket(network_calls: list[tuple[str, Any]]) -> None:
    offline.tld_extractor.cache_clear()
    scrubber = Scrubber()  # with NER if the model is installed: loading it must not go online
    results = scrubber.scrub_many([ScrubInput(t) for t in TEXTS])
    assert all(r.text is not None for r in results)
    assert "example.co.uk" not in (results[0].text or "")
    assert offline.has_public_suffix("anna@example.co.uk")
    assert network_calls == []


def test_presidio_email_recognizer_made_offline(network_calls: list[tuple[str, Any]]) -> None:
    offline.tld_extractor.cache_clear()
    offline.make_presidio_offline()
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    found = EmailRecognizer().analyze(TEXTS[0], ["EMAIL_ADDRESS"])
    assert len(found) == 2
    assert network_calls == []


def test_presidio_uk_engine_is_offline_and_uk_only(network_calls: list[tuple[str, Any]]) -> None:
    from anonymise.presidio_uk import KnownRecognizer, uk_analyzer

    offline.tld_extractor.cache_clear()
    engine = uk_analyzer(ner=False)
    names = {r.name for r in engine.registry.recognizers}
    assert names
    assert all(n.startswith("msht_") for n in names)  # no US SSN, no Australian TFN, …
    text = "Anna rang 07700 900123 from E1 6AN; NHS 943 476 5919; a.k@example.co.uk"
    found = {(text[r.start : r.end], r.entity_type) for r in engine.analyze(text, language="en", ad_hoc_recognizers=[KnownRecognizer(["Anna Smith"])])}
    assert {("Anna", "PERSON"), ("07700 900123", "PHONE"), ("E1 6AN", "POSTCODE"), ("943 476 5919", "NHS_NUMBER"), ("a.k@example.co.uk", "EMAIL")} <= found
    assert network_calls == []
