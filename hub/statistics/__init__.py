"""hub.statistics: see router.py (HTTP), schemas.py (in/out), service.py (rules and SQL)."""
