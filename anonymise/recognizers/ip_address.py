"""IPv4 and IPv6 addresses."""

import ipaddress

from anonymise.recognizers.base import Pattern, RecognizerSpec


def _ip_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


RECOGNIZER = RecognizerSpec(
    entity="IP_ADDRESS",
    patterns=(
        Pattern("ipv4", r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)", 0.8),
        Pattern("ipv6", r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}(?::|[0-9a-fA-F]{1,4})(?:[0-9a-fA-F:]*)(?![\w:])", 0.7),
    ),
    validate=_ip_ok,
    gate=r"\d\.\d|:[0-9a-fA-F]*:",
    priority=74,
    presidio_entities=("IP_ADDRESS",),
)
