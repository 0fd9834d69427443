"""Offline guarantees: public-suffix lookups from tldextract's bundled snapshot, never the network.

tldextract's module-level ``extract`` (which Presidio's ``EmailRecognizer`` calls) fetches the
public suffix list over HTTP on first use. Everything here uses an extractor built with no
suffix-list URLs and no cache directory, so it reads only the snapshot shipped in the wheel.
"""

import functools
import types

import tldextract

__all__ = ["has_public_suffix", "make_presidio_offline", "tld_extractor"]


@functools.cache
def tld_extractor() -> tldextract.TLDExtract:
    """The process-wide offline extractor (bundled snapshot, no cache directory, no URLs).

    >>> tld_extractor()("mail.example.co.uk").suffix
    'co.uk'
    """
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def has_public_suffix(host: str) -> bool:
    """Whether a host name ends in a registrable domain under a known public suffix.

    :param host: a domain or an email address (the part after ``@`` is used).

    >>> has_public_suffix("anna@example.org"), has_public_suffix("anna@localhost")
    (True, False)
    """
    domain = host.rsplit("@", 1)[-1]
    parts = tld_extractor()(domain)
    return bool(parts.suffix and parts.domain)


def make_presidio_offline() -> None:
    """Point Presidio's email recognizer at the offline extractor (idempotent).

    Call before building any Presidio ``AnalyzerEngine`` that includes ``EmailRecognizer``.
    """
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    extractor = tld_extractor()
    email_recognizer.tldextract = types.SimpleNamespace(extract=extractor)  # type: ignore[attr-defined,assignment]
