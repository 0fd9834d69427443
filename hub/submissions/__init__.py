"""hub.submissions: partner uploads — partner_auth (tokens), validate, rekey, ingest, receipts, service (rules), router (HTTP)."""
