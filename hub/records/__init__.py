"""Stored records and the summaries kept with them: the only code that writes or deletes either."""
