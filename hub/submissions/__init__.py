"""hub.submissions: partner uploads — validate, min_k, rekey, ingest (re-keyed rows), receipts, service (rules), router (HTTP)."""
