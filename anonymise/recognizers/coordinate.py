"""Latitude/longitude written as decimal degrees (four or more decimals)."""

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="COORDINATE",
    patterns=(Pattern("decimal degrees", r"(?<![\w.])-?\d{1,3}\.\d{4,}(?:\s*,\s*-?\d{1,3}\.\d{4,})?", 0.8),),
    gate=r"\.\d{4}",
    priority=76,
    presidio_entities=("LOCATION",),
)
