"""Synthetic partner exports for demos and tests: four layouts, a postcode lookup and ground truth."""

from partner_client.demo_data.generate import DemoFiles, generate
from partner_client.demo_data.notes import LabelledNote, labelled_notes

__all__ = ["DemoFiles", "LabelledNote", "generate", "labelled_notes"]
