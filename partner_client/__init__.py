"""The partner client: from a partner's CSV export to a signed quarterly upload."""

__version__ = "0.1.0"
