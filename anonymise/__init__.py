"""The offline privacy core both the partner client and the hub import: no web, no database."""
